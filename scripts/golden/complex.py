"""Golden cases for complex tensors (issue 12, torch.view_as_real), computed by PyTorch.

Run by hand:  /tmp/ember-torch-venv/bin/python scripts/golden/complex.py
Writes tests/src/test/resources/golden/complex.json in the format of golden-cases.json; ComplexConformanceTest
replays it on every device in float64 and float32.

The format holds real tensors only, so every complex tensor is stored as its torch.view_as_real
([..., 2] of (real, imaginary) pairs): a case's op "complex/NAME" takes the inputs listed in
attrs.complex_inputs through torch.view_as_complex, applies NAME, and returns view_as_real of a
complex result. Gradients are then those of the real views, which for a complex input is PyTorch's
complex gradient dL/dx + i dL/dy seen through view_as_real. Floating inputs are float64;
grads[i] = d(sum(output * grad_output)) / d(inputs[i]).

"rotary/apply_rotary_emb" is LLaMA's rotary embedding (freqs_cis from torch.polar, view_as_complex
of the query pairs, a complex product, view_as_real(...).flatten(3), type_as), with the gradients of
the queries and of the angles.
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


def case(name, op, fn, inputs, attrs=None):
    """fn takes the inputs as given (complex ones already viewed as complex) and returns a tensor."""
    attrs = attrs or {}
    complex_inputs = attrs.get("complex_inputs", [])
    ins = [i.clone().requires_grad_() for i in inputs]
    args = [torch.view_as_complex(x) if k in complex_inputs else x for k, x in enumerate(ins)]
    out = fn(*args)
    if out.is_complex():
        out = torch.view_as_real(out)
    go = torch.randn(out.shape, dtype=out.dtype)
    grads = torch.autograd.grad(out, ins, go, allow_unused=True)
    cases.append({"name": name, "op": op, "attrs": attrs, "inputs": [ser(i) for i in inputs], "output": ser(out),
                  "grad_output": ser(go),
                  "grads": [ser(g if g is not None else torch.zeros_like(i)) for g, i in zip(grads, ins)]})


def randn(*s):
    return torch.randn(*s, dtype=torch.float64)


def crandn(*s):
    """A complex tensor of shape s, stored as its real view [*s, 2]."""
    return randn(*s, 2)


# the two views (identity round trips: the gradient passes through both)
case("view_as_real/3x4", "complex/torch.view_as_real", lambda c: c, [crandn(3, 4)], {"complex_inputs": [0]})
case("view_as_complex/of_a_narrowed_view", "complex/torch.view_as_complex",
     lambda r: torch.view_as_complex(r[:, 1:3]) * 2, [randn(3, 4, 2)])

# construction
case("polar/3x4", "complex/torch.polar", torch.polar, [randn(3, 4).abs(), randn(3, 4)])
case("polar/broadcast", "complex/torch.polar", torch.polar, [randn(3, 1).abs(), randn(4)])
case("complex/broadcast", "complex/torch.complex", torch.complex, [randn(2, 3), randn(3)])

# arithmetic, complex with complex and with real, broadcasting
for op in ("add", "sub", "mul", "div"):
    fn = getattr(torch, op)
    case(f"{op}/complex_complex", f"complex/torch.{op}", fn, [crandn(3, 4), crandn(3, 4)],
         {"complex_inputs": [0, 1]})
    case(f"{op}/complex_complex_broadcast", f"complex/torch.{op}", fn, [crandn(2, 3, 1), crandn(4)],
         {"complex_inputs": [0, 1]})
    case(f"{op}/complex_real", f"complex/torch.{op}", fn, [crandn(3, 4), randn(4)], {"complex_inputs": [0]})
    case(f"{op}/real_complex", f"complex/torch.{op}", fn, [randn(3, 1), crandn(4)], {"complex_inputs": [1]})

# unary ops and parts
z = crandn(3, 4)
case("abs/3x4", "complex/torch.abs", torch.abs, [z], {"complex_inputs": [0]})
case("angle/3x4", "complex/torch.angle", torch.angle, [z], {"complex_inputs": [0]})
case("conj/3x4", "complex/torch.conj", lambda c: torch.conj(c).resolve_conj(), [z], {"complex_inputs": [0]})
case("neg/3x4", "complex/torch.neg", torch.neg, [z], {"complex_inputs": [0]})
case("real/3x4", "complex/Tensor.real", lambda c: c.real, [z], {"complex_inputs": [0]})
case("imag/3x4", "complex/Tensor.imag", lambda c: c.imag, [z], {"complex_inputs": [0]})
case("abs_of_product/3x4", "complex/abs_of_product", lambda a, b: (a * b.conj()).abs(), [z, crandn(3, 4)],
     {"complex_inputs": [0, 1]})

# reductions and shapes
z234 = crandn(2, 3, 4)
case("sum/all", "complex/torch.sum", torch.sum, [z234], {"complex_inputs": [0]})
case("sum/dim1", "complex/torch.sum", lambda c: torch.sum(c, dim=1), [z234], {"complex_inputs": [0], "dim": 1})
case("sum/dims02_keepdim", "complex/torch.sum", lambda c: torch.sum(c, dim=(0, 2), keepdim=True), [z234],
     {"complex_inputs": [0], "dim": [0, 2], "keepdim": True})
case("mean/dim-1", "complex/torch.mean", lambda c: torch.mean(c, dim=-1), [z234],
     {"complex_inputs": [0], "dim": -1})
case("reshape/transposed", "complex/Tensor.reshape", lambda c: c.transpose(0, 2).reshape(4, 6), [z234],
     {"complex_inputs": [0]})
case("flatten/1", "complex/Tensor.flatten", lambda c: c.flatten(1), [z234], {"complex_inputs": [0]})
case("unsqueeze/expand", "complex/Tensor.unsqueeze", lambda c: c.unsqueeze(1).expand(2, 5, 3, 4) * 1, [z234],
     {"complex_inputs": [0]})
case("select_narrow/chain", "complex/select_narrow", lambda c: c.select(0, 1).narrow(1, 1, 2).contiguous(), [z234],
     {"complex_inputs": [0]})
case("cat/complex_real", "complex/torch.cat", lambda a, b: torch.cat([a, b], dim=1), [crandn(2, 3), randn(2, 2)],
     {"complex_inputs": [0], "dim": 1})
case("stack/dim-1", "complex/torch.stack", lambda a, b: torch.stack([a, b], dim=-1), [crandn(2, 3), crandn(2, 3)],
     {"complex_inputs": [0, 1], "dim": -1})


# LLaMA's rotary embedding, line by line (precompute_freqs_cis, reshape_for_broadcast, apply_rotary_emb).
# .float() is left out so float64 runs keep float64 (it is the identity in float32 runs).
def apply_rotary_emb(xq, freqs):
    freqs_cis = torch.polar(torch.ones_like(freqs), freqs)
    xq_ = torch.view_as_complex(xq.reshape(*xq.shape[:-1], -1, 2))
    freqs_cis = freqs_cis.view(1, xq_.shape[1], 1, xq_.shape[-1])
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq)


dim, seq = 8, 5
inv = 1.0 / (10000.0 ** (torch.arange(0, dim, 2, dtype=torch.float64)[: dim // 2] / dim))
freqs = torch.outer(torch.arange(seq, dtype=torch.float64), inv)
case("rotary/apply_rotary_emb", "rotary/apply_rotary_emb", apply_rotary_emb, [randn(2, seq, 3, dim), freqs])

out = {"meta": {"generator": "PyTorch " + torch.__version__, "seed": SEED,
                "dtype_note": "floating inputs are float64; complex tensors are stored as their view_as_real",
                "vjp_note": "grads[i] is d(sum(output * grad_output))/d(inputs[i])",
                "count": len(cases)}, "cases": cases}
path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "src", "test", "resources", "golden", "complex.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases over {len({c['op'] for c in cases})} ops to {os.path.normpath(path)}")
