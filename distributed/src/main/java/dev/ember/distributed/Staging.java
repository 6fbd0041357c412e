package dev.ember.distributed;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.spi.Strided;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Moves tensor elements between a tensor (any device, any strides) and the direct host buffers MPI
 * reads and writes: CPU and CUDA tensors alike are staged through host memory, one copy each way.
 */
final class Staging {
  private Staging() {}

  /** Returns the bytes {@code t} takes contiguously; raises past MPI's int counts (2 GiB). */
  static int byteSize(String op, Tensor t, long copies) {
    long bytes = t.numel() * t.dtype().byteSize() * copies;
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(op + ": " + t.dtype() + t.shape() + " x " + copies + " is "
          + bytes + " bytes; collectives move at most 2 GiB per call, split the tensor");
    }
    return (int) bytes;
  }

  /** Returns a zeroed little-endian direct buffer of {@code bytes} bytes (at least 1, for MPI). */
  static ByteBuffer allocate(int bytes) {
    return ByteBuffer.allocateDirect(Math.max(bytes, 1)).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Copies {@code t}'s elements, row-major, into {@code buf} at byte {@code at}. */
  static void copyIn(Tensor t, ByteBuffer buf, int at) {
    long n = t.numel();
    if (n == 0) {
      return;
    }
    Tensor c = t.detach().contiguous();
    Strided s = c.strided();
    ByteBuffer view = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    view.position(at);
    c.backend().copyToHost(s.storage(), s.offset(), (int) n, view.slice().order(ByteOrder.LITTLE_ENDIAN));
  }

  /** Writes {@code buf}'s bytes from {@code at} into {@code t} (in place, outside autograd). */
  static void copyOut(ByteBuffer buf, int at, Tensor t) {
    long n = t.numel();
    if (n == 0) {
      return;
    }
    ByteBuffer view = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    view.position(at);
    ByteBuffer src = view.slice().order(ByteOrder.LITTLE_ENDIAN);
    Strided s = t.strided();
    if (s.isContiguous()) {
      t.backend().copyFromHost(src, s.storage(), s.offset(), (int) n);
      return;
    }
    Tensor staged = Tensor.empty(t.shape(), t.dtype(), dev.ember.Device.CPU);
    Strided d = staged.strided();
    staged.backend().copyFromHost(src, d.storage(), d.offset(), (int) n);
    try (GradMode off = GradMode.set(false)) {
      t.copyInPlace(staged);
    }
  }

  /** Divides {@code count} floating-point elements of {@code dtype} at byte {@code at} by {@code d}. */
  static void divide(ByteBuffer buf, int at, long count, DType dtype, int d) {
    ByteBuffer view = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    view.position(at);
    ByteBuffer region = view.slice().order(ByteOrder.LITTLE_ENDIAN);
    if (dtype == DType.FLOAT32) {
      FloatBuffer f = region.asFloatBuffer();
      for (int i = 0; i < count; i++) {
        f.put(i, f.get(i) / d);
      }
    } else if (dtype == DType.FLOAT64) {
      DoubleBuffer f = region.asDoubleBuffer();
      for (int i = 0; i < count; i++) {
        f.put(i, f.get(i) / d);
      }
    } else {
      throw new IllegalArgumentException("avg needs a floating-point dtype, got " + dtype);
    }
  }
}
