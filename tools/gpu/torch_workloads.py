"""PyTorch side of the GPU check (run by run.sh): W3, W5 and W7 on the GPU in fp32 with cuDNN and TF32 off.

Writes TSV rows (id, workload, framework, median ms, min ms, runs) for Strider.GpuCheck's `table` command. The
networks match Strider's: the denoising U-net of benchmarks/Strider.Benchmarks/Networks.cs (Ddae) and torchvision's
resnet18. Timing: warm-ups, then each run from its start to torch.cuda.synchronize(); the median is reported.
"""
import argparse
import statistics
import sys
import time

import torch
from torch import nn


class Ddae(nn.Module):
    """The U-net autoencoder W3 trains: valid sizes 61 + 16n, as in Networks.cs."""

    def __init__(self):
        super().__init__()

        def down(cin, cout):
            return [nn.Conv2d(cin, cout, 5, stride=2), nn.BatchNorm2d(cout), nn.ReLU()]

        def up(cin, cout):
            return [nn.ConvTranspose2d(cin, cout, 5, stride=2), nn.BatchNorm2d(cout)]

        self.c12 = nn.Sequential(*down(1, 32), nn.Dropout(0.1), *down(32, 32))
        self.d12 = nn.Sequential(*down(32, 64), nn.Dropout(0.1), *down(64, 64),
                                 *up(64, 64), nn.ReLU(), nn.Dropout(0.1), *up(64, 32), nn.ReLU())
        self.d34 = nn.Sequential(*up(32, 32), nn.ReLU(), nn.Dropout(0.1), *up(32, 1), nn.Softsign())

    def forward(self, noisy):
        c12 = self.c12(noisy)
        return noisy + self.d34(c12 + self.d12(c12))


def timed(step, warmups, runs):
    for _ in range(warmups):
        step()
    torch.cuda.synchronize()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples), samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("PyTorch sees no CUDA device: no PyTorch rows.")
        return 1
    torch.backends.cudnn.enabled = True
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    dev = torch.device("cuda")
    print(f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(0)}; fp32, TF32 off, cudnn.benchmark on")
    torch.manual_seed(1)
    rows = []

    def record(wid, workload, step):
        median, fastest, samples = timed(step, args.warmups, args.runs)
        rows.append((wid, workload, "pytorch", median, fastest, len(samples)))
        print(f"time {wid} {workload} (PyTorch): median {median:.2f} ms, min {fastest:.2f} ms over {len(samples)} runs; "
              f"all: {' '.join(f'{s:.2f}' for s in samples)}")

    unet = Ddae().to(dev).train()
    unet_opt = torch.optim.SGD(unet.parameters(), lr=0.01, momentum=0.9)
    noisy = torch.rand(8, 1, 157, 157, device=dev)
    clean = torch.rand(8, 1, 157, 157, device=dev)

    def w3():
        unet_opt.zero_grad(set_to_none=False)
        loss = nn.functional.mse_loss(unet(noisy), clean)
        loss.backward()
        unet_opt.step()

    record("W3", "U-net train step b8 157x157", w3)

    try:
        import torchvision
    except ImportError:
        print("torchvision is missing: W5 and W7 have no PyTorch rows.")
        torchvision = None
    if torchvision is not None:
        resnet = torchvision.models.resnet18(weights=None).to(dev).eval()
        images = torch.rand(32, 3, 224, 224, device=dev)

        def w5():
            with torch.no_grad():
                resnet(images)

        record("W5", "ResNet-18 inference b32 224x224", w5)

        trained = torchvision.models.resnet18(weights=None).to(dev).train()
        opt = torch.optim.SGD(trained.parameters(), lr=0.01, momentum=0.9)
        batch = torch.rand(8, 3, 224, 224, device=dev)
        labels = torch.tensor([(i * 37) % 1000 for i in range(8)], device=dev)

        def w7():
            opt.zero_grad(set_to_none=False)
            loss = nn.functional.cross_entropy(trained(batch), labels)
            loss.backward()
            opt.step()

        record("W7", "ResNet-18 train step b8 224x224", w7)

    with open(args.results, "w") as f:
        for row in rows:
            f.write("\t".join([row[0], row[1], row[2], repr(row[3]), repr(row[4]), str(row[5])]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
