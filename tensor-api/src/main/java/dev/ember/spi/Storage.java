package dev.ember.spi;

import dev.ember.DType;

/**
 * A block of device memory holding {@link #numel()} elements of one {@link DType}, owned by the
 * backend that allocated it.
 *
 * <p>Tensors and their views share one storage. {@link #close()} frees the memory at once and is
 * idempotent; a backend also frees unreachable storage through a {@link java.lang.ref.Cleaner}.
 */
public interface Storage extends AutoCloseable {
  /** Returns the element type. */
  DType dtype();

  /** Returns the number of elements the storage holds. */
  long numel();

  /** Returns whether {@link #close()} has freed the memory. */
  boolean isClosed();

  /** Frees the memory now; later calls do nothing. */
  @Override
  void close();
}
