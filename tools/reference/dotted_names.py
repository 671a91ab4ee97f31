#!/usr/bin/python3
"""Writes a PyTorch reference for a Strider network whose layer names are nested module paths.

A small torchvision-style module (features.0 conv, features.1 batch norm, a residual block layer1.0 with conv1/bn1/
conv2/bn2, classifier.1 linear) has its state_dict written, names untouched, by tools/pt_to_safetensors.py's own
writer into tests/Strider.EndToEnd.Tests/Data/reference/dotted_names.weights.safetensors (num_batches_tracked
included, as I64). dotted_names.io.safetensors holds the input `x` [2, 3, 8, 8] and the eval-mode output `y`. The C#
declaration with the same names is in tests/Strider.EndToEnd.Tests/DottedNameTests.cs; it loads the weights file
as it is. Run from the repository root (PyTorch 1.13 from Debian: apt-get install python3-torch):

    /usr/bin/python3 tools/reference/dotted_names.py
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import pt_to_safetensors  # noqa: E402  (the converter's writer, so the fixture is what a user's conversion gives)

OUT = os.path.join(HERE, "..", "..", "tests", "Strider.EndToEnd.Tests", "Data", "reference")


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock without downsampling: conv1, bn1, relu, conv2, bn2, + x, relu."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + x)


class DottedNames(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.layer1 = nn.Sequential(BasicBlock(4))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(4, 5))

    def forward(self, x):
        x = self.layer1(self.features(x))
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    gen = torch.Generator().manual_seed(1414)
    net = DottedNames()
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("num_batches_tracked"):
                t.fill_(3 + len(name) % 5)  # distinct counts, so a test can see them carried
            elif name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=gen))
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * 0.5)
    net.eval()
    x = torch.randn(2, 3, 8, 8, generator=gen)
    with torch.no_grad():
        y = net(x)
    os.makedirs(OUT, exist_ok=True)
    pt_to_safetensors.save(net.state_dict(), os.path.join(OUT, "dotted_names.weights.safetensors"))
    pt_to_safetensors.save({"x": x, "y": y}, os.path.join(OUT, "dotted_names.io.safetensors"))
    print("wrote dotted_names.weights/io.safetensors:", ", ".join(net.state_dict().keys()))


if __name__ == "__main__":
    main()
