package dev.ember.internal;

import dev.ember.Tensor;

/**
 * Not API. Reads a tensor's {@code .grad} for library code that uses it only during the call and keeps
 * no reference to it (optimizers, gradient clipping). {@link Tensor#grad()} marks a gradient as seen by
 * user code; one that backward made and only such library code read is freed as soon as it is replaced
 * or cleared ({@code zeroGrad()}, {@link Tensor#setGrad}), where PyTorch's reference count would free it,
 * instead of waiting for the garbage collector.
 */
public final class GradAccess {
  /** How {@link Tensor} lends its field; installed once by its static initializer. */
  public interface Reader {
    /** Returns {@code t}'s gradient without marking it seen. */
    Tensor grad(Tensor t);
  }

  private static volatile Reader reader;

  private GradAccess() {}

  /**
   * Installs {@link Tensor}'s reader; called once, by {@link Tensor} itself.
   *
   * @throws IllegalStateException if a reader is installed already
   */
  public static synchronized void install(Reader r) {
    if (reader != null) {
      throw new IllegalStateException("GradAccess: a reader is installed already");
    }
    reader = r;
  }

  /** Returns {@code t}'s gradient (or null) without marking it seen by user code. */
  public static Tensor peek(Tensor t) {
    return reader.grad(t);   // installed: t's class is initialized
  }
}
