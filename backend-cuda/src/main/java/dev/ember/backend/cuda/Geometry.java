package dev.ember.backend.cuda;

import dev.ember.kernels.Kernel;
import dev.ember.spi.Strided;

/**
 * Packs the {@code Geometry<N>} struct the kernels take by value (see {@code ember.cuh}): {@code
 * rank, numel, shape[8], offset[N], strides[N][8]} as 64-bit integers.
 *
 * <p>Before packing, size-1 dims are dropped and neighbouring dims that every operand walks
 * contiguously are merged, so a contiguous or simply broadcast launch has rank 1 and takes the
 * kernels' fast path, and views of rank above 8 usually still fit.
 */
final class Geometry {
  private static final int MAX = Kernel.MAX_DIMS;

  private Geometry() {}

  /** Packs a walk over {@code shape} for operands that each have that shape's rank. */
  static long[] of(String op, int[] shape, Strided... operands) {
    long[] offsets = new long[operands.length];
    int[][] strides = new int[operands.length][];
    for (int k = 0; k < operands.length; k++) {
      offsets[k] = operands[k].offset();
      strides[k] = operands[k].strides();
    }
    return of(op, shape, offsets, strides);
  }

  /** Packs a walk over {@code shape} for operands given by offsets and strides. */
  static long[] of(String op, int[] shape, long[] offsets, int[][] strides) {
    int n = offsets.length;
    long[] size = new long[shape.length];
    long[][] step = new long[n][shape.length];
    long numel = 1;
    int rank = 0;
    for (int d = 0; d < shape.length; d++) {
      numel *= shape[d];
      if (shape[d] == 1) {
        continue;
      }
      if (rank > 0 && mergeable(step, rank - 1, strides, d, shape[d])) {
        size[rank - 1] *= shape[d];
        for (int k = 0; k < n; k++) {
          step[k][rank - 1] = strides[k][d];
        }
        continue;
      }
      size[rank] = shape[d];
      for (int k = 0; k < n; k++) {
        step[k][rank] = strides[k][d];
      }
      rank++;
    }
    if (rank > MAX && numel > 0) {
      throw new UnsupportedOperationException(
          op + ": cuda kernels take at most " + MAX + " dims that cannot be merged; got " + rank);
    }
    long[] packed = new long[2 + MAX + n + n * MAX];
    packed[0] = Math.min(rank, MAX);
    packed[1] = numel;
    System.arraycopy(size, 0, packed, 2, Math.min(rank, MAX));
    System.arraycopy(offsets, 0, packed, 2 + MAX, n);
    for (int k = 0; k < n; k++) {
      System.arraycopy(step[k], 0, packed, 2 + MAX + n + k * MAX, Math.min(rank, MAX));
    }
    return packed;
  }

  /** Returns the number of elements a packed geometry walks. */
  static long numel(long[] packed) {
    return packed[1];
  }

  /** Returns the rank after merging. */
  static int rank(long[] packed) {
    return (int) packed[0];
  }

  private static boolean mergeable(long[][] step, int outer, int[][] strides, int d, int size) {
    for (int k = 0; k < step.length; k++) {
      if (step[k][outer] != (long) strides[k][d] * size) {
        return false;
      }
    }
    return true;
  }
}
