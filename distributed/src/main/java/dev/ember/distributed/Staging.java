package dev.ember.distributed;

import com.sun.jna.Pointer;
import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Gives MPI the memory of a tensor: a contiguous tensor in host memory (a CPU tensor) is used in
 * place, through its storage's address ({@link #inPlace}); any other tensor (strided views, CUDA
 * tensors) is staged through a direct host buffer, one copy each way.
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

  /**
   * The memory MPI reads and writes for one tensor: the tensor's own (host, contiguous: its storage
   * pinned until {@link #release}) or a pooled staging buffer (copied in by {@link #of} when MPI
   * reads it, out by {@link #writeBack}).
   *
   * @param address where MPI's buffer starts
   * @param bytes the tensor's size in bytes
   * @param staged the staging buffer, or null when MPI works on the tensor in place
   * @param pinned the tensor's storage while MPI works on it in place, else null
   */
  record Region(Pointer address, int bytes, ByteBuffer staged, Storage pinned) {
    /**
     * Returns MPI's view of {@code t}: in place when it is contiguous host memory, else a buffer
     * from {@code pool}, filled with {@code t}'s elements when {@code read}.
     */
    static Region of(String op, Tensor t, boolean read, BufferPool pool) {
      int bytes = byteSize(op, t, 1);
      Strided s = t.strided();
      long base = s.storage().hostAddress();
      if (base != 0 && s.isContiguous()) {
        s.storage().pin(op);
        return new Region(new Pointer(base + s.offset() * t.dtype().byteSize()), bytes, null, s.storage());
      }
      ByteBuffer buf = pool.acquire(bytes);
      if (read) {
        copyIn(t, buf, 0);
      }
      return new Region(MpiProcessGroup.address(buf), bytes, buf, null);
    }

    /** Returns whether MPI works on the tensor's own memory. */
    boolean inPlace() {
      return staged == null;
    }

    /** Returns the region's bytes as a little-endian buffer (for {@link #divide}). */
    ByteBuffer buffer() {
      return staged != null ? staged
          : address.getByteBuffer(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Copies what MPI wrote back into {@code t} if it was staged (in place there is nothing to do). */
    void writeBack(Tensor t) {
      if (staged != null) {
        copyOut(staged, 0, t);
      }
    }

    /** Unpins the tensor's storage or gives the staging buffer back to {@code pool}; once. */
    void release(BufferPool pool) {
      if (pinned != null) {
        pinned.unpin();
      } else {
        pool.release(staged);
      }
    }
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
