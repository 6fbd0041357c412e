package dev.ember;

import dev.ember.spi.Backend;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import java.util.Arrays;

/**
 * PyTorch's {@code resize_} ({@link Tensor#resizeInPlace}) and {@code resize_as_}: give a tensor a
 * new shape in place, over its storage.
 *
 * <ul>
 *   <li>The result is contiguous (row-major strides) from the tensor's storage offset, so it holds
 *       the storage's elements from there in row-major order, whatever the old strides were: a
 *       transposed [3, 2] tensor resized to [2, 3] reads its storage, not its transposed values.
 *   <li>Resizing to the current shape does nothing (strides kept, version not bumped).
 *   <li>When {@code offset + numel(sizes)} exceeds the storage, the storage grows: a new one is
 *       allocated, the old elements copied in and the rest set to <b>zero</b> (PyTorch leaves them
 *       uninitialized; Ember chooses zeros so a program never reads leftover memory). The storage is
 *       shared by the tensor's views and aliases ({@code detach()}), which see the grown storage and
 *       keep their own shapes, as in PyTorch. The storage never shrinks: resizing down and up again
 *       gives back the old elements, as in PyTorch.
 *   <li>A tensor that requires grad is refused, as in PyTorch ("cannot resize variables that require
 *       grad"; a view of such a tensor requires grad too). A tensor saved by a recorded op (an input
 *       of {@code mul} with another that requires grad) may be resized, but its version is bumped,
 *       so that backward raises instead of using the new shape.
 * </ul>
 */
final class Resizing {
  private Resizing() {}

  /** Resizes {@code t} in place to {@code sizes}; returns {@code t}. See the class comment. */
  static Tensor resize(Tensor t, int[] sizes) {
    if (sizes == null) {
      throw new IllegalArgumentException("resize_: null sizes");
    }
    for (int s : sizes) {
      if (s < 0) {
        throw new IllegalArgumentException("resize_: negative size " + s + " in " + Arrays.toString(sizes));
      }
    }
    if (t.requiresGrad()) {
      throw new IllegalStateException("resize_: cannot resize a tensor that requires grad (shape " + t.shape()
          + ", " + t.dtype() + "), as in PyTorch; resize a detach()ed or clone()d copy, or reshape/view it");
    }
    Strided now = t.strided();
    if (Arrays.equals(sizes, now.shape())) {
      return t;
    }
    long needed = t.storageOffset() + Shape.numel(sizes);
    Storage grown = null;
    if (needed > now.storage().numel()) {
      if (needed > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("resize_: " + Arrays.toString(sizes) + " at storage offset "
            + t.storageOffset() + " needs a storage of " + needed + " elements, more than 2^31 - 1");
      }
      grown = grownCopy(t.backend(), now.storage(), t.dtype(), (int) needed);
    }
    t.resizeTo(sizes, grown);
    t.bumpVersion();
    return t;
  }

  /** Returns a new storage of {@code numel} elements: {@code old}'s elements first, then zeros. */
  private static Storage grownCopy(Backend backend, Storage old, DType dtype, int numel) {
    Storage grown = backend.allocate(dtype, numel);
    try {
      backend.fill(Strided.contiguous(grown, numel), 0);
      int kept = (int) Math.min(old.numel(), numel);
      if (kept > 0) {
        backend.copy(new Strided(old, dtype, new int[] {kept}, new int[] {1}, 0),
            new Strided(grown, dtype, new int[] {kept}, new int[] {1}, 0));
      }
      return grown;
    } catch (RuntimeException e) {
      grown.close();
      throw e;
    }
  }
}
