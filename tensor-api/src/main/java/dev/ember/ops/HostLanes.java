package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;

/**
 * A tensor's elements copied to the host, row-major, and walked lane by lane along one dim: the
 * data-dependent ops (sorting, unique, sampling, scatter's last-write rule) decide positions here
 * and then move whole tensors with the differentiable device ops ({@code gather}, {@code where}).
 * Integer and bool tensors are read as {@code long}s (exact beyond 2^53), floating ones as {@code
 * double}s.
 */
final class HostLanes {
  final int[] shape;
  final int dim;
  final int outer;
  final int length;
  final int inner;
  final boolean integral;
  final long[] longs;
  final double[] doubles;

  private HostLanes(Tensor x, int dim) {
    this.shape = x.dim() == 0 ? new int[] {1} : x.shapeArray();
    this.dim = dim;
    int o = 1;
    for (int k = 0; k < dim; k++) {
      o *= shape[k];
    }
    int in = 1;
    for (int k = dim + 1; k < shape.length; k++) {
      in *= shape[k];
    }
    this.outer = o;
    this.length = shape[dim];
    this.inner = in;
    this.integral = !x.dtype().isFloatingPoint();
    this.longs = integral ? x.toLongArray() : null;
    this.doubles = integral ? null : x.toDoubleArray();
  }

  /** Copies {@code x} to the host; {@code dim} is already normalized (0 for a 0-d tensor). */
  static HostLanes of(Tensor x, int dim) {
    return new HostLanes(x, dim);
  }

  /** Returns the number of lanes ({@code outer * inner}). */
  int lanes() {
    return outer * inner;
  }

  /** Returns the flat row-major position of element {@code j} of lane {@code lane}. */
  int at(int lane, int j) {
    int o = lane / inner;
    int i = lane % inner;
    return (o * length + j) * inner + i;
  }

  /**
   * Returns a {@code long} whose signed order is PyTorch's sort order of element {@code flat}: the
   * integer itself, or for floating values the IEEE bits made monotonic, with {@code -0.0} read as
   * {@code 0.0} and every NaN as one NaN above {@code +inf}.
   */
  long sortKey(int flat) {
    if (integral) {
      return longs[flat];
    }
    double v = doubles[flat];
    long bits = Double.doubleToLongBits(v == 0 ? 0.0 : v); // canonical NaN, -0.0 folded into 0.0
    return bits ^ ((bits >> 63) & Long.MAX_VALUE);
  }

  /**
   * Returns the positions {@code 0 .. length-1} of lane {@code lane} in sorted order (descending
   * if asked); equal elements keep their input order. A bottom-up merge sort on primitive keys.
   */
  int[] sortedLane(int lane, boolean descending) {
    int n = length;
    long[] keys = new long[n];
    for (int j = 0; j < n; j++) {
      long k = sortKey(at(lane, j));
      keys[j] = descending ? ~k : k; // ~ reverses the order; the merge keeps ties stable
    }
    return stableOrder(keys);
  }

  /** Returns the stable ascending order of {@code keys} as positions. */
  static int[] stableOrder(long[] keys) {
    int n = keys.length;
    int[] a = new int[n];
    for (int j = 0; j < n; j++) {
      a[j] = j;
    }
    int[] b = new int[n];
    for (int width = 1; width < n; width <<= 1) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int o = lo;
        while (i < mid && j < hi) {
          b[o++] = keys[a[j]] < keys[a[i]] ? a[j++] : a[i++];
        }
        while (i < mid) {
          b[o++] = a[i++];
        }
        while (j < hi) {
          b[o++] = a[j++];
        }
      }
      int[] t = a;
      a = b;
      b = t;
    }
    return a;
  }

  /** Returns a row-major int64 tensor of {@code values} with {@code shape} on {@code device}. */
  static Tensor longs(long[] values, int[] shape, Device device) {
    return Tensor.of(values, shape).to(device);
  }

  /** Returns a tensor of {@code values} with {@code shape}, {@code dtype} and {@code device}. */
  static Tensor values(double[] values, int[] shape, DType dtype, Device device) {
    return Tensor.of(values, shape).to(dtype).to(device);
  }
}
