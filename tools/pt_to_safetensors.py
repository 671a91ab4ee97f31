#!/usr/bin/env python3
"""Converts a PyTorch .pt/.pth file to safetensors for Strider's net.Load, keeping the state_dict names as they are.

The file may hold a state_dict, a checkpoint dict with the state_dict under "state_dict" or "model", or (with
--unpickle-module, since unpickling a module runs code from the file) a whole pickled nn.Module, whose state_dict
is taken. Floating-point tensors are written as F32, integer ones (BatchNorm's num_batches_tracked) as I64, laid out as
the reference safetensors library and Strider's Save lay them out (I64 first, then by name, header padded to 8 bytes),
so the `safetensors` package is not needed. Usage:

    python3 tools/pt_to_safetensors.py resnet18.pth resnet18.safetensors [--strip-prefix module.]
"""
import argparse
import json
import struct
import sys

import torch


def state_dict_of(obj):
    """The name -> tensor mapping inside what torch.load returned."""
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if key in obj and not torch.is_tensor(obj[key]):
                return state_dict_of(obj[key])
        tensors = {k: v for k, v in obj.items() if torch.is_tensor(v)}
        if tensors:
            return tensors
    raise ValueError(f"found {type(obj).__name__}, not a state_dict, a checkpoint dict with 'state_dict' or 'model', or an nn.Module")


def safetensors_bytes(state, metadata=None):
    """The whole file: F32 for floating-point tensors, I64 for integer ones; anything else is refused, naming it."""
    entries = []
    for name, t in state.items():
        t = t.detach().cpu().contiguous()
        if t.is_floating_point():
            entries.append((name, "F32", list(t.shape), t.to(torch.float32).numpy().astype("<f4").tobytes()))
        elif t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
            entries.append((name, "I64", list(t.shape), t.to(torch.int64).numpy().astype("<i8").tobytes()))
        else:
            raise ValueError(f"'{name}' is {t.dtype}; only floating-point and integer tensors convert")
    # The reference library's order: larger dtypes first (I64 before F32), then names.
    entries.sort(key=lambda e: (e[1] != "I64", e[0]))
    header = {"__metadata__": metadata if metadata is not None else {"format": "pt"}}
    offset = 0
    for name, dtype, shape, data in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(e[3] for e in entries)


def save(state, path, metadata=None):
    """Writes a state_dict (name -> tensor) to a safetensors file."""
    with open(path, "wb") as f:
        f.write(safetensors_bytes(state, metadata))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="the .pt or .pth file")
    parser.add_argument("target", help="the .safetensors file to write")
    parser.add_argument("--strip-prefix", default="", help="removed from names that start with it (nn.DataParallel's 'module.')")
    parser.add_argument("--unpickle-module", action="store_true", help="allow a whole pickled nn.Module (runs code from the file: trusted files only)")
    args = parser.parse_args(argv)
    try:
        obj = torch.load(args.source, map_location="cpu", weights_only=not args.unpickle_module)
    except Exception as e:  # torch raises UnpicklingError or RuntimeError, by version
        sys.exit(f"Cannot read '{args.source}' as tensors only ({e}); if it is a whole pickled module you trust, add --unpickle-module")
    try:
        state = state_dict_of(obj)
        if args.strip_prefix:
            state = {k[len(args.strip_prefix):] if k.startswith(args.strip_prefix) else k: v for k, v in state.items()}
        save(state, args.target)
    except ValueError as e:
        sys.exit(f"Cannot convert '{args.source}': {e}")
    print(f"wrote {args.target}: {len(state)} tensors")


if __name__ == "__main__":
    main(sys.argv[1:])
