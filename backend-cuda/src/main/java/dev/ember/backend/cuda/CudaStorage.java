package dev.ember.backend.cuda;

import dev.ember.DType;
import dev.ember.spi.Storage;
import java.lang.ref.Cleaner;
import jcuda.driver.CUdeviceptr;

/**
 * Device memory for {@code numel} elements of one dtype, taken from a {@link CudaAllocator}.
 *
 * <p>{@link #close()} returns the block to the allocator's cache at once; a storage that becomes
 * unreachable without being closed is returned by the shared {@link Cleaner}, whose thread only
 * queues the block (it has no current CUDA context) for the backend to drain.
 */
public final class CudaStorage implements Storage {
  private static final Cleaner CLEANER = Cleaner.create();

  private final DType dtype;
  private final long numel;
  private final CudaAllocator allocator;
  private final CUdeviceptr pointer;
  private final State state;
  private final Cleaner.Cleanable cleanable;

  CudaStorage(CudaAllocator allocator, DType dtype, long numel) {
    this.dtype = dtype;
    this.numel = numel;
    this.allocator = allocator;
    CudaAllocator.Block block = allocator.allocate(numel * dtype.byteSize());
    this.pointer = block.pointer();
    this.state = new State(allocator, block);
    this.cleanable = CLEANER.register(this, state);
  }

  /** Cleaning state; never refers to its storage, so the storage can become unreachable. */
  private static final class State implements Runnable {
    private final CudaAllocator allocator;
    private final CudaAllocator.Block block;
    private volatile boolean explicit;
    private volatile boolean done;

    State(CudaAllocator allocator, CudaAllocator.Block block) {
      this.allocator = allocator;
      this.block = block;
    }

    @Override
    public void run() {
      done = true;
      if (explicit) {
        allocator.release(block);
      } else {
        allocator.releaseLater(block);
      }
    }
  }

  @Override
  public DType dtype() {
    return dtype;
  }

  @Override
  public long numel() {
    return numel;
  }

  /** Returns the size of the data in bytes (the block may be larger). */
  public long byteSize() {
    return numel * dtype.byteSize();
  }

  @Override
  public boolean isClosed() {
    return state.done;
  }

  @Override
  public void close() {
    state.explicit = true;
    cleanable.clean();
  }

  /** Returns the allocator this storage came from, which identifies its device. */
  CudaAllocator allocator() {
    return allocator;
  }

  /**
   * Returns the device pointer to element 0.
   *
   * @throws IllegalStateException naming the op if the storage is closed
   */
  CUdeviceptr pointer(String op) {
    if (state.done) {
      throw new IllegalStateException(op + ": cuda storage of " + numel + " " + dtype + " is closed");
    }
    return pointer;
  }

  @Override
  public String toString() {
    return "CudaStorage[" + dtype + " x " + numel + (isClosed() ? ", closed]" : "]");
  }
}
