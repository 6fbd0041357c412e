"""Golden cases for issue 12 part A (sorting, indexing, rearranging names), computed by PyTorch.

Run by hand:  /tmp/ember-torch-venv/bin/python scripts/golden/indexing.py
Writes tests/src/test/resources/golden/indexing.json in the format of golden-cases.json
(see docs/golden-format.md); IndexingGoldenConformanceTest replays it on every device in float64
and float32. Floating inputs are float64; grads[i] = d(sum(output * grad_output)) / d(inputs[i]).
Ops with several outputs pick one with attrs.output ("values", "indices", "inverse", "counts").
"""
import json
import os

import torch

SEED = 20261205
torch.manual_seed(SEED)
cases = []


def ser(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.reshape(-1).tolist()]
    else:
        data = t.reshape(-1).tolist()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": data}


def case(name, op, fn, inputs, attrs=None, grad=True):
    ins = [i.clone().requires_grad_(grad and i.is_floating_point()) for i in inputs]
    out = fn(*ins)
    c = {"name": name, "op": op, "attrs": attrs or {}, "inputs": [ser(i) for i in inputs], "output": ser(out)}
    if grad and out.is_floating_point() and any(i.requires_grad for i in ins):
        go = torch.randn(out.shape, dtype=out.dtype)
        diff = [i for i in ins if i.requires_grad]
        gs = torch.autograd.grad(out, diff, go, allow_unused=True)
        it = iter(gs)
        grads = []
        for i in ins:
            if i.requires_grad:
                g = next(it)
                grads.append(ser(g if g is not None else torch.zeros_like(i)))
            else:
                grads.append(None)
        c["grad_output"] = ser(go)
        c["grads"] = grads
    cases.append(c)


def randn(*s):
    return torch.randn(*s, dtype=torch.float64)


x34 = randn(3, 4)
x234 = randn(2, 3, 4)
ties = torch.tensor([[1.0, 3.0, 3.0, 2.0, 1.0], [0.0, -1.0, 0.0, 5.0, 5.0]], dtype=torch.float64)

# sort / argsort / topk
for dim in (-1, 0, 1):
    for desc in (False, True):
        case(f"sort/values_dim{dim}_desc{int(desc)}", "torch.sort",
             lambda x, d=dim, s=desc: torch.sort(x, dim=d, descending=s).values, [x234],
             {"dim": dim, "descending": desc, "output": "values"})
        case(f"sort/indices_dim{dim}_desc{int(desc)}", "torch.sort",
             lambda x, d=dim, s=desc: torch.sort(x, dim=d, descending=s).indices, [x234],
             {"dim": dim, "descending": desc, "output": "indices"}, grad=False)
for desc in (False, True):
    case(f"sort/stable_ties_desc{int(desc)}", "torch.sort",
         lambda x, s=desc: torch.sort(x, dim=1, descending=s, stable=True).indices, [ties],
         {"dim": 1, "descending": desc, "stable": True, "output": "indices"}, grad=False)
    case(f"argsort/stable_ties_desc{int(desc)}", "torch.argsort",
         lambda x, s=desc: torch.argsort(x, dim=-1, descending=s, stable=True), [ties],
         {"dim": -1, "descending": desc, "stable": True}, grad=False)
case("argsort/dim0", "torch.argsort", lambda x: torch.argsort(x, dim=0), [x34], {"dim": 0}, grad=False)
case("sort/int64", "torch.sort", lambda x: torch.sort(x, descending=True).values,
     [torch.tensor([[4, -2, 9], [0, 7, 7]])], {"descending": True, "output": "values"}, grad=False)
for k, dim, largest in ((2, -1, True), (3, 1, False), (1, 0, True), (4, -1, True)):
    for part in ("values", "indices"):
        case(f"topk/{part}_k{k}_dim{dim}_largest{int(largest)}", "torch.topk",
             lambda x, k=k, d=dim, l=largest, p=part: getattr(torch.topk(x, k, dim=d, largest=l), p), [x234],
             {"k": k, "dim": dim, "largest": largest, "output": part}, grad=part == "values")

# flip / roll
case("flip/dims0_2", "torch.flip", lambda x: torch.flip(x, [0, 2]), [x234], {"dims": [0, 2]})
case("flip/last", "torch.flip", lambda x: torch.flip(x, [-1]), [x34], {"dims": [-1]})
case("roll/dim1", "torch.roll", lambda x: torch.roll(x, 1, 1), [x34], {"shifts": [1], "dims": [1]})
case("roll/negative_two_dims", "torch.roll", lambda x: torch.roll(x, (-5, 2), (2, 0)), [x234],
     {"shifts": [-5, 2], "dims": [2, 0]})
case("roll/flat", "torch.roll", lambda x: torch.roll(x, 3), [x34], {"shifts": [3], "dims": []})

# unbind, diagonal family, dot
for i in range(3):
    case(f"unbind/dim1_{i}", "torch.unbind", lambda x, i=i: torch.unbind(x, 1)[i], [x234],
         {"dim": 1, "output_index": i})
for off, d1, d2 in ((0, 0, 1), (1, 0, 1), (-1, 0, 1), (1, 2, 0), (0, -1, -2), (-2, 1, 2)):
    case(f"diagonal/off{off}_{d1}_{d2}", "torch.diagonal", lambda x, o=off, a=d1, b=d2: torch.diagonal(x, o, a, b),
         [x234], {"offset": off, "dim1": d1, "dim2": d2})
for off in (0, 2, -1):
    case(f"diag/vector_off{off}", "torch.diag", lambda x, o=off: torch.diag(x, o), [randn(3)], {"diagonal": off})
    case(f"diag/matrix_off{off}", "torch.diag", lambda x, o=off: torch.diag(x, o), [x34], {"diagonal": off})
case("trace/3x4", "torch.trace", torch.trace, [x34])
case("dot/5", "torch.dot", torch.dot, [randn(5), randn(5)])

# scatter / index_add
idx = torch.tensor([[0, 2, 1, 0], [2, 2, 0, 1]])
case("scatter/src_dim0", "torch.scatter", lambda x, i, s: torch.scatter(x, 0, i, s),
     [randn(3, 4), torch.tensor([[0, 1, 2, 0], [2, 0, 1, 1]]), randn(2, 4)], {"dim": 0})
case("scatter/src_dim1_smaller_index", "torch.scatter", lambda x, i, s: torch.scatter(x, 1, i, s),
     [randn(3, 5), torch.tensor([[4, 0], [1, 3]]), randn(2, 2)], {"dim": 1})
case("scatter/value", "torch.scatter", lambda x, i: torch.scatter(x, 1, i, 2.5),
     [randn(2, 4), torch.tensor([[3, 1], [0, 0]])], {"dim": 1, "value": 2.5})
case("index_add/dim0_repeats", "torch.index_add", lambda x, i, s: torch.index_add(x, 0, i, s, alpha=2.0),
     [randn(4, 3), torch.tensor([0, 2, 0]), randn(3, 3)], {"dim": 0, "alpha": 2.0})
case("index_add/dim1", "torch.index_add", lambda x, i, s: torch.index_add(x, 1, i, s),
     [randn(2, 4), torch.tensor([3, 1]), randn(2, 2)], {"dim": 1})

# selection and counting
m = torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
case("masked_select/2d", "torch.masked_select", torch.masked_select, [x34, m])
case("masked_select/broadcast_mask", "torch.masked_select", torch.masked_select,
     [x34, torch.tensor([True, False, False, True])])
case("nonzero/2d", "torch.nonzero", torch.nonzero, [torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])], grad=False)
case("count_nonzero/all", "torch.count_nonzero", torch.count_nonzero,
     [torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])], grad=False)
case("count_nonzero/dim0", "torch.count_nonzero", lambda x: torch.count_nonzero(x, dim=0),
     [torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])], {"dim": 0}, grad=False)
case("bincount/plain", "torch.bincount", torch.bincount, [torch.tensor([0, 3, 1, 3, 3])], grad=False)
case("bincount/weights_minlength", "torch.bincount", lambda x, w: torch.bincount(x, w, minlength=6),
     [torch.tensor([0, 3, 1, 3, 3]), randn(5)], {"minlength": 6}, grad=False)
u = torch.tensor([[3, 1, 3], [0, 1, 7]])
for part in ("values", "inverse", "counts"):
    case(f"unique/{part}", "torch.unique",
         lambda x, p=part: dict(zip(("values", "inverse", "counts"),
                                    torch.unique(x, sorted=True, return_inverse=True, return_counts=True)))[p],
         [u], {"output": part}, grad=False)
case("unique/float_values", "torch.unique", lambda x: torch.unique(x),
     [torch.tensor([2.5, -1.0, 2.5, 0.0, -0.0], dtype=torch.float64)], {"output": "values"}, grad=False)
bounds = torch.tensor([1.0, 3.0, 5.0, 7.0], dtype=torch.float64)
vals = torch.tensor([[0.0, 1.0, 3.0], [4.0, 7.0, 9.0]], dtype=torch.float64)
for right in (False, True):
    case(f"bucketize/right{int(right)}", "torch.bucketize", lambda v, b, r=right: torch.bucketize(v, b, right=r),
         [vals, bounds], {"right": right}, grad=False)

# cumprod, with and without zeros (PyTorch's zero-aware gradient)
case("cumprod/dim1", "torch.cumprod", lambda x: torch.cumprod(x, 1), [x34], {"dim": 1})
case("cumprod/dim0_3d", "torch.cumprod", lambda x: torch.cumprod(x, 0), [x234], {"dim": 0})
zeros = torch.tensor([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0], [2.0, -0.5, 1.5, 0.0]], dtype=torch.float64)
case("cumprod/zeros", "torch.cumprod", lambda x: torch.cumprod(x, -1), [zeros], {"dim": -1})

# repeat_interleave, meshgrid, outer, expand_as, mT / T
case("repeat_interleave/int_dim0", "torch.repeat_interleave", lambda x: torch.repeat_interleave(x, 2, dim=0),
     [x34], {"repeats": 2, "dim": 0})
case("repeat_interleave/flat", "torch.repeat_interleave", lambda x: torch.repeat_interleave(x, 3), [x34],
     {"repeats": 3})
case("repeat_interleave/tensor_dim1", "torch.repeat_interleave",
     lambda x, r: torch.repeat_interleave(x, r, dim=1), [x34, torch.tensor([1, 0, 3, 2])], {"dim": 1})
for ind in ("ij", "xy"):
    for i in range(2):
        case(f"meshgrid/{ind}_{i}", "torch.meshgrid", lambda a, b, ind=ind, i=i: torch.meshgrid(a, b, indexing=ind)[i],
             [randn(3), randn(2)], {"indexing": ind, "output_index": i})
case("expand_as/3x4", "Tensor.expand_as", lambda x, y: x.expand_as(y), [randn(1, 4), randn(3, 4)])
case("mT/2x3x4", "Tensor.mT", lambda x: x.mT, [x234])
case("T/3x4", "Tensor.T", lambda x: x.T, [x34])

# Tensor.unfold: sliding windows (overlapping, disjoint, with a remainder)
for dim, size, step in ((1, 2, 1), (-1, 2, 2), (0, 2, 1), (2, 3, 2)):
    case(f"unfold/dim{dim}_size{size}_step{step}", "Tensor.unfold", lambda x, d=dim, n=size, s=step: x.unfold(d, n, s),
         [randn(2, 3, 5) if dim == 2 else x234], {"dimension": dim, "size": size, "step": step})

out = {"meta": {"generator": "PyTorch " + torch.__version__, "seed": SEED,
                "dtype_note": "floating inputs are float64; layout is row-major (C order)",
                "vjp_note": "grads[i] is d(sum(output * grad_output))/d(inputs[i]); null for integer or boolean inputs",
                "count": len(cases)}, "cases": cases}
path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "src", "test", "resources", "golden", "indexing.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases over {len({c['op'] for c in cases})} ops to {os.path.normpath(path)}")
