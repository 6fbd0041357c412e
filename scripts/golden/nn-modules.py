"""Golden cases for the nn-modules topic (torch.nn.functional.conv3d), run by hand:

    /tmp/ember-torch-venv/bin/python scripts/golden/nn-modules.py

writes tests/src/test/resources/golden/nn-modules.json in the format of shared/golden/README.md
(float64 forward values, grad_output, and the gradient of sum(output * grad_output) per input).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(12)


def t(x):
    return {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""),
            "data": x.detach().reshape(-1).tolist()}


def case(name, inputs, attrs):
    ins = [x.clone().requires_grad_(True) if x is not None else None for x in inputs]
    out = F.conv3d(*[x for x in ins], **attrs)
    go = torch.randn(out.shape, dtype=torch.float64)
    grads = torch.autograd.grad(out, [x for x in ins if x is not None], go)
    return {"name": "torch.nn.functional.conv3d/" + name, "op": "torch.nn.functional.conv3d", "attrs": attrs,
            "inputs": [t(x) for x in ins if x is not None], "output": t(out), "grad_output": t(go),
            "grads": [t(g) for g in grads]}


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float64)


cases = [
    case("basic_bias", [rnd(2, 3, 4, 5, 5), rnd(4, 3, 2, 3, 3), rnd(4)], {}),
    case("stride_pad_dilation_groups", [rnd(1, 4, 5, 6, 7), rnd(6, 2, 3, 2, 3), rnd(6)],
         {"stride": [2, 1, 2], "padding": [1, 0, 1], "dilation": [1, 2, 1], "groups": 2}),
    case("unbatched_no_bias_stride2", [rnd(2, 5, 4, 4), rnd(3, 2, 1, 2, 2)], {"stride": [2, 2, 2], "padding": [0, 1, 0]}),
]
root = os.path.join(os.path.dirname(__file__), "..", "..")
path = os.path.join(root, "tests", "src", "test", "resources", "golden", "nn-modules.json")
with open(path, "w") as f:
    json.dump({"meta": {"torch": torch.__version__, "generator": "scripts/golden/nn-modules.py"}, "cases": cases}, f)
print("wrote", len(cases), "cases to", os.path.normpath(path))
