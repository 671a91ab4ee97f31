#!/usr/bin/python3
"""Writes PyTorch's outputs and gradients for the zoo's torchvision models on Strider's deterministic weights.

The weights are not checked in: samples/Zoo writes them (DeterministicWeights: a SplitMix64 stream per state_dict
name), this script loads them into torchvision's model with strict=True, so every name and shape must match, and
writes tests/Strider.EndToEnd.Tests/Data/reference/zoo_<model>.safetensors. The test regenerates the same weights in
C# and compares. Each fixture holds, at 64x64 (vgg11_bn: 32x32) and batch 2, in float64
arithmetic cast to float32:

  y            the eval-mode output for x
  x_head       x's first 8 values, to check both sides drew the same input
and for resnet18 and mobilenet_v2, of one training step (batch statistics) with loss = sum(train_y * dy):
  train_y      the training-mode output
  dx           resnet18: the input gradient; mobilenet_v2: dx_summary, its summary as below
  grad/<name>  per parameter: [sum, sum of |g|, L2 norm, g at 0, n/3, 2n/3 and n-1 (flat, row-major)]

mobilenet_v2's training step runs with each residual block's last BatchNorm weight set to 0 (RESIDUAL_GAMMA, as
torchvision's zero_init_residual does for ResNets): with the plain weights its training-mode gradients are
ill-conditioned. Measured at 64x64, batch 2, as a fraction of the test's tolerance (pass < 1), worst over train_y and
every gradient summary: PyTorch's own float32 against its float64 gives 16.7 (plain weights), 1.07 (weights x 0.1),
15.1 (x 0.01), 0.31 (x 0, leaving aside the gradients that are zero in exact arithmetic); float64 with the input
moved by 1e-7 * N(0, 1) gives 13.8 (plain), 11.4 (x 0.1), 2.4 (x 0.01), 0.30 (x 0); by 1e-6, 155 (plain) and 7.4 (x 0:
Relu6 kinks crossed), so float32 rounding (~6e-8 a step) is about the most it tolerates. 224x224 or batch 8 do not help
(plain weights, float32 against float64: 1.5e-3 and 1.1e-3 relative in the worst summary, 15x and 11x the tolerance).
Gradients zero in exact arithmetic (a BatchNorm bias whose shift the next conv + training-mode BatchNorm removes, and
the residual branches behind a zero weight) come out ~1e-13 in float64 and ~5e-5 in PyTorch's float32; the test
requires their norm below 1e-3. dx is compared as a summary: entry by entry PyTorch's float32 misses float64 by 1.85e-4.

x and dy are DeterministicWeights.Uniform("input", 2*3*H*W) and Uniform("dy", 2*1000) (values in [-1, 1)).
mobilenet_v2's Dropout (classifier.0) draws Strider's mask in training mode: DropoutMask.Value's hash of the seed the
generated network uses for its first training step (seed 1, step 1, the Dropout's layer index, DROPOUT_INDEX), so
both sides drop the same features. Run from the repository root (PyTorch 1.13 and torchvision from Debian):

    /usr/bin/python3 tools/reference/zoo.py             # every model
    /usr/bin/python3 tools/reference/zoo.py resnet18    # one model

Each model's weights come from `dotnet run --project samples/Zoo -c Release -- weights MODEL FILE`, which the script
calls unless --weights-dir names a folder already holding MODEL.safetensors.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
import pt_to_safetensors  # noqa: E402

OUT = os.path.join(ROOT, "tests", "Strider.EndToEnd.Tests", "Data", "reference")
MASK64 = (1 << 64) - 1
SIZE = 64
BATCH = 2
# The layer index of mobilenet_v2's classifier.0 in the generated network (its row among the flat Summary rows).
DROPOUT_INDEX = {"mobilenet_v2": 152}
# name -> what of a training step is compared: "gradients" (output, dx, weight gradients), "output", None.
MODELS = {"resnet18": "gradients", "mobilenet_v2": "gradients", "resnet50": None, "squeezenet1_1": None,
          "shufflenet_v2_x1_0": None, "mobilenet_v3_small": None, "efficientnet_b0": None,
          "densenet121": None, "vgg11_bn": None}
# Residual blocks whose last BatchNorm weight is multiplied by RESIDUAL_GAMMA (in float32) before the training step:
# with the plain weights mobilenet_v2's training-mode gradients are ill-conditioned (see the module doc).
RESIDUAL_GAMMA = {"mobilenet_v2": 0.0}
# vgg11_bn's 530 MB of weights run at 32 (its five pools leave 1x1, which the adaptive pool repeats to 7x7).
SIZES = {"vgg11_bn": 32}


def splitmix(seed, count, offset=0):
    """SplitMix64 outputs for state seed + (offset + i + 1) * golden gamma, i < count (uint64)."""
    i = np.arange(offset + 1, offset + count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15) * i
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def uniform(key, count):
    """DeterministicWeights.Uniform: FNV-1a 64 of the key's UTF-8 bytes seeds the stream; top 24 bits as 2u - 1."""
    seed = 0xCBF29CE484222325
    for b in key.encode("utf-8"):
        seed = ((seed ^ b) * 0x100000001B3) & MASK64
    top = (splitmix(seed, count) >> np.uint64(40)).astype(np.float64)
    return (top * (2.0 / 16777216.0) - 1.0).astype(np.float32)


def dropout_mask(seed, count, rate):
    """DropoutMask.Value for indices 0..count-1: 0 when u < rate, else 1 / (1 - rate), in float32 as Strider computes it."""
    u = (splitmix(seed, count) >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)
    rate = np.float32(rate)
    return np.where(u < rate, np.float32(0), np.float32(1) / (np.float32(1) - rate)).astype(np.float32)


def read_safetensors(path):
    """name -> tensor of a safetensors file (F32 and I64 only, as Strider writes them)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = 8 + length
    state = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = {"F32": "<f4", "I64": "<i8"}[entry["dtype"]]
        state[name] = torch.from_numpy(np.frombuffer(data[body + begin:body + end], dtype=dtype).reshape(entry["shape"]).copy())
    return state


class FixedMask(torch.nn.Module):
    """Multiplies by a fixed mask in training, the identity in eval: Dropout with Strider's draw."""

    def __init__(self, mask):
        super().__init__()
        self.mask = mask

    def forward(self, x):
        return x * self.mask if self.training else x


def weights(model, folder):
    path = os.path.join(folder, model + ".safetensors")
    if not os.path.exists(path):
        subprocess.run(["dotnet", "run", "--project", os.path.join(ROOT, "samples", "Zoo"), "-c", "Release", "--",
                        "weights", model, path], check=True)
    return read_safetensors(path)


def summary(g):
    flat = g.reshape(-1)
    n = flat.numel()
    picks = [flat[i] for i in (0, n // 3, 2 * n // 3, n - 1)]
    return torch.stack([flat.sum(), flat.abs().sum(), flat.norm()] + picks).to(torch.float32)


def scale_residual_gammas(net, gamma):
    """Multiplies the last BatchNorm weight of each residual inverted-residual block by gamma, rounded as float32."""
    with torch.no_grad():
        for block in net.features:
            if getattr(block, "use_res_connect", False):
                bn = block.conv[-1]
                bn.weight.copy_((bn.weight.float() * np.float32(gamma)).double())


def write(model, folder):
    net = getattr(torchvision.models, model)()
    net.load_state_dict(weights(model, folder), strict=True)
    net = net.double()
    size = SIZES.get(model, SIZE)
    x = torch.from_numpy(uniform("input", BATCH * 3 * size * size)).reshape(BATCH, 3, size, size).double()
    out = {"x_head": x.reshape(-1)[:8].float()}
    net.eval()
    with torch.no_grad():
        out["y"] = net(x).float()
    if MODELS[model]:
        if model in DROPOUT_INDEX:
            features = net.classifier[1].in_features
            seed = (1 * 0x9E3779B97F4A7C15 + 1 * 0xBF58476D1CE4E5B9 + DROPOUT_INDEX[model]) & MASK64
            mask = torch.from_numpy(dropout_mask(seed, BATCH * features, net.classifier[0].p)).reshape(BATCH, features)
            net.classifier[0] = FixedMask(mask.double())
        if model in RESIDUAL_GAMMA:
            scale_residual_gammas(net, RESIDUAL_GAMMA[model])
        net.train()
        xt = x.clone().requires_grad_(True)
        y = net(xt)
        out["train_y"] = y.detach().float()
        if MODELS[model] == "gradients":
            dy = torch.from_numpy(uniform("dy", y.numel())).reshape(y.shape).double()
            (y * dy).sum().backward()
            # mobilenet_v2's dx is stable as a whole but not entry by entry (see the module doc): its summary only.
            if model in RESIDUAL_GAMMA:
                out["dx_summary"] = summary(xt.grad)
            else:
                out["dx"] = xt.grad.float()
            for name, p in net.named_parameters():
                out["grad/" + name] = summary(p.grad)
    path = os.path.join(OUT, f"zoo_{model}.safetensors")
    pt_to_safetensors.save(out, path)
    print(f"{model}: {path} ({os.path.getsize(path):,} bytes)")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=list(MODELS), help=f"any of {', '.join(MODELS)}")
    parser.add_argument("--weights-dir", help="a folder holding MODEL.safetensors from the Zoo program (else a temporary one)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.weights_dir:
        for model in args.models:
            write(model, args.weights_dir)
        return
    with tempfile.TemporaryDirectory(prefix="strider-zoo-") as folder:  # the weights are large; nothing keeps them
        for model in args.models:
            write(model, folder)


if __name__ == "__main__":
    main(sys.argv[1:])
