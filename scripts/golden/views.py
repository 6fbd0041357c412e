"""PyTorch's gradients for in-place writes through views (issue 12 item 2), run by hand:

    /tmp/ember-torch-venv/bin/python scripts/golden/views.py

writes tests/src/test/resources/golden/views.json, replayed by InPlaceViewsConformanceTest. Every
pattern builds its inputs from sin/cos of aranges, so the Java test rebuilds them exactly; the
Java side of each pattern is written next to its name in the test. float64, CPU.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)


def sin_input(*shape, phase=1.0):
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float64) + phase).sin().reshape(shape).requires_grad_()


def cos_input(*shape, phase=1.0):
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float64) + phase).cos().reshape(shape).requires_grad_()


PATTERNS = {}


def pattern(fn):
    PATTERNS[fn.__name__] = fn
    return fn


@pattern
def column_int_mul():
    x = sin_input(3, 4)
    z = x.clone()
    z[:, 1] *= 10
    return (z * z).sum(), {"x": x}


@pattern
def row_slice_add():
    x, y = sin_input(3, 4), cos_input(2, 4)
    z = x.clone()
    z[1:3] += y
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def row_index_mul():
    x = sin_input(3, 4)
    z = x.clone()
    idx = torch.tensor([0, 2])
    z[idx] *= 2
    return (z * z).sum(), {"x": x}


@pattern
def column_index_mul():
    x, y = sin_input(3, 4), cos_input(3, 2)
    z = x.clone()
    idx = torch.tensor([3, 1])
    z[:, idx] *= y
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def row_mask_mul():
    x, y = sin_input(3, 4), cos_input(2, 4)
    z = x.clone()
    mask = torch.tensor([True, False, True])
    z[mask] *= y
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def column_mask_add():
    x, y = sin_input(3, 4), cos_input(3, 2)
    z = x.clone()
    mask = torch.tensor([False, True, False, True])
    z[:, mask] += y
    return (z * z * z).sum(), {"x": x, "y": y}


@pattern
def index_put_into_a_view():
    x, y = sin_input(3, 4), cos_input(2, 2)
    z = x.clone()
    mask = torch.tensor([True, False, True])
    z[:, 1:3][mask] = y * 2
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def relu_after_linear():
    x, w, b = sin_input(3, 4), cos_input(5, 4), sin_input(5, phase=0.5)
    h = torch.nn.functional.linear(x, w, b)
    h.clamp_(min=0)  # relu_; Ember: clampInPlace(0, NaN)
    return (h * h).sum(), {"x": x, "w": w, "b": b}


@pattern
def add_then_relu_after_matmul():
    x, w, b = sin_input(3, 4), cos_input(4, 5), sin_input(5, phase=0.5)
    h = x.matmul(w)
    h.add_(b)
    h.clamp_(min=0)
    return (h * h).sum(), {"x": x, "w": w, "b": b}


@pattern
def narrow_mul():
    x, y = sin_input(3, 4), cos_input(3, 2)
    z = x.clone()
    z.narrow(1, 1, 2).mul_(y)
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def select_add():
    x, y = sin_input(3, 4), cos_input(4)
    z = x.clone()
    z.select(0, 1).add_(y * y)
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def transpose_row_mul():
    x, y = sin_input(3, 4), cos_input(3)
    z = x.clone()
    z.transpose(0, 1)[2].mul_(y)
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def view_narrow_mul():
    x = sin_input(3, 4)
    z = x.clone()
    z.view(12).narrow(0, 2, 5).mul_(3)
    return (z * z).sum(), {"x": x}


@pattern
def unsqueeze_narrow_mul():
    x, y = sin_input(3, 4), cos_input(3, 1, 2)
    z = x.clone()
    z.unsqueeze(1).narrow(2, 0, 2).mul_(y)
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def chained_views_mul():
    x = sin_input(4, 6)
    z = x.clone()
    z[1:3][:, ::2].mul_(4)
    return (z * z).sum(), {"x": x}


@pattern
def two_overlapping_writes():
    x, y = sin_input(3, 4), cos_input(2, 4)
    z = x.clone()
    a, b = z[0:2], z[1:3]
    a.mul_(2)
    b.mul_(y)
    return (z * z).sum() + (a * a * a).sum(), {"x": x, "y": y}


@pattern
def base_used_again():
    x, y = sin_input(3, 4), cos_input(3)
    z = x.clone()
    v = z[:, 0]
    v.mul_(y)
    return z.exp().sum() + (v * v).sum() + z.sum(0).pow(2).sum(), {"x": x, "y": y}


@pattern
def view_taken_before_base_write():
    x, y = sin_input(3, 4), cos_input(3, 4)
    z = x.clone()
    v = z[1]
    z.mul_(y)
    return (v * v * v).sum(), {"x": x, "y": y}


@pattern
def base_without_grad():
    y = cos_input(4)
    z = torch.zeros(3, 4)
    z[1].add_(y)
    return (z * z).sum() + z.sum(), {"y": y}


@pattern
def copy_into_a_view():
    x, y = sin_input(3, 4), cos_input(4)
    z = x.clone()
    z[2].copy_(y * 3)
    return (z * z).sum(), {"x": x, "y": y}


@pattern
def fill_a_view():
    x = sin_input(3, 4)
    z = x.clone()
    z[:, 2].fill_(0.5)
    return (z * z).sum(), {"x": x}


@pattern
def double_backward():
    x = sin_input(3, 4)
    z = x.clone()
    z[:, 1].add_(z[:, 2].exp())
    z[0].mul_(3)
    loss = (z * z * z).sum()
    (gx,) = torch.autograd.grad(loss, x, create_graph=True)
    return (gx * gx).sum(), {"x": x}


def main():
    out = {"meta": {"torch": torch.__version__, "dtype": "float64",
                    "note": "loss and d(loss)/d(input) of each pattern; generated by scripts/golden/views.py"},
           "patterns": {}}
    for name, fn in PATTERNS.items():
        loss, inputs = fn()
        loss.backward()
        out["patterns"][name] = {
            "loss": loss.item(),
            "grads": {k: {"shape": list(v.shape), "data": v.grad.reshape(-1).tolist()} for k, v in inputs.items()},
        }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "tests", "src", "test", "resources", "golden", "views.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path), len(out["patterns"]), "patterns")


if __name__ == "__main__":
    main()
