package dev.ember.backend.cpu;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A caching allocator for off-heap blocks, in size classes (powers of two up to 64 KiB, then
 * quarter powers of two). Blocks come back when a storage is closed or found unreachable, and are
 * reused without returning to the C allocator: fresh multi-megabyte blocks cost page faults (1-2 ms
 * per 3 MB measured here), reused ones do not.
 *
 * <p><b>The cap.</b> JavaCPP refuses to hold more than {@link Pointer#maxBytes()} off-heap
 * ({@code -Dorg.bytedeco.javacpp.maxbytes}, by default the JVM's {@code -Xmx}), and counts cached
 * blocks too. So the cache keeps at most a quarter of the cap ({@code -Dember.cpu.memoryBudget},
 * default 512 MiB, is the most it keeps), and an allocation that would pass the cap first frees
 * cached blocks, then collects garbage and waits for unreachable tensors, and only then fails,
 * with an {@link OutOfMemoryError} that names the cap and how to raise it.
 *
 * <p><b>Collection.</b> Unreachable storages are only found by the garbage collector, which the
 * small Java objects of a training loop written without {@code TensorScope} do not trigger often.
 * When the bytes in use pass a threshold (the budget, at most half the cap) the allocator asks a
 * background thread to collect, and goes on allocating: the thread that allocates only waits for
 * a running collection (up to 100 ms) once it has passed twice the threshold.
 * After each collection the threshold becomes the live bytes plus the larger of the budget and the
 * live bytes (up to three quarters of the cap; it shrinks back as the live set does), so a live set
 * past the budget costs one collection per budget's worth of garbage, not one per allocation.
 */
final class CpuMemory {
  static final CpuMemory INSTANCE = new CpuMemory(Long.getLong("ember.cpu.memoryBudget", 512L << 20),
      Pointer.maxBytes() > 0 ? Pointer.maxBytes() : Long.MAX_VALUE);

  private final ConcurrentHashMap<Long, ConcurrentLinkedDeque<BytePointer>> free = new ConcurrentHashMap<>();
  private final AtomicLong inUse = new AtomicLong();
  private final AtomicLong cached = new AtomicLong();
  private final AtomicLong peak = new AtomicLong();
  private final AtomicLong collections = new AtomicLong();
  /** Bytes ever released, so a collection can tell what it freed from what was allocated meanwhile. */
  private final AtomicLong released = new AtomicLong();
  private final AtomicBoolean collecting = new AtomicBoolean();
  private final long cap;
  private final long cacheBudget;
  private final long baseThreshold;
  private final long maxThreshold;
  private volatile long threshold;
  /** No background collection starts before this {@link System#nanoTime()}. */
  private volatile long nextCollection;

  /**
   * Creates an allocator.
   *
   * @param budget the most bytes to cache, and the bytes in use that first trigger a collection
   * @param cap the most off-heap bytes JavaCPP allows the process ({@link Pointer#maxBytes()})
   */
  CpuMemory(long budget, long cap) {
    this.cap = cap;
    this.cacheBudget = Math.min(budget, cap / 4);
    this.baseThreshold = Math.min(budget, cap / 2);
    this.maxThreshold = Math.max(baseThreshold, cap / 4 * 3);
    this.threshold = baseThreshold;
    this.nextCollection = System.nanoTime();
  }

  /** Returns the size class a request of {@code bytes} is served from. */
  static long sizeClass(long bytes) {
    long b = Math.max(bytes, 64);
    long pow = Long.highestOneBit(b);
    if (pow == b) {
      return b;
    }
    if (b <= 65536) {
      return pow << 1;
    }
    long quarter = pow >> 2;
    return (b + quarter - 1) / quarter * quarter;
  }

  /**
   * Returns a block of at least {@code bytes}; its size class is {@code sizeClass(bytes)}.
   *
   * @throws OutOfMemoryError when live tensors hold so much that the block would pass the cap
   */
  BytePointer acquire(long bytes) {
    long size = sizeClass(bytes);
    BytePointer p = take(size);
    if (p == null) {
      if (inUse.get() + size > threshold) {
        requestCollection();
        p = awaitCollection(size);
      }
      if (p == null) {
        p = allocateFresh(size);
      }
    }
    long now = inUse.addAndGet(size);
    peak.accumulateAndGet(now, Math::max);
    return p;
  }

  private BytePointer take(long size) {
    ConcurrentLinkedDeque<BytePointer> q = free.get(size);
    BytePointer p = q == null ? null : q.pollFirst();
    if (p != null) {
      cached.addAndGet(-size);
    }
    return p;
  }

  /**
   * Waits (up to 100 ms) for a running collection when the bytes in use already passed twice the
   * threshold, so an allocation rate faster than collections cannot grow memory without bound;
   * returns a block of {@code size} if one came back meanwhile, else null.
   */
  private BytePointer awaitCollection(long size) {
    if (inUse.get() + size <= 2 * threshold) {
      return null;
    }
    long deadline = System.nanoTime() + 100_000_000L;
    while (collecting.get() && System.nanoTime() < deadline) {
      sleepMillis(1);
    }
    return take(size);
  }

  /**
   * Allocates a new block, first making room under the cap: cached blocks go back to the C
   * allocator, then a collection on this thread returns unreachable storages (waiting up to a
   * second for them).
   */
  private BytePointer allocateFresh(long size) {
    if (Pointer.totalBytes() + size > cap) {
      emptyCache();
      long deadline = System.nanoTime() + 1_000_000_000L;
      while (Pointer.totalBytes() + size > cap && System.nanoTime() < deadline) {
        collections.incrementAndGet();
        System.gc();
        sleepMillis(10);
        BytePointer p = take(size);
        if (p != null) {
          return p;
        }
        emptyCache();
      }
    }
    try {
      return new BytePointer(size);
    } catch (OutOfMemoryError e) {
      emptyCache();
      try {
        return new BytePointer(size);
      } catch (OutOfMemoryError again) {
        throw new OutOfMemoryError(String.format(Locale.ROOT, "cpu: cannot allocate %.1f MiB: live tensors"
            + " hold %.1f MiB and the off-heap cap is %.1f MiB (JavaCPP's maxBytes, by default -Xmx); raise it"
            + " with -Dorg.bytedeco.javacpp.maxbytes=... or -Xmx, or free tensors sooner (TensorScope,"
            + " close()). JavaCPP said: %s", size / 1048576.0, inUse.get() / 1048576.0,
            cap == Long.MAX_VALUE ? Double.POSITIVE_INFINITY : cap / 1048576.0, again.getMessage()));
      }
    }
  }

  /**
   * Asks the background collector to run, unless it already is or, with the threshold at its
   * maximum, the last collection ended too recently (collections then take at most a fifth of the
   * time; the cap's synchronous path still frees memory when it is really needed).
   */
  private void requestCollection() {
    if (System.nanoTime() - nextCollection >= 0 && collecting.compareAndSet(false, true)) {
      collections.incrementAndGet();
      Thread t = new Thread(this::collect, "ember-cpu-memory-collector");
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * Collects garbage, waits until the cleaner has returned what it found, and sets the threshold to
   * the bytes still live plus the larger of the budget and the live bytes (at most three quarters
   * of the cap): at least a budget's worth of garbage between collections. Runs
   * on the background collector; tests call it directly.
   */
  void collect() {
    long start = System.nanoTime();
    long gcEnd = start;
    long inUseBefore = inUse.get();
    long releasedBefore = released.get();
    try {
      System.gc();
      gcEnd = System.nanoTime();
      long before;
      int quiet = 0;
      for (int i = 0; i < 100 && quiet < 3; i++) {
        before = inUse.get();
        sleepMillis(2);
        quiet = inUse.get() < before ? 0 : quiet + 1;
      }
      // What was in use when the collection started less what came back since: the allocating
      // thread goes on meanwhile, and its new blocks are not the live set.
      long live = Math.max(0, inUseBefore - (released.get() - releasedBefore));
      threshold = Math.min(maxThreshold, live + Math.max(baseThreshold, live));
    } finally {
      nextCollection = System.nanoTime() + (threshold < maxThreshold ? 0 : 4 * (gcEnd - start));
      collecting.set(false);
    }
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Takes a block back; keeps it for reuse unless the cache already holds its budget. */
  void release(BytePointer p, long size) {
    inUse.addAndGet(-size);
    released.addAndGet(size);
    if (cached.get() + size > cacheBudget) {
      p.close();
      return;
    }
    cached.addAndGet(size);
    free.computeIfAbsent(size, k -> new ConcurrentLinkedDeque<>()).addFirst(p);
  }

  /** Frees every cached block. */
  void emptyCache() {
    for (ConcurrentLinkedDeque<BytePointer> q : free.values()) {
      BytePointer p;
      while ((p = q.pollFirst()) != null) {
        cached.addAndGet(-p.capacity());
        p.close();
      }
    }
  }

  /** Bytes handed out to live storages. */
  long inUseBytes() {
    return inUse.get();
  }

  /** Bytes kept for reuse. */
  long cachedBytes() {
    return cached.get();
  }

  /** The most bytes ever in use at once. */
  long peakBytes() {
    return peak.get();
  }

  /** How many garbage collections the allocator asked for. */
  long collections() {
    return collections.get();
  }

  /** The off-heap cap: JavaCPP's maxBytes ({@link Long#MAX_VALUE} when unlimited). */
  long capBytes() {
    return cap;
  }

  /** The most bytes the cache keeps. */
  long cacheBudgetBytes() {
    return cacheBudget;
  }

  /** Whether a background collection is running. */
  boolean collecting() {
    return collecting.get();
  }

  /** The bytes in use past which the next fresh allocation asks for a collection. */
  long thresholdBytes() {
    return threshold;
  }
}
