"""PyTorch's side of CheckpointBenchmark: save/load MB/s of one float32 tensor of MB megabytes.

Run with the PyTorch of ../shared/bench/pytorch/run (its venv) and the `safetensors` package:
  PYTHONPATH=<dir with safetensors> $VENV/bin/python bench/pytorch_safetensors.py [MB] [REPEATS]
Prints one line per operation: median milliseconds and MB/s over REPEATS single shots, after 2
warm-up shots. "save+fsync" adds the os.fsync that Ember's atomic save does. The file read by the
loads is in the page cache, as in CheckpointBenchmark.
"""
import os
import statistics
import sys
import tempfile
import time

import torch

try:
    from safetensors.torch import load_file, save_file
except ImportError:  # compare with torch.save/torch.load only
    load_file = save_file = None

MB = int(sys.argv[1]) if len(sys.argv) > 1 else 256
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
torch.manual_seed(0)
state = {"weight": torch.rand(MB * 250_000)}
d = tempfile.mkdtemp(prefix="torch-ckpt-bench")


def median_ms(fn):
    times = []
    for i in range(REPEATS + 2):
        t0 = time.perf_counter()
        fn()
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def report(name, ms):
    print(f"{name:28s} {ms:8.1f} ms  {MB / (ms / 1e3):7.0f} MB/s")


print(f"torch {torch.__version__}, {MB} MB float32, {torch.get_num_threads()} threads, median of {REPEATS}")
if save_file is not None:
    st = os.path.join(d, "t.safetensors")
    report("safetensors save_file", median_ms(lambda: save_file(state, st)))
    report("safetensors save_file+fsync", median_ms(lambda: (save_file(state, st), fsync(st))))
    # load_file maps the file and reads pages on first touch; "+clone" owns the bytes, as Ember's load does.
    report("safetensors load_file (lazy)", median_ms(lambda: load_file(st)))
    report("safetensors load_file+clone", median_ms(lambda: {k: v.clone() for k, v in load_file(st).items()}))
    os.remove(st)
else:
    print("safetensors is not installed: torch.save/torch.load only")
pt = os.path.join(d, "t.pt")
report("torch.save", median_ms(lambda: torch.save(state, pt)))
report("torch.save+fsync", median_ms(lambda: (torch.save(state, pt), fsync(pt))))
report("torch.load", median_ms(lambda: torch.load(pt)))
os.remove(pt)
os.rmdir(d)
