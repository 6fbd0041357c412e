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
   * Compares elements {@code a} and {@code b} (flat positions) as PyTorch's sort does: NaN after
   * every number, {@code -0.0} equal to {@code 0.0}.
   */
  int compare(int a, int b) {
    if (integral) {
      return Long.compare(longs[a], longs[b]);
    }
    double x = doubles[a];
    double y = doubles[b];
    if (x == y) {
      return 0;
    }
    boolean nx = Double.isNaN(x);
    boolean ny = Double.isNaN(y);
    if (nx || ny) {
      return nx && ny ? 0 : nx ? 1 : -1;
    }
    return x < y ? -1 : 1;
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
