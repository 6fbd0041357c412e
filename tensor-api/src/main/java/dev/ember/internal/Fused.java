package dev.ember.internal;

/**
 * The switch for the backends' optional fused kernels (softmax, log-softmax and layer norm, forward
 * and backward; see the last block of {@link dev.ember.spi.Backend}). On by default; {@code
 * -Dember.fused=false} or {@link #setEnabled} makes every op use its composition of primitives, so
 * the conformance suite can check both paths against the same golden cases and gradchecks.
 */
public final class Fused {
  private static volatile boolean enabled = !"false".equals(System.getProperty("ember.fused"));

  private Fused() {}

  /** Returns whether ops may call the backends' fused kernels. */
  public static boolean enabled() {
    return enabled;
  }

  /** Turns the fused kernels on or off for the whole JVM (tests and benchmarks); returns the old value. */
  public static boolean setEnabled(boolean on) {
    boolean old = enabled;
    enabled = on;
    return old;
  }
}
