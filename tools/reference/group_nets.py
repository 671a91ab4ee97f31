#!/usr/bin/python3
"""Writes PyTorch references for whole Strider networks with grouped convolutions and elementwise gates.

One file, tests/Strider.EndToEnd.Tests/Data/reference/group_nets.safetensors, holds per network (the C# declarations
are in tests/Strider.EndToEnd.Tests/GroupNetworks.cs, with the same layer names):
  <net>/<param>          every parameter and BatchNorm buffer under its PyTorch state_dict name (num_batches_tracked left out)
  <net>/x                the input [2, C, H, W]
  <net>/y_eval           the output in eval mode (running statistics; Strider folds a BatchNorm into a Conv here)
  <net>/y, <net>/dy      the training-mode output and the upstream gradient
  <net>/dx               the input gradient of y.backward(dy) in training mode
  <net>/grad/<param>     the parameter gradients of the same backward
Run from the repository root (PyTorch 1.13 from Debian: apt-get install python3-torch python3-torchvision):

    /usr/bin/python3 tools/reference/group_nets.py
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layer_ops  # noqa: E402  (its safetensors writer)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Strider.EndToEnd.Tests", "Data", "reference")


class DepthwiseSeparable(nn.Module):
    """MobileNet's block: depthwise 3x3 (Groups = channels, no bias), BatchNorm, Relu, pointwise 1x1."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.pw = nn.Conv2d(4, 8, 1)

    def forward(self, x):
        return self.pw(F.relu(self.bn(self.dw(x))))


class Grouped(nn.Module):
    """Two groups through a 3x3 and a strided 1x1 convolution."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 6, 3, groups=2)
        self.c2 = nn.Conv2d(6, 4, 1, stride=2, groups=2)

    def forward(self, x):
        return self.c2(F.relu(self.c1(x)))


class GroupedDeconv(nn.Module):
    """A strided grouped transposed convolution, then BatchNorm (not folded into a grouped Deconv) and Relu."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
        self.bn = nn.BatchNorm2d(6)

    def forward(self, x):
        return F.relu(self.bn(self.up(x)))


class TiedGrouped(nn.Module):
    """A grouped Conv and the grouped Deconv that reads its weights transposed (Strider's TiedTo)."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(4, 6, 3, groups=2)
        self.dec_bias = nn.Parameter(torch.zeros(4))

    def forward(self, x):
        return F.conv_transpose2d(F.relu(self.enc(x)), self.enc.weight, self.dec_bias, groups=2)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: full-size average pool, 1x1 bottleneck, sigmoid gate multiplied into the features."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc1 = nn.Conv2d(8, 2, 1)
        self.fc2 = nn.Conv2d(2, 8, 1)

    def forward(self, x):
        act = F.relu(self.conv(x))
        gate = torch.sigmoid(self.fc2(F.relu(self.fc1(F.avg_pool2d(act, 4)))))
        return act * gate


class BroadcastAdd(nn.Module):
    """A per-channel mean added back to the features (broadcast Add), then multiplied by them (equal shapes)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        c = self.c(x)
        s = F.avg_pool2d(c, 4) + c
        return s * c


NETS = {
    "depthwise": (DepthwiseSeparable, (4, 8, 8)),
    "grouped": (Grouped, (4, 6, 6)),
    "grouped_deconv": (GroupedDeconv, (4, 5, 5)),
    "tied_grouped": (TiedGrouped, (4, 6, 6)),
    "squeeze_excite": (SqueezeExcite, (3, 4, 4)),
    "broadcast_add": (BroadcastAdd, (3, 4, 4)),
}


def main():
    torch.manual_seed(13)
    gen = torch.Generator().manual_seed(13)
    tensors = {}
    for name, (cls, shape) in NETS.items():
        net = cls()
        with torch.no_grad():
            for p in net.parameters():
                p.copy_(layer_ops.nonzero(gen, *p.shape, scale=0.5))
            for m in net.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.copy_(layer_ops.nonzero(gen, m.num_features, scale=0.3))
                    m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
        state = {k: v.clone() for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
        x = layer_ops.nonzero(gen, 2, *shape)
        net.eval()
        with torch.no_grad():
            y_eval = net(x)
        net.train()
        xg = x.clone().requires_grad_(True)
        y = net(xg)
        dy = layer_ops.nonzero(gen, *y.shape)
        y.backward(dy)
        for k, v in state.items():
            # Strider's tied Deconv has no weight of its own: its bias is named as its layer.
            tensors[f"{name}/{k.replace('dec_bias', 'dec.bias')}"] = v
        tensors.update({f"{name}/x": x, f"{name}/y_eval": y_eval, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": xg.grad})
        for k, p in net.named_parameters():
            tensors[f"{name}/grad/{k.replace('dec_bias', 'dec.bias')}"] = p.grad
    layer_ops.OUT = OUT
    layer_ops.save("group_nets", tensors, {n: list(s) for n, (_, s) in NETS.items()})


if __name__ == "__main__":
    main()
