package dev.ember.distributed;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reuses the direct host buffers collectives stage tensors in: {@code ByteBuffer.allocateDirect}
 * costs microseconds and, past the JVM's direct-memory limit, a full GC, so a loop of all-reduces
 * must not allocate one per call. Buffers are sized in powers of two; at most {@link #MAX_CACHED}
 * bytes stay cached. Not thread-safe (collectives run on one thread per rank).
 */
final class BufferPool {
  /** The most bytes kept for reuse. */
  static final long MAX_CACHED = 256L << 20;
  private final List<ByteBuffer> free = new ArrayList<>();
  private long cached;

  /** Returns a buffer of at least {@code bytes} bytes (contents undefined), little-endian. */
  ByteBuffer acquire(int bytes) {
    int best = -1;
    for (int i = 0; i < free.size(); i++) {
      int cap = free.get(i).capacity();
      if (cap >= bytes && (best < 0 || cap < free.get(best).capacity())) {
        best = i;
      }
    }
    if (best >= 0) {
      ByteBuffer b = free.remove(best);
      cached -= b.capacity();
      return b;
    }
    int size = Math.max(bytes, 64);
    int rounded = Integer.highestOneBit(size) == size ? size : Integer.highestOneBit(size) << 1;
    return Staging.allocate(rounded > 0 ? rounded : bytes);
  }

  /** Gives {@code b} back for reuse once no operation uses it. */
  void release(ByteBuffer b) {
    if (cached + b.capacity() <= MAX_CACHED) {
      free.add(b);
      cached += b.capacity();
    }
  }
}
