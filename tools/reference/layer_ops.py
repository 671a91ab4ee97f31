#!/usr/bin/python3
"""Writes PyTorch's forward outputs and autograd gradients for Strider's layer ops as safetensors fixtures.

Each file holds, per case, the inputs (random float32, never zero except the kink points named below), the forward
output, an upstream gradient dy and the input and parameter gradients autograd gives for y.backward(dy). The cases'
options are in the file's metadata (key "cases", JSON). Run from the repository root:

    /usr/bin/python3 tools/reference/layer_ops.py

See tools/reference/README.md.
"""
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Strider.Runtime.Tests", "Data", "reference")


def save(name, tensors, cases):
    """Writes a safetensors file (F32/I32 little-endian, offsets in insertion order) with the cases as metadata."""
    header = {"__metadata__": {"cases": json.dumps(cases, sort_keys=True), "torch": torch.__version__}}
    blobs, offset = [], 0
    for key, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int32: "I32"}[t.dtype]
        data = t.numpy().astype("<f4" if dtype == "F32" else "<i4").tobytes()
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def nonzero(gen, *shape, scale=1.0):
    """Normal values scaled by scale, with any exact zero moved away from zero."""
    x = torch.randn(*shape, generator=gen) * scale
    return torch.where(x == 0, torch.full_like(x, 0.5), x)


def run(fn, inputs, gen):
    """y = fn(*inputs) and the gradients of every input for a random upstream gradient."""
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    y = fn(*leaves)
    dy = nonzero(gen, *y.shape)
    y.backward(dy)
    return y, dy, [t.grad for t in leaves]


def activations():
    gen = torch.Generator().manual_seed(13)
    specs = {
        "relu6": ("Relu6", 0.0, 0.0, lambda x: F.relu6(x), [0.0, 6.0]),
        "hardtanh": ("HardTanh", -1.0, 1.0, lambda x: F.hardtanh(x, -1.0, 1.0), [-1.0, 1.0]),
        "hardtanh_asymmetric": ("HardTanh", -0.5, 2.5, lambda x: F.hardtanh(x, -0.5, 2.5), [-0.5, 2.5]),
        "silu": ("Silu", 0.0, 0.0, F.silu, [0.0]),
        "gelu": ("Gelu", 0.0, 0.0, lambda x: F.gelu(x), [0.0]),
        "gelu_tanh": ("GeluTanh", 0.0, 0.0, lambda x: F.gelu(x, approximate="tanh"), [0.0]),
        "hardswish": ("HardSwish", 0.0, 0.0, F.hardswish, [0.0, -3.0, 3.0]),
        "hardsigmoid": ("HardSigmoid", 0.0, 0.0, F.hardsigmoid, [0.0, -3.0, 3.0]),
        "softplus": ("Softplus", 0.0, 0.0, F.softplus, [0.0, 20.0, -20.0]),
    }
    tensors, cases = {}, {}
    for name, (kind, p0, p1, fn, kinks) in specs.items():
        # Random values over the interesting range, the kinks exactly, and values far out on both sides.
        x = torch.cat([nonzero(gen, 2 * 3 * 5 * 7, scale=3.0), torch.tensor(kinks + [-8.0, 8.0, -30.0, 30.0, 1e-3, -1e-3])])
        y, dy, (dx,) = run(fn, [x], gen)
        tensors.update({f"{name}/x": x, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": dx})
        # NaN propagation forward and backward, as PyTorch's CPU kernels do it. 32 values are whole vector iterations:
        # at NaN its vectorised bodies and its scalar tails disagree (hardtanh's gradient 0 or dy), and we follow the bodies.
        xn = nonzero(gen, 32, scale=3.0)
        xn[::3] = float("nan")
        yn, dyn, (dxn,) = run(fn, [xn], gen)
        tensors.update({f"{name}.nan/x": xn, f"{name}.nan/y": yn, f"{name}.nan/dy": dyn, f"{name}.nan/dx": dxn})
        cases[name] = {"activation": kind, "p0": p0, "p1": p1}
        cases[name + ".nan"] = {"activation": kind, "p0": p0, "p1": p1}
    save("activations", tensors, cases)


def prelu():
    gen = torch.Generator().manual_seed(14)
    tensors, cases = {}, {}
    for name, shape in {"image": (2, 5, 9, 7), "sequence": (3, 4, 11), "nan": (2, 3, 32)}.items():
        x = nonzero(gen, *shape, scale=2.0)
        if name == "nan":
            x[0, 1, ::5] = float("nan")
        slope = nonzero(gen, shape[1], scale=0.5)
        y, dy, (dx, dslope) = run(F.prelu, [x, slope], gen)
        tensors.update({f"{name}/x": x, f"{name}/slope": slope, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": dx, f"{name}/dslope": dslope})
        cases[name] = {"n": shape[0], "channels": shape[1], "inner": int(torch.tensor(shape[2:]).prod())}
    save("prelu", tensors, cases)


def pooling():
    gen = torch.Generator().manual_seed(15)
    tensors, cases = {}, {}
    specs = {
        # name: (op, input shape [n, c, h, w] (1-D as h = 1), output size, input transform)
        "global_avg": ("avg", (2, 3, 7, 5), (1, 1), None),
        "global_max": ("max", (2, 3, 7, 5), (1, 1), None),
        "global_avg_1d": ("avg", (2, 4, 1, 13), (1, 1), None),
        "global_max_1d": ("max", (2, 4, 1, 13), (1, 1), None),
        "adaptive_avg_overlapping": ("avg", (2, 3, 7, 5), (3, 4), None),
        "adaptive_max_overlapping": ("max", (2, 3, 7, 5), (3, 4), None),
        "adaptive_avg_larger_output": ("avg", (1, 2, 5, 5), (7, 3), None),
        "adaptive_max_larger_output": ("max", (1, 2, 5, 5), (7, 3), None),
        "adaptive_avg_1d": ("avg", (2, 3, 1, 10), (1, 4), None),
        "adaptive_max_1d": ("max", (2, 3, 1, 10), (1, 4), None),
        # Values on a coarse grid, so windows hold equal maxima: PyTorch keeps the first.
        "adaptive_max_ties": ("max", (2, 2, 6, 6), (4, 3), "ties"),
        "adaptive_max.nan": ("max", (1, 2, 6, 6), (2, 2), "nan"),
        "adaptive_avg.nan": ("avg", (1, 2, 6, 6), (2, 2), "nan"),
    }
    for name, (op, shape, out, transform) in specs.items():
        x = nonzero(gen, *shape)
        if transform == "ties":
            x = torch.round(x * 2) / 2 + 0.25
        if transform == "nan":
            x[0, 0, 1, 1] = x[0, 0, 2, 0] = x[0, 1, 4, 5] = float("nan")
        if op == "avg":
            y, dy, (dx,) = run(lambda v: F.adaptive_avg_pool2d(v, out), [x], gen)
        else:
            y, dy, (dx,) = run(lambda v: F.adaptive_max_pool2d(v, out), [x], gen)
            _, idx = F.adaptive_max_pool2d(x, out, return_indices=True)
            tensors[f"{name}/switches"] = idx.to(torch.float32)
        tensors.update({f"{name}/x": x, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": dx})
        cases[name] = {"op": op, "n": shape[0], "channels": shape[1], "inH": shape[2], "inW": shape[3], "outH": out[0], "outW": out[1]}
    save("pooling", tensors, cases)


def resampling():
    gen = torch.Generator().manual_seed(16)
    tensors, cases = {}, {}
    specs = {
        # name: (mode, align_corners, input shape [n, c, h, w] (1-D as h = 1), scale (h, w))
        "nearest_2x": ("nearest", False, (2, 3, 4, 5), (2, 2)),
        "nearest_3x2": ("nearest", False, (1, 2, 3, 4), (3, 2)),
        "nearest_1d": ("nearest", False, (2, 3, 1, 6), (1, 4)),
        "bilinear_2x": ("bilinear", False, (2, 3, 4, 5), (2, 2)),
        "bilinear_3x": ("bilinear", False, (1, 2, 5, 3), (3, 3)),
        "bilinear_2x_align_corners": ("bilinear", True, (2, 3, 4, 5), (2, 2)),
        "bilinear_3x_align_corners": ("bilinear", True, (1, 2, 3, 6), (3, 3)),
        "bilinear_1d": ("bilinear", False, (2, 2, 1, 7), (1, 2)),
    }
    for name, (mode, align, shape, scale) in specs.items():
        x = nonzero(gen, *shape)
        size = (shape[2] * scale[0], shape[3] * scale[1])
        kwargs = {"align_corners": align} if mode == "bilinear" else {}
        y, dy, (dx,) = run(lambda v: F.interpolate(v, size=size, mode=mode, **kwargs), [x], gen)
        tensors.update({f"{name}/x": x, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": dx})
        cases[name] = {"op": "upsample", "mode": mode, "alignCorners": align, "n": shape[0], "channels": shape[1],
                       "inH": shape[2], "inW": shape[3], "outH": size[0], "outW": size[1]}
    for name, (shape, r) in {"pixel_shuffle_2": ((2, 12, 3, 4), 2), "pixel_shuffle_3": ((1, 18, 2, 3), 3)}.items():
        x = nonzero(gen, *shape)
        y, dy, (dx,) = run(lambda v: F.pixel_shuffle(v, r), [x], gen)
        tensors.update({f"{name}/x": x, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": dx})
        cases[name] = {"op": "pixel_shuffle", "n": shape[0], "channels": shape[1] // (r * r), "h": shape[2], "w": shape[3], "r": r}
    save("resampling", tensors, cases)


def broadcast():
    gen = torch.Generator().manual_seed(17)
    tensors, cases = {}, {}
    for op in ("add", "multiply"):
        for label, shape in {"image": (2, 4, 5, 6), "sequence": (2, 3, 1, 9)}.items():
            name = f"{op}_{label}"
            full = nonzero(gen, *shape)
            gate = nonzero(gen, shape[0], shape[1], 1, 1)
            fn = (lambda a, b: a + b) if op == "add" else (lambda a, b: a * b)
            y, dy, (dfull, dgate) = run(fn, [full, gate], gen)
            tensors.update({f"{name}/full": full, f"{name}/gate": gate, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dfull": dfull, f"{name}/dgate": dgate})
            cases[name] = {"op": op, "n": shape[0], "channels": shape[1], "inner": shape[2] * shape[3]}
    save("broadcast", tensors, cases)


def layer_norm_2d(x, weight, bias, eps):
    """ConvNeXt's LayerNorm2d: PyTorch's layer_norm over the channels of a channels-last view."""
    y = F.layer_norm(x.movedim(1, -1), (x.shape[1],), weight, bias, eps)
    return y.movedim(-1, 1)


def normalization():
    gen = torch.Generator().manual_seed(18)
    tensors, cases = {}, {}
    specs = {
        # name: (kind, input shape, groups, eps, affine)
        "group_norm_2_groups": ("group", (2, 6, 4, 5), 2, 1e-5, True),
        "group_norm_per_channel": ("group", (2, 4, 3, 3), 4, 1e-5, True),
        "group_norm_one_group": ("group", (3, 4, 2, 5), 1, 1e-3, True),
        "group_norm_1d_no_affine": ("group", (2, 6, 1, 11), 3, 1e-5, False),
        "layer_norm_2d": ("layer", (2, 5, 4, 3), 1, 1e-6, True),
        "layer_norm_1d": ("layer", (3, 8, 1, 7), 1, 1e-5, True),
        "layer_norm_no_affine": ("layer", (2, 3, 2, 2), 1, 1e-5, False),
    }
    for name, (kind, shape, groups, eps, affine) in specs.items():
        x = nonzero(gen, *shape, scale=2.0) + 0.5
        c = shape[1]
        params = [nonzero(gen, c, scale=0.5) + 1.0, nonzero(gen, c, scale=0.5)] if affine else []
        if kind == "group":
            fn = (lambda v, w, b: F.group_norm(v, groups, w, b, eps)) if affine else (lambda v: F.group_norm(v, groups, None, None, eps))
        else:
            fn = (lambda v, w, b: layer_norm_2d(v, w, b, eps)) if affine else (lambda v: layer_norm_2d(v, None, None, eps))
        y, dy, grads = run(fn, [x] + params, gen)
        tensors.update({f"{name}/x": x, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": grads[0]})
        if affine:
            tensors.update({f"{name}/gamma": params[0], f"{name}/beta": params[1], f"{name}/dgamma": grads[1], f"{name}/dbeta": grads[2]})
        cases[name] = {"kind": kind, "n": shape[0], "channels": c, "inner": shape[2] * shape[3], "groups": groups, "epsilon": eps, "affine": affine}
    save("normalization", tensors, cases)


def convolution():
    gen = torch.Generator().manual_seed(19)
    tensors, cases = {}, {}
    specs = {
        # name: (input [n, c, h, w], out channels, kernel (h, w), stride, padding (h, w), dilation, groups)
        "grouped_3x3": ((2, 4, 6, 5), 6, (3, 3), 1, (1, 1), 1, 2),
        "depthwise_3x3": ((2, 4, 7, 8), 4, (3, 3), 1, (1, 1), 1, 4),
        "depthwise_wide_rows": ((1, 2, 5, 21), 2, (3, 3), 1, (1, 1), 1, 2),
        "depthwise_multiplier_stride_2": ((1, 3, 9, 9), 6, (3, 3), 2, (1, 1), 1, 3),
        "depthwise_dilated": ((1, 2, 8, 10), 2, (3, 3), 1, (2, 2), 2, 2),
        "depthwise_1d": ((2, 3, 1, 12), 3, (1, 5), 1, (0, 2), 1, 3),
    }
    for name, (shape, out, k, stride, pad, dil, groups) in specs.items():
        x = nonzero(gen, *shape)
        w = nonzero(gen, out, shape[1] // groups, *k, scale=0.5)
        b = nonzero(gen, out, scale=0.5)
        y, dy, (dx, dw, db) = run(lambda v, wv, bv: F.conv2d(v, wv, bv, stride, pad, dil, groups), [x, w, b], gen)
        tensors.update({f"{name}/x": x, f"{name}/w": w, f"{name}/b": b, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": dx, f"{name}/dw": dw, f"{name}/db": db})
        cases[name] = {"transposed": False, "n": shape[0], "inChannels": shape[1], "inH": shape[2], "inW": shape[3], "outChannels": out,
                       "outH": y.shape[2], "outW": y.shape[3], "kernelH": k[0], "kernelW": k[1], "stride": stride, "padH": pad[0], "padW": pad[1],
                       "dilation": dil, "groups": groups}
    # A grouped transposed convolution: weights [in, out / groups, kh, kw]. As Strider runs it, the backward-data pass of
    # the convolution from its output (InChannels = out) to its input (OutChannels = in) with the same groups.
    for name, (shape, out, k, stride, pad, outpad, groups) in {
        "deconv_grouped_stride_2": ((2, 4, 4, 5), 6, (3, 3), 2, (1, 1), 1, 2),
        "deconv_depthwise": ((1, 3, 5, 4), 3, (4, 4), 2, (1, 1), 0, 3),
    }.items():
        x = nonzero(gen, *shape)
        w = nonzero(gen, shape[1], out // groups, *k, scale=0.5)
        b = nonzero(gen, out, scale=0.5)
        y, dy, (dx, dw, db) = run(lambda v, wv, bv: F.conv_transpose2d(v, wv, bv, stride, pad, outpad, groups), [x, w, b], gen)
        tensors.update({f"{name}/x": x, f"{name}/w": w, f"{name}/b": b, f"{name}/y": y, f"{name}/dy": dy, f"{name}/dx": dx, f"{name}/dw": dw, f"{name}/db": db})
        cases[name] = {"transposed": True, "n": shape[0], "inChannels": out, "inH": y.shape[2], "inW": y.shape[3], "outChannels": shape[1],
                       "outH": shape[2], "outW": shape[3], "kernelH": k[0], "kernelW": k[1], "stride": stride, "padH": pad[0], "padW": pad[1],
                       "dilation": 1, "groups": groups}
    save("convolution", tensors, cases)


def main():
    torch.use_deterministic_algorithms(True)
    sections = {"activations": activations, "prelu": prelu, "pooling": pooling, "resampling": resampling, "broadcast": broadcast, "normalization": normalization, "convolution": convolution}
    for name in sys.argv[1:] or sections:
        sections[name]()
        print("wrote", name)


if __name__ == "__main__":
    main()
