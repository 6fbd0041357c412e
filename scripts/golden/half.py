"""Golden cases for float16 and bfloat16, computed by PyTorch's CPU kernels.

Run by hand from the repository root:

    /tmp/ember-torch-venv/bin/python scripts/golden/half.py

It takes the cases of the ops real programs run in half precision from the float64 golden file
(tests/src/test/resources/golden-cases.json), rounds their floating inputs to float16 and to
bfloat16, and records PyTorch's outputs and input gradients in that dtype (grad_output rounded
the same way). It also records spot conversions float32 -> float16/bfloat16 bit patterns, and
writes golden/half.safetensors from PyTorch's bytes with the values it holds.
Output: tests/src/test/resources/golden/half.json, in the format of golden-cases.json with
"dtype": "float16" / "bfloat16" (every number is the exact value of a half).
"""
import json
import struct

import torch
import torch.nn.functional as F

SOURCE = "tests/src/test/resources/golden-cases.json"
TARGET = "tests/src/test/resources/golden/half.json"
SAFETENSORS = "tests/src/test/resources/golden/half.safetensors"

OPS = [
    "torch.add", "torch.sub", "torch.mul", "torch.div", "torch.maximum", "torch.exp", "torch.log",
    "torch.sqrt", "torch.tanh", "torch.sigmoid", "torch.relu", "torch.nn.functional.gelu",
    "torch.nn.functional.silu", "torch.sum", "torch.mean", "torch.amax", "torch.matmul", "torch.bmm",
    "torch.nn.functional.linear", "torch.where", "torch.softmax", "torch.log_softmax",
    "torch.nn.functional.cross_entropy", "torch.nn.functional.mse_loss",
    "torch.nn.functional.layer_norm", "torch.nn.functional.embedding", "torch.nn.functional.conv2d",
    "torch.nn.functional.max_pool2d",
]


def resolve(name):
    if name.startswith("torch.nn.functional."):
        return getattr(F, name[len("torch.nn.functional."):])
    return getattr(torch, name[len("torch."):])


def data(t):
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
            "data": t.detach().double().reshape(-1).tolist()}


def tensor(d, dtype):
    t = torch.tensor(d["data"], dtype=torch.float64).reshape(d["shape"])
    if d["dtype"] == "bool":
        return t.bool()
    if d["dtype"].startswith("int"):
        return t.long()
    return t.to(dtype)


def case(c, dtype):
    inputs = [tensor(d, dtype) for d in c["inputs"]]
    for t in inputs:
        if t.is_floating_point():
            t.requires_grad_(True)
    attrs = dict(c["attrs"])
    if "dim" in attrs and isinstance(attrs["dim"], list):
        attrs["dim"] = tuple(attrs["dim"])
    if "dim" in attrs and attrs["dim"] is None:
        del attrs["dim"]
        attrs.pop("keepdim", None)
    if c["op"] == "torch.nn.functional.layer_norm":
        out = F.layer_norm(inputs[0], attrs["normalized_shape"], *inputs[1:], eps=attrs["eps"])
    else:
        out = resolve(c["op"])(*inputs, **attrs)
    grad_out = tensor(c["grad_output"], dtype)
    diff = [t for t in inputs if t.requires_grad]
    grads = iter(torch.autograd.grad(out, diff, grad_out, allow_unused=True))
    suffix = "f16" if dtype == torch.float16 else "bf16"
    return {"name": c["name"] + "/" + suffix, "op": c["op"], "attrs": c["attrs"],
            "inputs": [data(t) for t in inputs], "output": data(out), "grad_output": data(grad_out),
            "grads": [data(next(grads)) if t.requires_grad else None for t in inputs]}


def bits(x, dtype):
    return torch.tensor([x], dtype=torch.float32).to(dtype).view(torch.int16).item() & 0xFFFF


def main():
    source = json.load(open(SOURCE))
    cases = []
    for dtype in (torch.float16, torch.bfloat16):
        for c in source["cases"]:
            if c["op"] in OPS and c.get("grad_output") is not None:
                cases.append(case(c, dtype))
    # Spot conversions: float32 bit patterns -> half bit patterns as PyTorch's CPU rounds them.
    spots = [0x3DCCCCCD, 0x477FEFFF, 0x477FF000, 0x477FE000, 0x33000000, 0x33000001, 0x387FC000,
             0x387FE000, 0x3F801000, 0x3F803000, 0x3F808000, 0x3F818000, 0x7F7FFFFF, 0x7F800000,
             0xFF800000, 0x80000000, 0x00000001, 0xC0490FDB, 0x3F8FFFFF, 0x4B800000]
    conversions = []
    for b in spots:
        f = struct.unpack("<f", struct.pack("<I", b))[0]
        conversions.append({"float32_bits": b, "float16_bits": bits(f, torch.float16),
                            "bfloat16_bits": bits(f, torch.bfloat16)})
    # A safetensors file holding PyTorch's float16 and bfloat16 bytes (written by hand to the
    # format's spec: the safetensors package is not installed), and the values it must load as.
    source_values = torch.tensor([[0.1, -1.5, 65504.0], [1e-7, 3.0e38, -0.0]], dtype=torch.float32)
    stored = {"h": source_values.clamp(-65504, 65504).to(torch.float16),
              "b": source_values.to(torch.bfloat16)}
    header, blobs, offset = {}, [], 0
    for name, t in stored.items():
        raw = t.contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": "F16" if t.dtype == torch.float16 else "BF16", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(SAFETENSORS, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    safetensors = {name: data(t) for name, t in stored.items()}
    meta = {"generator": "PyTorch " + torch.__version__, "script": "scripts/golden/half.py",
            "note": "inputs rounded to the case's dtype by PyTorch; outputs and grads are PyTorch's"
                    " CPU results in that dtype", "count": len(cases)}
    with open(TARGET, "w") as f:
        json.dump({"meta": meta, "conversions": conversions, "safetensors": safetensors, "cases": cases}, f)
    print(len(cases), "cases written to", TARGET)


if __name__ == "__main__":
    main()
