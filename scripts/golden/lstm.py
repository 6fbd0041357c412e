"""PyTorch's nn.LSTM numbers for Ember's recurrent golden cases (run by hand).

Writes tests/src/test/resources/golden/lstm.json in the format of shared/golden/README.md: op
"torch.nn.LSTM", inputs x, h0, c0 and the module's parameters in state-dict order, attrs with the
constructor's arguments and output_index (0 output, 1 h_n, 2 c_n); grads of sum(output * grad_output)
with respect to every input. float64, seeded.

    /tmp/ember-torch-venv/bin/python scripts/golden/lstm.py
"""
import json
import os

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def data(t):
    return {"shape": list(t.shape), "dtype": "float64", "data": t.detach().reshape(-1).tolist()}


def cases_for(name, input_size, hidden, layers, bias, batch_first, bidirectional, t, n):
    lstm = torch.nn.LSTM(input_size, hidden, layers, bias=bias, batch_first=batch_first,
                         bidirectional=bidirectional)
    d = 2 if bidirectional else 1
    x = torch.randn((n, t, input_size) if batch_first else (t, n, input_size))
    h0 = torch.randn(layers * d, n, hidden)
    c0 = torch.randn(layers * d, n, hidden)
    params = [p.detach().clone() for p in lstm.parameters()]
    out = []
    for index, label in enumerate(["output", "h_n", "c_n"]):
        leaves = [v.clone().requires_grad_(True) for v in [x, h0, c0] + params]
        y, (hn, cn) = torch.func.functional_call(lstm, dict(zip(lstm._flat_weights_names, leaves[3:])),
                                                 (leaves[0], (leaves[1], leaves[2])))
        result = [y, hn, cn][index]
        grad_output = torch.randn(result.shape)
        grads = torch.autograd.grad(result, leaves, grad_output, allow_unused=True)
        out.append({
            "name": f"torch.nn.LSTM/{name}/{label}", "op": "torch.nn.LSTM",
            "attrs": {"input_size": input_size, "hidden_size": hidden, "num_layers": layers, "bias": bias,
                      "batch_first": batch_first, "bidirectional": bidirectional, "output_index": index},
            "inputs": [data(v) for v in [x, h0, c0] + params],
            "output": data(result), "grad_output": data(grad_output),
            "grads": [None if g is None else data(g) for g in grads]})
    return out


cases = []
cases += cases_for("1layer_batch_first", 3, 4, 1, True, True, False, 5, 3)
cases += cases_for("2layers_bidirectional", 3, 4, 2, True, False, True, 4, 2)
cases += cases_for("2layers_no_bias", 2, 3, 2, False, False, False, 3, 2)
root = {"meta": {"generator": "scripts/golden/lstm.py", "torch": torch.__version__, "dtype": "float64"},
        "cases": cases}
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "tests", "src", "test", "resources", "golden", "lstm.json")
with open(path, "w") as f:
    json.dump(root, f)
print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
