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
  private final boolean previous;
  private boolean closed;

  private GradMode(boolean enabled) {
    boolean[] flag = ENABLED.get();
    previous = flag[0];
    flag[0] = enabled;
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
    }
  }
}
