#!/usr/bin/env python3
"""PyTorch's side of Ember's GemmShare (bench): the GEMMs of one W2 or W4 step at the same shapes and
layouts (a transposed operand is a transposed view, as autograd hands it over), median ms of 50 calls
after 200 untimed ones, each result freed at once. Run by hand beside GemmShare, with the thread
settings bench/run uses:

  OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 \\
    /tmp/ember-torch-venv/bin/python scripts/bench/gemm_share.py W2 W4
"""
import statistics
import sys
import time

import torch

# {m, k, n, transA, transB, batch, times per step}, as GemmShare.shapes
SHAPES = {
    "W2": [(128, 784, 512, 0, 1, 1, 1), (128, 512, 512, 0, 1, 1, 1), (128, 512, 10, 0, 1, 1, 1),
           (512, 128, 784, 1, 0, 1, 1), (512, 128, 512, 1, 0, 1, 1), (10, 128, 512, 1, 0, 1, 1),
           (128, 512, 512, 0, 0, 1, 1), (128, 10, 512, 0, 0, 1, 1)],
    "W4": [(1024, 128, 384, 0, 1, 1, 4), (1024, 128, 128, 0, 1, 1, 4), (1024, 128, 512, 0, 1, 1, 4),
           (1024, 512, 128, 0, 1, 1, 4),
           (1024, 384, 128, 0, 0, 1, 4), (1024, 128, 128, 0, 0, 1, 4), (1024, 512, 128, 0, 0, 1, 4),
           (1024, 128, 512, 0, 0, 1, 4),
           (384, 1024, 128, 1, 0, 1, 4), (128, 1024, 128, 1, 0, 1, 4), (512, 1024, 128, 1, 0, 1, 4),
           (128, 1024, 512, 1, 0, 1, 4),
           (1024, 128, 65, 0, 1, 1, 1), (1024, 65, 128, 0, 0, 1, 1), (65, 1024, 128, 1, 0, 1, 1),
           (64, 32, 64, 0, 1, 64, 4), (64, 64, 32, 0, 0, 64, 8), (32, 64, 64, 1, 0, 64, 4),
           (64, 32, 64, 0, 1, 64, 4), (64, 64, 32, 1, 0, 64, 4)],
}


def operand(batch, rows, cols, trans):
    t = torch.randn(batch, cols, rows).transpose(1, 2) if trans else torch.randn(batch, rows, cols)
    return t[0] if batch == 1 else t


def main():
    torch.set_num_threads(2)
    for w in sys.argv[1:] or ["W2"]:
        total, parts = 0.0, []
        for m, k, n, ta, tb, batch, per_step in SHAPES[w]:
            a, b = operand(batch, m, k, ta), operand(batch, k, n, tb)
            f = torch.mm if batch == 1 else torch.bmm
            for _ in range(200):
                f(a, b)
            t = []
            for _ in range(50):
                t0 = time.perf_counter()
                f(a, b)
                t.append((time.perf_counter() - t0) * 1e3)
            med = statistics.median(t)
            total += med * per_step
            parts.append(f"{str(batch) + ' x ' if batch > 1 else ''}[{m} x {k}]{'(T)' if ta else ''} @ "
                         f"[{k} x {n}]{'(T)' if tb else ''} {med:.3f} ms{f' (x{per_step} per step)' if per_step > 1 else ''}")
        print(f"{w} GEMMs per step (PyTorch {torch.__version__}): {total:.2f} ms")
        for p in parts:
            print("  " + p)


if __name__ == "__main__":
    main()
