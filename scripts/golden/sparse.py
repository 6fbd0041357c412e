"""Golden cases for sparse COO tensors (torch.sparse_coo_tensor, coalesce, torch.sparse.mm, sparse add),
computed by PyTorch.

Run by hand:  /tmp/ember-torch-venv/bin/python scripts/golden/sparse.py
Writes tests/src/test/resources/golden/sparse.json in the format of golden-cases.json; SparseGoldenConformanceTest
replays it on every device in float64 and float32. Inputs are the parts of the sparse tensors (int64 indices
[sparse_dim, nnz], float64 values [nnz, ...]) and dense operands; attrs.size is the sparse tensor's size.
Outputs are dense (to_dense() of a sparse result) except for coalesce, whose attrs.output picks "values" or
"indices". grads[i] = d(sum(output * grad_output)) / d(inputs[i]); null for the integer indices.
Ops:
  torch.sparse_coo_tensor  (indices, values) -> sparse_coo_tensor(indices, values, size).to_dense()
  Tensor.coalesce          (indices, values) -> sparse_coo_tensor(...).coalesce().values() / .indices()
  torch.sparse.mm          (indices, values, dense) -> torch.sparse.mm(sparse_coo_tensor(...), dense)
  sparse.add               (indices1, values1, indices2, values2) -> (s1 + s2).to_dense()
  Tensor.to_sparse         (dense) -> dense.to_sparse().values() / .indices()  (attrs.output)
"""
import json
import os

import torch

SEED = 20261205
torch.manual_seed(SEED)
cases = []


def ser(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": t.reshape(-1).tolist()}


def case(name, op, fn, inputs, attrs):
    ins = [i.clone().requires_grad_(i.is_floating_point()) for i in inputs]
    out = fn(*ins)
    c = {"name": name, "op": op, "attrs": attrs, "inputs": [ser(i) for i in inputs], "output": ser(out)}
    if out.is_floating_point():
        go = torch.randn(out.shape, dtype=out.dtype)
        diff = [i for i in ins if i.requires_grad]
        gs = iter(torch.autograd.grad(out, diff, go, allow_unused=True))
        grads = []
        for i in ins:
            if i.requires_grad:
                g = next(gs)
                grads.append(ser(g if g is not None else torch.zeros_like(i)))
            else:
                grads.append(None)
        c["grad_output"] = ser(go)
        c["grads"] = grads
    cases.append(c)


def randn(*s):
    return torch.randn(*s, dtype=torch.float64)


def coo(i, v, size):
    return torch.sparse_coo_tensor(i, v, size)


# (name, indices, values shape, size): duplicates and unsorted entries throughout
layouts = [
    ("2d_repeats", torch.tensor([[0, 2, 1, 0, 2], [3, 1, 0, 3, 1]]), (5,), (3, 4)),
    ("2d_sorted", torch.tensor([[0, 0, 1, 2], [1, 3, 2, 0]]), (4,), (3, 4)),
    ("1d", torch.tensor([[4, 0, 4, 2]]), (4,), (6,)),
    ("3d", torch.tensor([[1, 0, 1, 1], [2, 0, 2, 0], [0, 1, 0, 1]]), (4,), (2, 3, 2)),
    ("hybrid", torch.tensor([[3, 1, 3]]), (3, 2), (4, 2)),
    ("hybrid_2sparse", torch.tensor([[1, 0, 1], [0, 2, 0]]), (3, 2, 2), (2, 3, 2, 2)),
    ("empty", torch.zeros(2, 0, dtype=torch.long), (0,), (2, 3)),
]
for name, idx, vshape, size in layouts:
    v = randn(*vshape)
    case(f"sparse_coo_tensor/to_dense_{name}", "torch.sparse_coo_tensor",
         lambda i, v, s=size: coo(i, v, s).to_dense(), [idx, v], {"size": list(size)})
    if name != "empty":
        case(f"coalesce/values_{name}", "Tensor.coalesce", lambda i, v, s=size: coo(i, v, s).coalesce().values(),
             [idx, v], {"size": list(size), "output": "values"})
        case(f"coalesce/indices_{name}", "Tensor.coalesce", lambda i, v, s=size: coo(i, v, s).coalesce().indices(),
             [idx, v], {"size": list(size), "output": "indices"})

# torch.sparse.mm: [n, m] sparse @ [m, p] dense
for name, idx, size, p in (("repeats", torch.tensor([[0, 2, 1, 0, 2], [3, 1, 0, 3, 1]]), (3, 4), 2),
                           ("sorted", torch.tensor([[0, 0, 1, 2], [1, 3, 2, 0]]), (3, 4), 5),
                           ("empty_rows", torch.tensor([[4, 0], [0, 1]]), (6, 2), 3),
                           ("one_column", torch.tensor([[1, 0, 1], [2, 2, 0]]), (2, 3), 1)):
    v = randn(idx.shape[1])
    case(f"sparse.mm/{name}", "torch.sparse.mm", lambda i, v, d, s=size: torch.sparse.mm(coo(i, v, s), d),
         [idx, v, randn(size[1], p)], {"size": list(size)})

# sparse + sparse
for name, i1, i2, size, dense in (("2d_overlap", torch.tensor([[0, 2, 1], [3, 1, 0]]), torch.tensor([[2, 0], [1, 0]]),
                                   (3, 4), ()),
                                  ("1d_disjoint", torch.tensor([[0, 3]]), torch.tensor([[1, 1, 2]]), (5,), ()),
                                  ("hybrid", torch.tensor([[1, 0]]), torch.tensor([[1]]), (3, 2), (2,))):
    case(f"sparse.add/{name}", "sparse.add", lambda a, u, b, w, s=size: (coo(a, u, s) + coo(b, w, s)).to_dense(),
         [i1, randn(i1.shape[1], *dense), i2, randn(i2.shape[1], *dense)], {"size": list(size)})

# dense -> sparse (every dim sparse; zeros dropped)
for name, x in (("2d", torch.tensor([[0.0, 2.5, 0.0], [-3.0, 0.0, 1.0]], dtype=torch.float64)),
                ("3d", torch.where(randn(2, 3, 2) > 0.3, randn(2, 3, 2), torch.zeros(2, 3, 2, dtype=torch.float64))),
                ("all_zero", torch.zeros(2, 2, dtype=torch.float64))):
    case(f"to_sparse/values_{name}", "Tensor.to_sparse", lambda x: x.to_sparse().values(), [x], {"output": "values"})
    case(f"to_sparse/indices_{name}", "Tensor.to_sparse", lambda x: x.to_sparse().indices(), [x],
         {"output": "indices"})

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "src", "test", "resources", "golden", "sparse.json")
with open(out, "w") as f:
    json.dump({"meta": {"generator": "scripts/golden/sparse.py", "torch": torch.__version__, "seed": SEED,
                        "note": "sparse COO tensors: to_dense, coalesce, sparse.mm, sparse add"},
               "cases": cases}, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")
