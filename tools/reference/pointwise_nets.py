#!/usr/bin/python3
"""Writes PyTorch fixtures for the EndToEnd tests of issue 13's pointwise layer kinds: small whole networks.

Each file is one network (declared with the same layers in tests/Strider.EndToEnd.Tests/PointwiseNetworks.cs): its
parameters under their state_dict names, the input `input`, PyTorch's `output`, an upstream gradient `output_grad`, and
what y.backward(output_grad) gives: `input_grad` and `<parameter>.grad`. Run from the repository root:

    /usr/bin/python3 tools/reference/pointwise_nets.py

See tools/reference/README.md.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_ops  # noqa: E402  (its safetensors writer and nonzero draws)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Strider.EndToEnd.Tests", "Data", "pointwise")


def write(name, net, x, gen):
    """Runs net on x with autograd and writes its parameters, input, output and gradients."""
    x = x.clone().requires_grad_(True)
    y = net(x)
    dy = layer_ops.nonzero(gen, *y.shape)
    y.backward(dy)
    tensors = {k: v for k, v in net.state_dict().items()}
    tensors.update({"input": x, "output": y, "output_grad": dy, "input_grad": x.grad})
    for k, p in net.named_parameters():
        tensors[k + ".grad"] = p.grad
    layer_ops.OUT = OUT  # the writer's folder: this script's fixtures go to the EndToEnd tests
    layer_ops.save(name, tensors, {"network": str(net)})


class Named(nn.Module):
    """Layers under the names the Strider network gives them (state_dict keys c1.weight, ...)."""

    def __init__(self, layers):
        super().__init__()
        self.order = []
        for name, layer in layers:
            self.add_module(name, layer)
            self.order.append(name)

    def forward(self, x):
        for name in self.order:
            x = getattr(self, name)(x)
        return x


def conv(gen, cin, cout, k, scale):
    c = nn.Conv2d(cin, cout, k, padding=k // 2)
    with torch.no_grad():
        c.weight.copy_(torch.randn(c.weight.shape, generator=gen) * scale)
        c.bias.copy_(torch.randn(c.bias.shape, generator=gen) * 0.5)
    return c


def activations():
    """Every new activation between convolutions; weights large enough that Relu6 and HardTanh clamp on both sides."""
    gen = torch.Generator().manual_seed(1313)
    net = Named([
        ("c1", conv(gen, 3, 4, 3, 0.6)), ("relu6", nn.ReLU6()),
        ("c2", conv(gen, 4, 4, 3, 0.3)), ("hardtanh", nn.Hardtanh(-0.5, 0.75)),
        ("c3", conv(gen, 4, 4, 1, 1.5)), ("silu", nn.SiLU()), ("gelu", nn.GELU()),
        ("c4", conv(gen, 4, 4, 1, 1.5)), ("gelu_tanh", nn.GELU(approximate="tanh")), ("hardswish", nn.Hardswish()),
        ("c5", conv(gen, 4, 4, 1, 2.0)), ("hardsigmoid", nn.Hardsigmoid()),
        ("c6", conv(gen, 4, 2, 1, 2.0)), ("softplus", nn.Softplus()),
    ])
    write("activations", net, layer_ops.nonzero(gen, 2, 3, 6, 6, scale=2.0), gen)


def prelu(channels, gen):
    p = nn.PReLU(channels)
    with torch.no_grad():
        p.weight.copy_(torch.rand(p.weight.shape, generator=gen) * 0.6 - 0.1)  # not PyTorch's 0.25: the load must matter
    return p


def prelus():
    """PRelu first (its input is the network's), per channel after a conv, and one shared slope."""
    gen = torch.Generator().manual_seed(1314)
    net = Named([
        ("p0", prelu(3, gen)), ("c1", conv(gen, 3, 4, 3, 0.5)), ("p1", prelu(4, gen)),
        ("c2", conv(gen, 4, 2, 1, 0.8)), ("p2", prelu(1, gen)),
    ])
    write("prelu", net, layer_ops.nonzero(gen, 2, 3, 6, 6), gen)


class LayerNorm2d(nn.LayerNorm):
    """ConvNeXt's LayerNorm2d: nn.LayerNorm over the channels at each position (its parameters keep LayerNorm's names)."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def affine(norm, gen):
    with torch.no_grad():
        norm.weight.copy_(torch.randn(norm.weight.shape, generator=gen) * 0.5 + 1)
        norm.bias.copy_(torch.randn(norm.bias.shape, generator=gen) * 0.5)
    return norm


def norms():
    """GroupNorm (3 groups of 2 channels, PyTorch's eps) and LayerNorm over channels with ConvNeXt's eps 1e-6."""
    gen = torch.Generator().manual_seed(1315)
    net = Named([
        ("c1", conv(gen, 4, 6, 3, 0.5)), ("g1", affine(nn.GroupNorm(3, 6), gen)),
        ("c2", conv(gen, 6, 4, 1, 0.5)), ("ln1", affine(LayerNorm2d(4, eps=1e-6), gen)),
        ("c3", conv(gen, 4, 2, 1, 0.5)),
    ])
    write("norms", net, layer_ops.nonzero(gen, 2, 4, 5, 5) + 0.5, gen)


FIXTURES = {"activations": activations, "prelu": prelus, "norms": norms}

if __name__ == "__main__":
    for key in sys.argv[1:] or FIXTURES:
        FIXTURES[key]()
