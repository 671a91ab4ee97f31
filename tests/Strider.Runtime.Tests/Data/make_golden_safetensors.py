#!/usr/bin/env python3
"""Writes golden.safetensors: a tiny conv/batch-norm/dense state_dict in the safetensors format.

The bytes are written by hand from the safetensors spec (8-byte little-endian header length, a compact JSON header
with __metadata__ first and tensors ordered as the reference `safetensors` library orders them: larger dtypes first
(BatchNorm's int64 num_batches_tracked before the float32 tensors), then by name; padded with spaces to a multiple of
8, then little-endian data). When PyTorch is installed the script also checks that the names and shapes are exactly an
nn.Module's state_dict, that the module loads the file strictly, and, when the `safetensors` package is present, that
safetensors.torch.save_file writes identical bytes.

Run: python3 make_golden_safetensors.py   (from this folder; rewrites golden.safetensors; Debian: /usr/bin/python3 with python3-torch)
"""
import json
import os
import struct

# name -> shape, in the order a PyTorch module declares them; values are value(k) for a running index k.
TENSORS = [
    ("conv1.weight", [2, 1, 3, 3]),
    ("conv1.bias", [2]),
    ("bn1.weight", [2]),
    ("bn1.bias", [2]),
    ("bn1.running_mean", [2]),
    ("bn1.running_var", [2]),
    ("fc.weight", [3, 8]),
    ("fc.bias", [3]),
]

# BatchNorm's step count: an int64 scalar (shape []), which Strider carries from Load to Save.
COUNTS = [("bn1.num_batches_tracked", 7)]


def value(k):
    # Exactly representable in float32, so every tool agrees on the bits.
    return (k - 20) * 0.125


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def tensor_values():
    k = 0
    out = {}
    for name, shape in TENSORS:
        out[name] = [value(k + i) for i in range(numel(shape))]
        k += numel(shape)
    return out


def golden_bytes():
    values = tensor_values()
    header = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, count in sorted(COUNTS):
        blob = struct.pack("<q", count)
        header[name] = {"dtype": "I64", "shape": [], "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    for name, shape in sorted(TENSORS):
        blob = struct.pack("<%df" % len(values[name]), *values[name])
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def check_with_torch(blob):
    try:
        import torch
    except ImportError:
        print("PyTorch not installed: skipped the state_dict check")
        return

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 2, 3)
            self.bn1 = torch.nn.BatchNorm2d(2)
            self.fc = torch.nn.Linear(8, 3)

    net = Net()
    expected = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert expected == dict(TENSORS + [(name, []) for name, _ in COUNTS]), expected

    # Parse the file with nothing but the spec and torch.frombuffer, then load it strictly.
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dtype = torch.int64 if info["dtype"] == "I64" else torch.float32
        state[name] = torch.frombuffer(bytearray(data[b:e]), dtype=dtype).reshape(info["shape"])
    net.load_state_dict(state, strict=True)
    assert net.fc.bias.tolist() == tensor_values()["fc.bias"]
    assert net.bn1.num_batches_tracked.item() == 7
    print("PyTorch", torch.__version__, "loads the file strictly into an nn.Module with the same state_dict names")

    try:
        from safetensors.torch import save_file
    except ImportError:
        print("safetensors package not installed: skipped the byte comparison with save_file")
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.reference.safetensors")
    save_file({k: v.contiguous() for k, v in state.items()}, path, metadata={"format": "pt"})
    with open(path, "rb") as f:
        assert f.read() == blob, "safetensors.torch.save_file wrote different bytes"
    os.remove(path)
    print("safetensors.torch.save_file writes identical bytes")


if __name__ == "__main__":
    blob = golden_bytes()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.safetensors")
    with open(out, "wb") as f:
        f.write(blob)
    print("wrote", out, len(blob), "bytes")
    check_with_torch(blob)
