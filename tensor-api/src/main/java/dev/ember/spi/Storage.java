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

  /**
   * Returns the native address of element 0 when this storage is host memory that native code
   * outside the backend (MPI, in the distributed module) may read and write in place while it
   * holds a {@link #pin}, else 0 (device memory, or a backend that does not expose its memory).
   */
  default long hostAddress() {
    return 0;
  }

  /**
   * Marks the storage in use by native code, so that {@link #close()} defers the free until the
   * matching {@link #unpin()}; does nothing on backends that free nothing under such code.
   *
   * @param op the user, for the error message
   * @throws IllegalStateException naming {@code op} if the storage is already closed
   */
  default void pin(Object op) {
    if (isClosed()) {
      throw new IllegalStateException(op + ": use after close: a " + dtype() + " storage of "
          + numel() + " elements was closed");
    }
  }

  /** Ends a {@link #pin}; frees the storage if it was closed meanwhile and this was the last use. */
  default void unpin() {}

  /** Frees the memory now; later calls do nothing. */
  @Override
  void close();
}
