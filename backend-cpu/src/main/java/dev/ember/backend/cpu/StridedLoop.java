package dev.ember.backend.cpu;

/**
 * Walks the elements of up to three strided operands of one shape in row-major order, handing the
 * innermost dimension to a body as one run of {@code n} elements with per-operand strides. Dims
 * that are contiguous across all operands are merged first, so a contiguous tensor is one run.
 */
final class StridedLoop {
  /** The innermost run: element k of operand j is at {@code offsets[j] + k * strides[j]}. */
  @FunctionalInterface
  interface Body {
    void run(int o0, int s0, int o1, int s1, int o2, int s2, int n);
  }

  /** The innermost run over four operands. */
  @FunctionalInterface
  interface Body4 {
    void run(int o0, int s0, int o1, int s1, int o2, int s2, int o3, int s3, int n);
  }

  private interface Runs {
    void run(long[] pos, int[] innerStrides, int n);
  }

  private StridedLoop() {}

  /** Iterates over {@code shape}; {@code strides[j]} and {@code offsets[j]} describe operand j. */
  static void forEach(int[] shape, int[][] strides, long[] offsets, Body body) {
    int ops = strides.length;
    iterate(shape, strides, offsets, (p, s, n) -> body.run((int) p[0], s[0], ops > 1 ? (int) p[1] : 0,
        ops > 1 ? s[1] : 0, ops > 2 ? (int) p[2] : 0, ops > 2 ? s[2] : 0, n));
  }

  /** Iterates four operands over {@code shape}. */
  static void forEach4(int[] shape, int[][] strides, long[] offsets, Body4 body) {
    iterate(shape, strides, offsets, (p, s, n) -> body.run((int) p[0], s[0], (int) p[1], s[1], (int) p[2],
        s[2], (int) p[3], s[3], n));
  }

  private static void iterate(int[] shape, int[][] strides, long[] offsets, Runs body) {
    int ops = strides.length;
    int rank = shape.length;
    long total = 1;
    for (int d : shape) {
      total *= d;
    }
    if (total == 0) {
      return;
    }
    // Merge dim d into d+1 when every operand steps over d exactly as a run of d+1.
    int[] sh = new int[Math.max(rank, 1)];
    int[][] st = new int[ops][Math.max(rank, 1)];
    int r = 0;
    if (rank == 0) {
      sh[0] = 1;
      r = 1;
    }
    for (int d = 0; d < rank; d++) {
      if (shape[d] == 1) {
        continue;
      }
      if (r > 0) {
        boolean merge = true;
        for (int j = 0; j < ops && merge; j++) {
          merge = st[j][r - 1] == strides[j][d] * shape[d];
        }
        if (merge) {
          sh[r - 1] *= shape[d];
          for (int j = 0; j < ops; j++) {
            st[j][r - 1] = strides[j][d];
          }
          continue;
        }
      }
      sh[r] = shape[d];
      for (int j = 0; j < ops; j++) {
        st[j][r] = strides[j][d];
      }
      r++;
    }
    if (r == 0) {
      sh[0] = 1;
      r = 1;
    }
    int inner = sh[r - 1];
    int[] innerStrides = new int[ops];
    for (int j = 0; j < ops; j++) {
      innerStrides[j] = st[j][r - 1];
    }
    long outer = total / inner;
    int[] counter = new int[r];
    long[] pos = offsets.clone();
    for (long it = 0; it < outer; it++) {
      body.run(pos, innerStrides, inner);
      for (int d = r - 2; d >= 0; d--) {
        counter[d]++;
        for (int j = 0; j < ops; j++) {
          pos[j] += st[j][d];
        }
        if (counter[d] < sh[d]) {
          break;
        }
        for (int j = 0; j < ops; j++) {
          pos[j] -= (long) st[j][d] * sh[d];
        }
        counter[d] = 0;
      }
    }
  }
}
