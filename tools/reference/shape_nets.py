#!/usr/bin/python3
"""Writes small networks with Strider's shape-changing layer kinds as PyTorch computes them, for the end-to-end tests.

Per network two safetensors files in tests/Strider.EndToEnd.Tests/Data/reference: <net>.weights (the parameters under
PyTorch's names, which are Strider's: SafeTensors.Load reads it) and <net>.io (x, y = net(x), an upstream gradient dy,
dx from y.backward(dy) and each parameter's gradient as grad/<name>). Run from the repository root:

    /usr/bin/python3 tools/reference/shape_nets.py

See tools/reference/README.md.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_ops  # noqa: E402  (its safetensors writer)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Strider.EndToEnd.Tests", "Data", "reference")


class Named(nn.Module):
    """Layers applied in order, registered under Strider's layer names so parameter names match."""

    def __init__(self, layers):
        super().__init__()
        self.order = [name for name, _ in layers]
        for name, layer in layers:
            self.add_module(name, layer)

    def forward(self, x):
        for name in self.order:
            x = getattr(self, name)(x)
        return x


def write(name, net, x, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(layer_ops.nonzero(gen, *p.shape, scale=0.5))
    x = x.clone().requires_grad_(True)
    y = net(x)
    dy = layer_ops.nonzero(gen, *y.shape)
    y.backward(dy)
    layer_ops.OUT = OUT
    layer_ops.save(name + ".weights", {k: v for k, v in net.named_parameters()}, [name])
    io = {"x": x, "y": y, "dy": dy, "dx": x.grad}
    io.update({"grad/" + k: v.grad for k, v in net.named_parameters()})
    layer_ops.save(name + ".io", io, [name])


def main():
    gen = torch.Generator().manual_seed(1313)
    # A free-size (Dim.Any) network ending in a Dense head, run at 9x11.
    write("global_avg_head", Named([
        ("conv", nn.Conv2d(2, 4, 3, stride=2)), ("relu1", nn.ReLU()), ("gpool1", nn.AdaptiveAvgPool2d(1)),
        ("flatten1", nn.Flatten()), ("fc", nn.Linear(4, 3))]), layer_ops.nonzero(gen, 2, 2, 9, 11), 1)
    write("global_max_head_1d", Named([
        ("conv", nn.Conv1d(2, 4, 3)), ("gpool1", nn.AdaptiveMaxPool1d(1)),
        ("flatten1", nn.Flatten()), ("fc", nn.Linear(4, 3))]), layer_ops.nonzero(gen, 2, 2, 13), 2)
    # Uneven windows (5 -> 3, 8 -> 3), then an output larger than its input (3 -> 4 repeats rows).
    write("adaptive_pools", Named([
        ("conv", nn.Conv2d(2, 3, 3)), ("apool1", nn.AdaptiveAvgPool2d((3, 3))), ("apool2", nn.AdaptiveMaxPool2d((4, 2))),
        ("flatten1", nn.Flatten()), ("fc", nn.Linear(24, 2))]), layer_ops.nonzero(gen, 2, 2, 7, 10), 3)

    # An FPN step on free sizes (multiples of 4): down twice, nearest upsample, add the skip, then PixelShuffle.
    write("fpn_upsample_shuffle", Fpn(), layer_ops.nonzero(gen, 2, 2, 8, 12), 4)
    # Bilinear (rectangular scale, then align_corners) and 1-D nearest.
    write("bilinear", Named([
        ("conv", nn.Conv2d(2, 3, 3, padding=1)), ("up1", nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=False)),
        ("up2", nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True))]), layer_ops.nonzero(gen, 2, 2, 5, 4), 5)
    write("nearest_1d", Named([
        ("conv", nn.Conv1d(2, 3, 3)), ("up1", nn.Upsample(scale_factor=3, mode="nearest"))]), layer_ops.nonzero(gen, 2, 2, 7), 6)

    # ShuffleNet-style unit on free sizes: split, conv one half, concat, shuffle, then ResNet option-A channel padding.
    write("channel_ops", ShuffleUnit(), layer_ops.nonzero(gen, 2, 4, 5, 6), 7)


class ShuffleUnit(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)
        self.head = nn.Conv2d(7, 3, 1)

    def forward(self, x):
        a, b = x[:, 0:2], x[:, 2:4]
        y = torch.cat([a, self.conv(b)], 1)
        n, c, h, w = y.shape
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        y = nn.functional.pad(y, (0, 0, 0, 0, 1, 2))
        return self.head(y)


class Fpn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 2, stride=2)
        self.c2 = nn.Conv2d(4, 4, 2, stride=2)
        self.c3 = nn.Conv2d(4, 8, 1)

    def forward(self, x):
        a = self.c1(x)
        up = nn.functional.interpolate(self.c2(a), scale_factor=2, mode="nearest")
        return nn.functional.pixel_shuffle(self.c3(a + up), 2)


if __name__ == "__main__":
    main()
