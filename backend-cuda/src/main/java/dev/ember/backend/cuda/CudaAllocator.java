package dev.ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * A caching allocator for one device. Freed blocks go to a free list keyed by size class and are
 * handed out again without a driver call; only {@link #emptyCache()} (or an allocation that fails
 * for lack of memory) returns them to the driver.
 *
 * <p>Size classes: multiples of 512 bytes up to 1 MiB, then four classes per power of two (at most
 * 25% slack). Reuse is safe without events because every kernel and copy runs on the one legacy
 * default stream, so work queued on a reused block always follows the work of its previous owner.
 *
 * <p>Blocks released by the {@link java.lang.ref.Cleaner} thread are queued and drained by the
 * next allocation or op on a thread that has the context current ({@link #drainPending()}).
 */
final class CudaAllocator {
  private static final long SMALL_STEP = 512;
  private static final long SMALL_LIMIT = 1L << 20;

  /** A block of device memory of one size class. */
  record Block(CUdeviceptr pointer, long bytes) {}

  private final Map<Long, ArrayDeque<CUdeviceptr>> free = new HashMap<>();
  private final ConcurrentLinkedQueue<Block> pending = new ConcurrentLinkedQueue<>();
  private long allocated;
  private long reserved;
  private long peak;

  /** Returns the size class a request of {@code bytes} is rounded up to. */
  static long sizeClass(long bytes) {
    if (bytes <= SMALL_LIMIT) {
      return Math.max(SMALL_STEP, (bytes + SMALL_STEP - 1) / SMALL_STEP * SMALL_STEP);
    }
    long step = Long.highestOneBit(bytes - 1) / 4;
    return (bytes + step - 1) / step * step;
  }

  /**
   * Returns a block of at least {@code bytes}, reusing a cached one of the same class if any. The
   * context must be current.
   *
   * @throws CudaException from the driver when memory is exhausted even after emptying the cache
   */
  synchronized Block allocate(long bytes) {
    drainPending();
    long size = sizeClass(bytes);
    ArrayDeque<CUdeviceptr> list = free.get(size);
    CUdeviceptr p = list == null ? null : list.poll();
    if (p == null) {
      p = driverAlloc(size);
      reserved += size;
    }
    allocated += size;
    peak = Math.max(peak, allocated);
    return new Block(p, size);
  }

  private CUdeviceptr driverAlloc(long size) {
    CUdeviceptr p = new CUdeviceptr();
    try {
      cuMemAlloc(p, size);
    } catch (CudaException e) {
      if (!String.valueOf(e.getMessage()).contains("OUT_OF_MEMORY")) {
        throw e;
      }
      freeCached();
      cuMemAlloc(p, size);
    }
    return p;
  }

  /** Returns a block to the cache at once; called by {@code close()} on any thread. */
  synchronized void release(Block block) {
    allocated -= block.bytes();
    free.computeIfAbsent(block.bytes(), k -> new ArrayDeque<>()).push(block.pointer());
  }

  /** Queues a block freed by the Cleaner thread, which must not touch the driver or the lock. */
  void releaseLater(Block block) {
    pending.add(block);
  }

  /** Moves queued blocks to the cache. */
  void drainPending() {
    Block b;
    while ((b = pending.poll()) != null) {
      release(b);
    }
  }

  /** Frees every cached block with the driver. The context must be current. */
  synchronized void emptyCache() {
    drainPending();
    freeCached();
  }

  private void freeCached() {
    for (var e : free.entrySet()) {
      for (CUdeviceptr p : e.getValue()) {
        cuMemFree(p);
        reserved -= e.getKey();
      }
    }
    free.clear();
  }

  /** Returns the current counters, after draining queued frees. */
  synchronized MemoryStats stats() {
    drainPending();
    return new MemoryStats(allocated, reserved, peak);
  }
}
