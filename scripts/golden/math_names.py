#!/usr/bin/env python3
"""Golden cases for elementwise math, comparisons and torch.nn.functional names (issue 12, part B).

Run by hand with PyTorch (CPU, float64):
    /tmp/ember-torch-venv/bin/python scripts/golden/math_names.py
writes tests/src/test/resources/golden/math.json in the format of golden-cases.json (see
/work/shared/golden/README.md). Non-finite numbers are written as the strings "NaN", "Infinity"
and "-Infinity" (JSON has no literal for them). Inputs are multiples of 1/8 or other values exact in
float32 wherever rounding direction matters (floor_divide, round), so the float32 replay sees the
same decisions as PyTorch's float64 run.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(12)
NAN, INF = float("nan"), float("inf")


def enc(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
    return v


def data(t):
    dtype = str(t.dtype).replace("torch.", "")
    flat = t.detach().reshape(-1).tolist()
    return {"shape": list(t.shape), "dtype": dtype, "data": [enc(v) for v in flat]}


cases = []


def case(name, op, fn, inputs, attrs=None, grads=None):
    """grads: per input, whether PyTorch's gradient is recorded (default: every floating input)."""
    attrs = attrs or {}
    ins = [t.clone() for t in inputs]
    if grads is None:
        grads = [t.is_floating_point() for t in ins]
    for t, g in zip(ins, grads):
        if g:
            t.requires_grad_(True)
    out = fn(*ins)
    c = {"name": op + "/" + name, "op": op, "attrs": attrs, "inputs": [data(t) for t in inputs],
         "output": data(out)}
    if out.is_floating_point() and any(grads):
        go = torch.randn(out.shape, dtype=out.dtype)
        diff = [t for t, g in zip(ins, grads) if g]
        gs = torch.autograd.grad(out, diff, go, allow_unused=True)
        it = iter(gs)
        c["grad_output"] = data(go)
        c["grads"] = []
        for t, g in zip(ins, grads):
            if g:
                r = next(it)
                c["grads"].append(data(torch.zeros_like(t) if r is None else r))
            else:
                c["grads"].append(None)
    cases.append(c)


def d(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def eighths(*shape, lo=-24, hi=24):
    return torch.randint(lo, hi, shape).to(torch.float64) / 8


def tensor(v, dtype=torch.float64):
    return torch.tensor(v, dtype=dtype)


# ---------------------------------------------------------------- truth tests
x = tensor([[0.0, 1.5, NAN, -2.0], [0.0, 0.0, 0.0, 0.0], [3.0, -1.0, 2.0, 0.5]])
case("all", "torch.all", lambda t: torch.all(t), [x])
case("all_dim1_keepdim", "torch.all", lambda t: torch.all(t, dim=1, keepdim=True), [x], {"dim": 1, "keepdim": True})
case("all_dim0", "torch.all", lambda t: torch.all(t, dim=0), [x], {"dim": 0})
case("all_int", "torch.all", lambda t: torch.all(t, dim=-1), [tensor([[1, 2], [0, 3]], torch.int64)], {"dim": -1})
case("all_empty", "torch.all", lambda t: torch.all(t, dim=1), [torch.zeros(2, 0, dtype=torch.float64)], {"dim": 1})
case("any", "torch.any", lambda t: torch.any(t), [x])
case("any_dim1", "torch.any", lambda t: torch.any(t, dim=1), [x], {"dim": 1})
case("any_dim0_keepdim", "torch.any", lambda t: torch.any(t, dim=0, keepdim=True), [x], {"dim": 0, "keepdim": True})
case("any_bool", "torch.any", lambda t: torch.any(t, dim=0), [tensor([[False, True], [False, False]], torch.bool)],
     {"dim": 0})
case("any_empty", "torch.any", lambda t: torch.any(t, dim=1), [torch.zeros(2, 0, dtype=torch.float64)], {"dim": 1})

special = tensor([NAN, INF, -INF, 0.0, -0.0, 1.5, -3.25, 1e30])
for op in ["isnan", "isinf", "isfinite"]:
    case("special", "torch." + op, getattr(torch, op), [special])
    case("int", "torch." + op, getattr(torch, op), [tensor([1, -2, 0], torch.int64)])

a = tensor([1.0, 1.0, 1.0, NAN, NAN, INF, INF, -INF, 100.0, 0.0])
b = tensor([1.0, 1.000001, 1.01, NAN, 1.0, INF, -INF, -INF, 100.5, 1e-9])
case("default", "torch.isclose", lambda p, q: torch.isclose(p, q), [a, b])
case("equal_nan", "torch.isclose", lambda p, q: torch.isclose(p, q, equal_nan=True), [a, b], {"equal_nan": True})
case("loose", "torch.isclose", lambda p, q: torch.isclose(p, q, rtol=0.02, atol=0.1), [a, b],
     {"rtol": 0.02, "atol": 0.1})
case("exact", "torch.isclose", lambda p, q: torch.isclose(p, q, rtol=0.0, atol=0.0), [a, b], {"rtol": 0.0, "atol": 0.0})
case("broadcast", "torch.isclose", lambda p, q: torch.isclose(p, q, rtol=1e-3),
     [tensor([[1.0, 2.0], [3.0, 4.0]]), tensor([1.0005, 3.0])], {"rtol": 1e-3})
case("int", "torch.isclose", lambda p, q: torch.isclose(p, q, atol=1.0),
     [tensor([1, 5, 10], torch.int64), tensor([2, 7, 10], torch.int64)], {"atol": 1.0})

nx = tensor([[NAN, 1.5, INF], [-INF, -2.0, 0.25]])
case("explicit", "torch.nan_to_num", lambda t: torch.nan_to_num(t, nan=0.5, posinf=100.0, neginf=-100.0), [nx],
     {"nan": 0.5, "posinf": 100.0, "neginf": -100.0})
case("nan_only", "torch.nan_to_num", lambda t: torch.nan_to_num(t), [tensor([NAN, 1.5, -2.0, NAN])])
case("int", "torch.nan_to_num", lambda t: torch.nan_to_num(t), [tensor([1, -2], torch.int64)])

# ---------------------------------------------------------------- division and rounding
num = tensor([7.5, -7.5, 7.5, -7.5, 5.25, -5.25, 3.0, -3.0, 0.0, 0.5, -0.125, 6.0])
den = tensor([2.0, 2.0, -2.0, -2.0, 1.5, 1.5, -1.5, 1.5, 2.0, 0.25, 0.5, 3.0])
case("float", "torch.floor_divide", torch.floor_divide, [num, den], grads=[False, False])
case("broadcast", "torch.floor_divide", torch.floor_divide, [eighths(3, 4), tensor([1.25, -0.75, 2.0, -3.0])],
     grads=[False, False])
case("by_zero", "torch.floor_divide", torch.floor_divide, [tensor([1.0, -1.0, 0.0]), tensor([0.0, 0.0, 0.0])],
     grads=[False, False])
case("inf_divisor", "torch.floor_divide", torch.floor_divide, [tensor([3.0, -3.0, INF]), tensor([INF, INF, 2.0])],
     grads=[False, False])
# (int64 beyond 2^53 can't travel through the JSON doubles: MathNamesConformanceTest checks those.)
ia = tensor([7, -7, 7, -7, 0, 9, -9, 1000003], torch.int64)
ib = tensor([2, 2, -2, -2, 3, 3, 4, 3], torch.int64)
case("int", "torch.floor_divide", torch.floor_divide, [ia, ib])
case("int_scalar_divisor", "torch.floor_divide", torch.floor_divide, [ia, tensor(-4, torch.int64)])
case("float", "torch.remainder", torch.remainder, [num, den])
case("broadcast", "torch.remainder", torch.remainder, [eighths(3, 4), tensor([1.25, -0.75, 2.0, -3.0])])
case("inf_divisor", "torch.remainder", torch.remainder, [tensor([3.0, -3.0, INF, 1.0]), tensor([INF, INF, 2.0, 0.0])],
     grads=[False, False])
case("int", "torch.remainder", torch.remainder, [ia, ib])
case("float", "torch.fmod", torch.fmod, [num, den])
case("broadcast", "torch.fmod", torch.fmod, [eighths(3, 4), tensor([1.25, -0.75, 2.0, -3.0])])
# Not multiples of a power of two, but exact in float32, so the float32 replay sees the same inputs
# and must give the same (exactly representable) remainder.
f32 = lambda v: tensor(v).float().double()
fa, fb = f32([5.3, -5.3, 0.3, 100.7, 1e6 + 0.1, -7.7e5]), f32([2.0, 2.0, 0.1, -3.3, 0.7, 0.03])
case("inexact", "torch.fmod", torch.fmod, [fa, fb], grads=[False, False])
case("inexact", "torch.remainder", torch.remainder, [fa, fb], grads=[False, False])
case("inexact", "torch.floor_divide", torch.floor_divide, [fa, fb], grads=[False, False])
case("inf_divisor", "torch.fmod", torch.fmod, [tensor([3.0, -3.0, INF, 1.0]), tensor([INF, INF, 2.0, 0.0])],
     grads=[False, False])
case("int", "torch.fmod", torch.fmod, [ia, ib])

r = tensor([2.5, -2.5, 0.5, 1.5, -0.49, 3.7, -3.7, 0.0, 1e10 + 0.5])
case("basic", "torch.trunc", torch.trunc, [r])
case("basic", "torch.floor", torch.floor, [r])
case("basic", "torch.ceil", torch.ceil, [r])
case("half_even", "torch.round", torch.round, [r])
case("decimals2", "torch.round", lambda t: torch.round(t, decimals=2),
     [tensor([0.125, 0.375, 1.23456, -2.71828, 12.5])], {"decimals": 2})
case("decimals_neg", "torch.round", lambda t: torch.round(t, decimals=-1),
     [tensor([25.0, 35.0, -45.0, 123.0, 7.0])], {"decimals": -1})
case("int", "torch.trunc", torch.trunc, [tensor([3, -4], torch.int64)])

# ---------------------------------------------------------------- lerp, clamp, addc*, reverse scalars
s, e = d(3, 4), d(3, 4)
case("scalar_small", "torch.lerp", lambda p, q: torch.lerp(p, q, 0.3), [s, e], {"weight": 0.3})
case("scalar_large", "torch.lerp", lambda p, q: torch.lerp(p, q, 0.75), [s, e], {"weight": 0.75})
case("tensor_weight", "torch.lerp", torch.lerp, [s, d(4), tensor([0.1, 0.6, -0.4, 1.5])])

cx = tensor([[-2.0, -1.0, 0.0, 0.5], [1.0, 2.0, 3.0, -0.5], [0.25, -0.25, 4.0, -4.0]])
lo = tensor([-1.0, -1.0, 0.5, 0.0])
hi = tensor([[1.0], [2.5], [0.0]])
case("tensor_min_max", "torch.clamp", lambda t, p, q: torch.clamp(t, p, q), [cx, lo, hi],
     {"tensor_bounds": "min,max"})
case("tensor_min", "torch.clamp", lambda t, p: torch.clamp(t, min=p), [cx, lo], {"tensor_bounds": "min"})
case("tensor_max", "torch.clamp", lambda t, q: torch.clamp(t, max=q), [cx, hi], {"tensor_bounds": "max"})
case("nan", "torch.clamp", lambda t, p, q: torch.clamp(t, p, q),
     [tensor([NAN, 1.0, 5.0]), tensor([0.0, NAN, 0.0]), tensor([2.0, 2.0, 2.0])],
     {"tensor_bounds": "min,max"}, grads=[False, False, False])

case("value", "torch.addcmul", lambda t, p, q: torch.addcmul(t, p, q, value=0.5), [d(3, 4), d(3, 1), d(4)],
     {"value": 0.5})
case("value", "torch.addcdiv", lambda t, p, q: torch.addcdiv(t, p, q, value=-2.0),
     [d(3, 4), d(3, 4), torch.rand(4, dtype=torch.float64) + 0.5], {"value": -2.0})
case("float_base", "Tensor.__rpow__", lambda t: 2.0 ** t, [d(3, 4)], {"base": 2.0})
case("fraction_base", "Tensor.__rpow__", lambda t: 0.5 ** t, [d(5)], {"base": 0.5})
case("int_exponent", "Tensor.__rpow__", lambda t: 3 ** t, [tensor([0, 1, 2, 5], torch.int64)], {"base": 3})
case("broadcast", "torch.rsub", torch.rsub, [d(3, 4), d(4)])
case("basic", "torch.square", torch.square, [d(3, 4)])

# ---------------------------------------------------------------- torch.nn.functional
hx = tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 6.0, 7.0])
case("default", "torch.nn.functional.hardtanh", F.hardtanh, [hx])
case("bounds", "torch.nn.functional.hardtanh", lambda t: F.hardtanh(t, -0.5, 2.0), [hx],
     {"min_val": -0.5, "max_val": 2.0})
case("edges", "torch.nn.functional.relu6", F.relu6, [hx])
case("basic", "torch.nn.functional.mish", F.mish, [d(3, 4) * 3])
case("dim1", "torch.nn.functional.cosine_similarity", F.cosine_similarity, [d(3, 4), d(3, 4)])
case("broadcast_last", "torch.nn.functional.cosine_similarity", lambda p, q: F.cosine_similarity(p, q, dim=-1),
     [d(2, 3, 4), d(3, 4)], {"dim": -1})
lp = torch.log_softmax(d(3, 5), dim=1)
tp = torch.softmax(d(3, 5), dim=1)
tz = tp.clone()
tz[0, 1] = 0.0
for red in ["none", "mean", "sum", "batchmean"]:
    case(red, "torch.nn.functional.kl_div", lambda p, q, red=red: F.kl_div(p, q, reduction=red), [lp, tp],
         {"reduction": red})
case("zero_target", "torch.nn.functional.kl_div", lambda p, q: F.kl_div(p, q, reduction="sum"), [lp, tz],
     {"reduction": "sum"}, grads=[True, False])
case("log_target", "torch.nn.functional.kl_div",
     lambda p, q: F.kl_div(p, q, reduction="batchmean", log_target=True), [lp, torch.log_softmax(d(3, 5), 1)],
     {"reduction": "batchmean", "log_target": True})
case("p2_dim1", "torch.nn.functional.normalize", F.normalize, [d(3, 4)])
case("p1_dim0", "torch.nn.functional.normalize", lambda t: F.normalize(t, p=1.0, dim=0), [d(3, 4)],
     {"p": 1.0, "dim": 0})

px = d(1, 2, 3, 4)
for mode in ["reflect", "replicate", "circular"]:
    case(mode + "_2d", "torch.nn.functional.pad", lambda t, mode=mode: F.pad(t, [2, 1, 1, 2], mode=mode), [px],
         {"pad": [2, 1, 1, 2], "mode": mode})
    case(mode + "_1d", "torch.nn.functional.pad", lambda t, mode=mode: F.pad(t, [2, 3], mode=mode), [d(2, 3, 5)],
         {"pad": [2, 3], "mode": mode})
case("reflect_crop", "torch.nn.functional.pad", lambda t: F.pad(t, [-1, 2], mode="reflect"), [d(2, 3, 5)],
     {"pad": [-1, 2], "mode": "reflect"})
case("constant_value", "torch.nn.functional.pad", lambda t: F.pad(t, [1, 1, 2, 0], value=1.5), [px],
     {"pad": [1, 1, 2, 0], "mode": "constant", "value": 1.5})

ix = d(2, 2, 3, 4)
case("nearest_size", "torch.nn.functional.interpolate", lambda t: F.interpolate(t, size=(5, 7), mode="nearest"),
     [ix], {"size": [5, 7], "mode": "nearest"})
case("nearest_scale2", "torch.nn.functional.interpolate",
     lambda t: F.interpolate(t, scale_factor=2.0, mode="nearest"), [ix], {"scale_factor": 2.0, "mode": "nearest"})
case("nearest_down", "torch.nn.functional.interpolate", lambda t: F.interpolate(t, size=(2, 3), mode="nearest"),
     [ix], {"size": [2, 3], "mode": "nearest"})
case("nearest_1d_scale", "torch.nn.functional.interpolate",
     lambda t: F.interpolate(t, scale_factor=1.5, mode="nearest"), [d(2, 3, 5)],
     {"scale_factor": 1.5, "mode": "nearest"})
for ac in [False, True]:
    case("bilinear_size_ac%d" % ac, "torch.nn.functional.interpolate",
         lambda t, ac=ac: F.interpolate(t, size=(5, 7), mode="bilinear", align_corners=ac), [ix],
         {"size": [5, 7], "mode": "bilinear", "align_corners": ac})
    case("bilinear_down_ac%d" % ac, "torch.nn.functional.interpolate",
         lambda t, ac=ac: F.interpolate(t, size=(2, 3), mode="bilinear", align_corners=ac), [ix],
         {"size": [2, 3], "mode": "bilinear", "align_corners": ac})
case("bilinear_scale", "torch.nn.functional.interpolate",
     lambda t: F.interpolate(t, scale_factor=1.5, mode="bilinear", align_corners=False), [ix],
     {"scale_factor": 1.5, "mode": "bilinear", "align_corners": False})
case("nearest_exact", "torch.nn.functional.interpolate",
     lambda t: F.interpolate(t, size=(5, 3), mode="nearest-exact"), [ix], {"size": [5, 3], "mode": "nearest-exact"})
case("trilinear", "torch.nn.functional.interpolate",
     lambda t: F.interpolate(t, size=(3, 4, 5), mode="trilinear", align_corners=False), [d(1, 2, 2, 3, 4)],
     {"size": [3, 4, 5], "mode": "trilinear", "align_corners": False})
case("nearest_3d_scale", "torch.nn.functional.interpolate",
     lambda t: F.interpolate(t, scale_factor=2.0, mode="nearest"), [d(1, 1, 2, 2, 3)],
     {"scale_factor": 2.0, "mode": "nearest"})
case("linear_1d", "torch.nn.functional.interpolate",
     lambda t: F.interpolate(t, size=8, mode="linear", align_corners=False), [d(2, 3, 5)],
     {"size": [8], "mode": "linear", "align_corners": False})

out = {"meta": {"generator": "scripts/golden/math_names.py", "torch": torch.__version__, "dtype": "float64",
                "device": "cpu"}, "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "src", "test", "resources",
                    "golden", "math.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote %d cases over %d ops to %s" % (len(cases), len({c["op"] for c in cases}), os.path.normpath(path)))
