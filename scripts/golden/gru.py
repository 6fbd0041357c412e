"""PyTorch's nn.GRU numbers for Ember's recurrent golden cases (run by hand).

Writes tests/src/test/resources/golden/gru.json in the format of shared/golden/README.md: op
"torch.nn.GRU", inputs x, h0 (only where attrs has_h0 is true) and the module's parameters in
state-dict order, attrs with the constructor's arguments (dropout 0) and output_index (0 output,
1 h_n); grads of sum(output * grad_output) with respect to every input. float64, seeded.

    /tmp/ember-torch-venv/bin/python scripts/golden/gru.py
"""
import json
import os

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def data(t):
    return {"shape": list(t.shape), "dtype": "float64", "data": t.detach().reshape(-1).tolist()}


def cases_for(name, input_size, hidden, layers, bias, batch_first, bidirectional, has_h0, t, n):
    gru = torch.nn.GRU(input_size, hidden, layers, bias=bias, batch_first=batch_first,
                       bidirectional=bidirectional, dropout=0.0)
    d = 2 if bidirectional else 1
    x = torch.randn((n, t, input_size) if batch_first else (t, n, input_size))
    h0 = torch.randn(layers * d, n, hidden)
    params = [p.detach().clone() for p in gru.parameters()]
    state = [h0] if has_h0 else []
    out = []
    for index, label in enumerate(["output", "h_n"]):
        leaves = [v.clone().requires_grad_(True) for v in [x] + state + params]
        first = 1 + len(state)
        y, hn = torch.func.functional_call(gru, dict(zip(gru._flat_weights_names, leaves[first:])),
                                           (leaves[0], leaves[1] if has_h0 else None))
        result = [y, hn][index]
        grad_output = torch.randn(result.shape)
        grads = torch.autograd.grad(result, leaves, grad_output, allow_unused=True)
        out.append({
            "name": f"torch.nn.GRU/{name}/{label}", "op": "torch.nn.GRU",
            "attrs": {"input_size": input_size, "hidden_size": hidden, "num_layers": layers, "bias": bias,
                      "batch_first": batch_first, "bidirectional": bidirectional, "has_h0": has_h0,
                      "output_index": index},
            "inputs": [data(v) for v in [x] + state + params],
            "output": data(result), "grad_output": data(grad_output),
            "grads": [None if g is None else data(g) for g in grads]})
    return out


cases = []
cases += cases_for("1layer_batch_first_h0", 3, 4, 1, True, True, False, True, 5, 3)
cases += cases_for("1layer_no_h0", 4, 5, 1, True, False, False, False, 6, 2)
cases += cases_for("2layers_bidirectional_h0", 3, 4, 2, True, False, True, True, 4, 2)
cases += cases_for("2layers_bidirectional_batch_first_no_h0", 2, 3, 2, True, True, True, False, 3, 2)
cases += cases_for("2layers_no_bias_h0", 2, 3, 2, False, False, False, True, 3, 2)
cases += cases_for("1layer_bidirectional_no_bias_no_h0", 3, 2, 1, False, True, True, False, 4, 3)
root = {"meta": {"generator": "scripts/golden/gru.py", "torch": torch.__version__, "dtype": "float64"},
        "cases": cases}
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "tests", "src", "test", "resources", "golden", "gru.json")
with open(path, "w") as f:
    json.dump(root, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
