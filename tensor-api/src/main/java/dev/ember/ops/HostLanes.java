package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import java.util.Arrays;

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
  /** Whether every element fits 32 bits (float32, int32, bool, ...): then sorting packs key and position. */
  final boolean narrow;
  final long[] longs;
  final double[] doubles;

  private HostLanes(Tensor x, int dim) {
    checkHostSize(x);
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
    this.narrow = x.dtype().byteSize() <= 4;
    this.longs = integral ? x.toLongArray() : null;
    this.doubles = integral ? null : x.toDoubleArray();
  }

  /**
   * Refuses a tensor too large for one Java array, which the host-side ops (sort, topk, unique,
   * scatter, nonzero, the samplers) need, instead of truncating its size.
   */
  static void checkHostSize(Tensor x) {
    if (x.numel() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("the host-side ops (sort, topk, unique, scatter, nonzero, ...) take at"
          + " most 2^31 - 9 elements, got shape " + x.shape() + " (" + x.numel() + " elements)");
    }
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
   * if asked); equal elements keep their input order. Elements of at most 32 bits sort as one
   * {@code long} each (key in the high half, position in the low half, so ties fall to the
   * position) with {@link Arrays#sort(long[])}; 64-bit elements by a merge sort of key and position.
   */
  int[] sortedLane(int lane, boolean descending) {
    int n = length;
    int[] order = new int[n];
    if (narrow) {
      long[] packed = new long[n];
      for (int j = 0; j < n; j++) {
        int k = narrowKey(at(lane, j));
        packed[j] = ((long) (descending ? ~k : k) << 32) | j; // ~ reverses the order
      }
      Arrays.sort(packed);
      for (int j = 0; j < n; j++) {
        order[j] = (int) packed[j];
      }
      return order;
    }
    long[] keys = new long[n];
    for (int j = 0; j < n; j++) {
      long k = sortKey(at(lane, j));
      keys[j] = descending ? ~k : k;
      order[j] = j;
    }
    mergeSort(keys, order);
    return order;
  }

  /** The 32-bit form of {@link #sortKey} for elements of at most 32 bits. */
  private int narrowKey(int flat) {
    if (integral) {
      return (int) longs[flat];
    }
    float v = (float) doubles[flat];
    int bits = Float.floatToIntBits(v == 0 ? 0f : v);
    return bits ^ ((bits >> 31) & Integer.MAX_VALUE);
  }

  /** Sorts {@code keys} ascending, stably, moving {@code positions} along (bottom-up merge sort). */
  private static void mergeSort(long[] keys, int[] positions) {
    int n = keys.length;
    long[] k1 = keys;
    int[] p1 = positions;
    long[] k2 = new long[n];
    int[] p2 = new int[n];
    for (int width = 1; width < n; width <<= 1) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + 2 * width, n);
        int i = lo;
        int j = mid;
        int o = lo;
        while (i < mid && j < hi) {
          if (k1[j] < k1[i]) {
            k2[o] = k1[j];
            p2[o++] = p1[j++];
          } else {
            k2[o] = k1[i];
            p2[o++] = p1[i++];
          }
        }
        System.arraycopy(k1, i, k2, o, mid - i);
        System.arraycopy(p1, i, p2, o, mid - i);
        o += mid - i;
        System.arraycopy(k1, j, k2, o, hi - j);
        System.arraycopy(p1, j, p2, o, hi - j);
      }
      long[] kt = k1;
      k1 = k2;
      k2 = kt;
      int[] pt = p1;
      p1 = p2;
      p2 = pt;
    }
    if (k1 != keys) {
      System.arraycopy(k1, 0, keys, 0, n);
      System.arraycopy(p1, 0, positions, 0, n);
    }
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
