package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.Storage;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Off-heap memory for the CPU backend: a block from {@link CpuMemory} (JavaCPP pointers, the
 * allocator ND4J uses) with typed NIO views for the Java kernels. float16 and bfloat16 take 2 bytes
 * an element and are read and written through {@link HalfFloats}. Returned to the allocator by
 * {@link #close()} or, once unreachable, by a {@link java.lang.ref.Cleaner}.
 *
 * <p>Kernels read raw addresses, so a storage another thread closes while a kernel reads it must
 * not be freed under that kernel: every kernel {@linkplain #pin pins} its operands' storages (one
 * atomic increment and decrement each) and {@link #close()} only marks a pinned storage closed; the
 * last kernel to unpin it frees it. A kernel that starts after the close raises {@link
 * IllegalStateException}.
 */
final class CpuStorage implements Storage {
  private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

  /** Returns the block to the allocator; holds the pointer, never the storage. */
  private static final class Release implements Runnable {
    private final BytePointer pointer;
    private final long size;

    Release(BytePointer pointer, long size) {
      this.pointer = pointer;
      this.size = size;
    }

    @Override
    public void run() {
      CpuMemory.INSTANCE.release(pointer, size);
    }
  }

  private final DType dtype;
  private final long numel;
  private final BytePointer pointer;
  final ByteBuffer bytes;
  final FloatBuffer f32;
  final DoubleBuffer f64;
  final LongBuffer i64;
  final IntBuffer i32;
  /** The raw 16-bit patterns of a float16 or bfloat16 storage. */
  final ShortBuffer half;
  /** The native address of element 0, for {@link Raw} access. */
  final long address;
  private final java.lang.ref.Cleaner.Cleanable cleanable;
  /** The number of kernels using the storage, with {@link #CLOSED} set once it is closed. */
  private volatile int uses;

  private static final int CLOSED = Integer.MIN_VALUE;
  private static final VarHandle USES;

  static {
    try {
      USES = MethodHandles.lookup().findVarHandle(CpuStorage.class, "uses", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  CpuStorage(DType dtype, long numel) {
    long byteCount = numel * dtype.byteSize();
    if (byteCount > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("allocate: " + numel + " elements of " + dtype + " exceed the CPU"
          + " backend's 2 GiB per-tensor limit");
    }
    this.dtype = dtype;
    this.numel = numel;
    long size = CpuMemory.sizeClass(byteCount);
    this.pointer = CpuMemory.INSTANCE.acquire(byteCount);
    this.cleanable = CLEANER.register(this, new Release(pointer, size));
    this.address = pointer.address();
    this.bytes = pointer.position(0).limit(byteCount).asByteBuffer().order(ByteOrder.nativeOrder());
    this.f32 = dtype == DType.FLOAT32 ? bytes.asFloatBuffer() : null;
    this.f64 = dtype == DType.FLOAT64 ? bytes.asDoubleBuffer() : null;
    this.i64 = dtype == DType.INT64 ? bytes.asLongBuffer() : null;
    this.i32 = dtype == DType.INT32 ? bytes.asIntBuffer() : null;
    this.half = dtype.isHalf() ? bytes.asShortBuffer() : null;
  }

  @Override
  public DType dtype() {
    return dtype;
  }

  @Override
  public long numel() {
    return numel;
  }

  @Override
  public boolean isClosed() {
    return uses < 0;
  }

  /**
   * Marks the storage closed and frees it, or, while kernels are using it, leaves the free to the
   * last of them; idempotent and safe from any thread.
   */
  @Override
  public void close() {
    int before = (int) USES.getAndBitwiseOr(this, CLOSED);
    if (before == 0) {
      cleanable.clean();
    }
  }

  /**
   * Marks the storage in use by a kernel, so a concurrent {@link #close()} defers the free until
   * {@link #unpin()}.
   *
   * @param op the kernel (a name or an op enum), for the error message
   * @throws IllegalStateException naming {@code op} when the storage is already closed
   */
  @Override
  public void pin(Object op) {
    int u;
    do {
      u = uses;
      if (u < 0) {
        throw new IllegalStateException(op.toString().toLowerCase(java.util.Locale.ROOT) + ": use after close: a " + dtype + " storage of " + numel
            + " elements on cpu was closed (by another thread, or a view of a closed tensor)");
      }
    } while (!USES.weakCompareAndSet(this, u, u + 1));
  }

  /** Ends a kernel's use; frees the storage if it was closed meanwhile and this was the last use. */
  @Override
  public void unpin() {
    int before = (int) USES.getAndAdd(this, -1);
    if (before == (CLOSED | 1)) {
      cleanable.clean();
    }
  }

  /** Returns the address of element 0: CPU storage is host memory MPI may use in place. */
  @Override
  public long hostAddress() {
    return address;
  }

  /** Returns the address of element {@code index}. */
  long at(long index) {
    return address + index * dtype.byteSize();
  }

  /** Returns a float pointer at element {@code offset}, for BLAS. */
  FloatPointer floatPointer(long offset) {
    return new FloatPointer(pointer).position(offset);
  }

  /** Returns a double pointer at element {@code offset}, for BLAS. */
  DoublePointer doublePointer(long offset) {
    return new DoublePointer(pointer).position(offset);
  }

  BytePointer pointer() {
    return pointer;
  }

  /** Reads element {@code i} as a double. */
  double getDouble(int i) {
    return switch (dtype) {
      case FLOAT32 -> f32.get(i);
      case FLOAT64 -> f64.get(i);
      case INT64 -> i64.get(i);
      case INT32 -> i32.get(i);
      case BOOL -> bytes.get(i);
      case FLOAT16 -> HalfFloats.halfToFloat(half.get(i));
      case BFLOAT16 -> HalfFloats.bfloat16ToFloat(half.get(i));
      case COMPLEX64, COMPLEX128 -> throw complexNeverStored();
    };
  }

  /** Reads element {@code i} as a long (floating values truncate toward zero). */
  long getLong(int i) {
    return switch (dtype) {
      case FLOAT32 -> (long) f32.get(i);
      case FLOAT64 -> (long) f64.get(i);
      case INT64 -> i64.get(i);
      case INT32 -> i32.get(i);
      case BOOL -> bytes.get(i);
      case FLOAT16, BFLOAT16 -> (long) getDouble(i);
      case COMPLEX64, COMPLEX128 -> throw complexNeverStored();
    };
  }

  /** Complex tensors live in float storage (tensor-api lowers their ops), so no storage has a complex dtype. */
  private static IllegalStateException complexNeverStored() {
    return new IllegalStateException("cpu: complex dtypes are lowered to float32/float64 views in tensor-api"
        + " and never reach a backend");
  }

  /** Writes element {@code i} from a double, converting to this dtype. */
  void setDouble(int i, double v) {
    switch (dtype) {
      case FLOAT32 -> f32.put(i, (float) v);
      case FLOAT64 -> f64.put(i, v);
      case INT64 -> i64.put(i, (long) v);
      case INT32 -> i32.put(i, (int) (long) v);
      case BOOL -> bytes.put(i, (byte) (v != 0 ? 1 : 0));
      // Through float32 first, as PyTorch's c10::Half(float) and c10::BFloat16(float) do.
      case FLOAT16 -> half.put(i, HalfFloats.floatToHalf((float) v));
      case BFLOAT16 -> half.put(i, HalfFloats.floatToBfloat16((float) v));
    }
  }

  /** Writes element {@code i} from a long, converting to this dtype. */
  void setLong(int i, long v) {
    switch (dtype) {
      case FLOAT32 -> f32.put(i, (float) v);
      case FLOAT64 -> f64.put(i, (double) v);
      case INT64 -> i64.put(i, v);
      case INT32 -> i32.put(i, (int) v);
      case BOOL -> bytes.put(i, (byte) (v != 0 ? 1 : 0));
      case FLOAT16, BFLOAT16 -> setDouble(i, (float) v);
    }
  }
}
