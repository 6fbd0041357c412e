"""PyTorch's scaled_dot_product_attention numbers for Ember's fused-attention golden cases (run by hand).

Writes tests/src/test/resources/golden/attention.json in the format of shared/golden/README.md: op
"torch.nn.functional.scaled_dot_product_attention", inputs q, k, v and optionally attn_mask (bool or
float), attrs is_causal / scale, dropout_p 0; grads of sum(output * grad_output) with respect to q, k,
v (and a float mask in one case). Causal and not, L != S, Ev != E, broadcast batch dims, 2-d and 5-d
inputs, sizes that are not multiples of a vector's 8 lanes. float64, seeded.

    /tmp/ember-torch-venv/bin/python scripts/golden/attention.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(8)
torch.set_default_dtype(torch.float64)


def data(t):
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": t.reshape(-1).tolist()}
    return {"shape": list(t.shape), "dtype": "float64", "data": t.detach().reshape(-1).tolist()}


cases = []


def case(name, q_shape, k_shape, v_shape, mask=None, causal=False, scale=None, mask_grad=False):
    q, k, v = torch.randn(q_shape), torch.randn(k_shape), torch.randn(v_shape)
    leaves = [t.clone().requires_grad_(True) for t in (q, k, v)]
    inputs = [q, k, v]
    m = None
    if mask is not None:
        m = mask.clone()
        if mask_grad:
            m.requires_grad_(True)
            leaves.append(m)
        inputs.append(mask)
    y = F.scaled_dot_product_attention(leaves[0], leaves[1], leaves[2], attn_mask=m, dropout_p=0.0,
                                       is_causal=causal, scale=scale)
    assert not torch.isnan(y).any(), name
    go = torch.randn(y.shape)
    grads = list(torch.autograd.grad(y, leaves, go))
    if mask is not None and not mask_grad:
        grads.append(None)
    attrs = {"dropout_p": 0.0, "is_causal": causal}
    if scale is not None:
        attrs["scale"] = scale
    cases.append({"name": "torch.nn.functional.scaled_dot_product_attention/" + name,
                  "op": "torch.nn.functional.scaled_dot_product_attention", "attrs": attrs,
                  "inputs": [data(t) for t in inputs], "output": data(y), "grad_output": data(go),
                  "grads": [None if g is None else data(g) for g in grads]})


case("causal_2x3x5x4", (2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 4), causal=True)
case("causal_odd_1x2x13x9_ev11", (1, 2, 13, 9), (1, 2, 13, 9), (1, 2, 13, 11), causal=True)
case("causal_L9_S4", (2, 9, 3), (2, 4, 3), (2, 4, 5), causal=True)
case("causal_scale", (3, 6, 4), (3, 6, 4), (3, 6, 4), causal=True, scale=0.7)
case("full_L4_S7_ev5", (2, 4, 3), (2, 7, 3), (2, 7, 5))
case("full_17x10_over_8_lanes", (1, 17, 10), (1, 19, 10), (1, 19, 12))
case("2d", (4, 3), (5, 3), (5, 2))
case("5d", (2, 1, 2, 3, 4), (2, 1, 2, 5, 4), (2, 1, 2, 5, 3))
case("broadcast_batch", (2, 2, 3, 4), (1, 2, 5, 4), (2, 1, 5, 3))
keep = torch.rand(4, 6) > 0.3
keep[:, 0] = True
case("bool_mask_broadcast", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), mask=keep)
case("bool_mask_per_head", (2, 2, 4, 3), (2, 2, 5, 3), (2, 2, 5, 4), mask=torch.rand(2, 2, 4, 5) > 0.2)
case("float_mask_scale", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2), mask=torch.randn(2, 1, 4, 6), scale=0.3)
case("float_mask_with_grad", (2, 4, 3), (2, 5, 3), (2, 5, 3), mask=torch.randn(4, 5), mask_grad=True)

root = {"meta": {"generator": "scripts/golden/attention.py", "torch": torch.__version__, "dtype": "float64"},
        "cases": cases}
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "tests", "src", "test", "resources", "golden", "attention.json")
with open(path, "w") as f:
    json.dump(root, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
