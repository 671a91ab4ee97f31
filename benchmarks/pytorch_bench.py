#!/usr/bin/python3
"""PyTorch's times for issue 15's W5-W7, an informative column beside Strider and ONNX Runtime (not part of CI).

Run with Debian's python3-torch (1.13) and torchvision: `/usr/bin/python3 benchmarks/pytorch_bench.py [W5 W6 W7]`.
Same shapes and thread count as the .NET side (Strider.Benchmarks `quick-w W5 W6 W7`): 2 intra-op threads (or
STRIDER_THREADS), fp32, torchvision's resnet18 and mobilenet_v2 with their default (random) initialisation.
  W5  resnet18, eval mode, batch 1, 3x224x224, under torch.inference_mode()
  W6  mobilenet_v2, eval mode, batch 1, 3x224x224, under torch.inference_mode()
  W7  resnet18 training step, batch 8: forward in train mode, cross-entropy, backward (parameter gradients only:
      the input does not require grad), SGD with momentum 0.9, lr 0.01 (zero_grad(set_to_none=False), as Strider's ZeroGrad)
Each workload runs for 1.5 s (at least 5 times) to warm up, then `reps` timed runs; prints best and median wall ms.
"""
import os
import statistics
import sys
import time

import torch
import torchvision

THREADS = int(os.environ.get("STRIDER_THREADS", "2"))
PARAMETERS = {"resnet18": 11_689_512, "mobilenet_v2": 3_504_872}


def measure(name, step, reps):
    start = time.perf_counter()
    runs = 0
    while runs < 5 or time.perf_counter() - start < 1.5:
        step()
        runs += 1
    time.sleep(0.2)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    print(f"{name:<28} wall best {times[0]:8.2f} ms median {statistics.median(times):8.2f} ms", flush=True)


def check_parameters(model, name):
    count = sum(p.numel() for p in model.parameters())
    if count != PARAMETERS[name]:
        raise SystemExit(f"{name} has {count:,} parameters, expected {PARAMETERS[name]:,}")


def inference(name):
    model = getattr(torchvision.models, name)(weights=None).eval()
    check_parameters(model, name)
    x = torch.rand(1, 3, 224, 224) * 2 - 1

    def step():
        with torch.inference_mode():
            model(x)

    return step


def train_step():
    model = torchvision.models.resnet18(weights=None).train()
    check_parameters(model, "resnet18")
    x = torch.rand(8, 3, 224, 224) * 2 - 1
    labels = torch.tensor([i * 97 % 1000 for i in range(8)])
    sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        loss = loss_fn(model(x), labels)
        sgd.zero_grad(set_to_none=False)
        loss.backward()
        sgd.step()

    return step


def main(argv):
    torch.set_num_threads(THREADS)
    wanted = argv or ["W5", "W6", "W7"]
    print(f"PyTorch {torch.__version__}, torchvision {torchvision.__version__}, threads {torch.get_num_threads()}, "
          f"load {open('/proc/loadavg').read().strip()}", flush=True)
    if "W5" in wanted:
        measure("W5 ResNet-18 b1 PyTorch", inference("resnet18"), 20)
    if "W6" in wanted:
        measure("W6 MobileNetV2 b1 PyTorch", inference("mobilenet_v2"), 20)
    if "W7" in wanted:
        measure("W7 ResNet-18 train b8 PyTorch", train_step(), 7)


if __name__ == "__main__":
    main(sys.argv[1:])
