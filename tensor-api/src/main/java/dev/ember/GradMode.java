package dev.ember;

/**
 * Per-thread switch for gradient recording, used as try-with-resources scopes.
 *
 * <pre>{@code
 * try (var g = GradMode.noGrad()) {
 *   w.subInPlace(w.grad().mul(lr));   // not recorded
 * }
 * }</pre>
 */
public final class GradMode implements AutoCloseable {
  private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
  private static final ThreadLocal<boolean[]> INFERENCE = ThreadLocal.withInitial(() -> new boolean[] {false});
  private final boolean previous;
  private final boolean previousInference;
  private boolean closed;

  private GradMode(boolean enabled) {
    this(enabled, INFERENCE.get()[0]);
  }

  private GradMode(boolean enabled, boolean inference) {
    boolean[] flag = ENABLED.get();
    previous = flag[0];
    flag[0] = enabled;
    boolean[] inf = INFERENCE.get();
    previousInference = inf[0];
    inf[0] = inference;
  }

  /**
   * Turns on inference mode on this thread until the returned scope closes, PyTorch's {@code
   * torch.inference_mode()}: nothing is recorded, as under {@link #noGrad()}, and {@link
   * #isInferenceModeEnabled()} is true. Ember keeps no separate "inference tensors", so tensors
   * made inside may later be used with autograd (PyTorch forbids saving them for backward).
   */
  public static GradMode inferenceMode() {
    return inferenceMode(true);
  }

  /**
   * Sets inference mode to {@code mode} and recording to {@code !mode} on this thread until the
   * returned scope closes, PyTorch's {@code torch.inference_mode(mode)} ({@code false} inside an
   * inference scope turns recording back on).
   */
  public static GradMode inferenceMode(boolean mode) {
    return new GradMode(!mode, mode);
  }

  /** Returns whether an {@link #inferenceMode()} scope is open on this thread. */
  public static boolean isInferenceModeEnabled() {
    return INFERENCE.get()[0];
  }

  /** Returns whether ops on this thread record a graph for backward. */
  public static boolean isEnabled() {
    return ENABLED.get()[0];
  }

  /** Turns recording off on this thread until the returned scope closes. */
  public static GradMode noGrad() {
    return new GradMode(false);
  }

  /** Turns recording on on this thread until the returned scope closes (inside a noGrad scope). */
  public static GradMode enableGrad() {
    return new GradMode(true);
  }

  /** Sets recording on this thread until the returned scope closes. */
  public static GradMode set(boolean enabled) {
    return new GradMode(enabled);
  }

  /** Restores the mode that was in force when this scope opened. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      ENABLED.get()[0] = previous;
      INFERENCE.get()[0] = previousInference;
    }
  }
}
