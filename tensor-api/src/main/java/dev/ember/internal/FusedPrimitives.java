package dev.ember.internal;

/**
 * The switch between a backend's optional fused primitives (row kernels, convolution, pooling: see the last two blocks of
 * {@link dev.ember.spi.Backend}) and tensor-api's compositions. On by default; {@code
 * -Dember.fused=false} or {@link #setEnabled} turns the fused primitives off everywhere, so the
 * conformance suite can run every case both ways. The compositions also use {@link #suspend} to
 * compute a composed gradient without re-entering the fused path.
 */
public final class FusedPrimitives {
  private static volatile boolean enabled = !"false".equals(System.getProperty("ember.fused"));
  private static final ThreadLocal<int[]> SUSPENDED = ThreadLocal.withInitial(() -> new int[1]);
  private static final java.util.concurrent.atomic.LongAdder CALLS = new java.util.concurrent.atomic.LongAdder();

  private FusedPrimitives() {}

  /** Returns whether ops should try the backend's fused primitives on this thread now. */
  public static boolean enabled() {
    return enabled && SUSPENDED.get()[0] == 0;
  }

  /** Turns the fused primitives on or off for every thread; returns the previous setting. */
  public static boolean setEnabled(boolean on) {
    boolean was = enabled;
    enabled = on;
    return was;
  }

  /** Counts one call a backend's fused primitive computed (forward or backward). */
  public static void countCall() {
    CALLS.increment();
  }

  /** Returns how many calls backends' fused primitives have computed in this JVM (for tests). */
  public static long calls() {
    return CALLS.sum();
  }

  /** Turns the fused primitives off on this thread until the returned scope closes; nestable. */
  public static Suspension suspend() {
    SUSPENDED.get()[0]++;
    return new Suspension();
  }

  /** A scope in which this thread composes every op; {@link #close} ends it. */
  public static final class Suspension implements AutoCloseable {
    private boolean closed;

    private Suspension() {}

    /** Ends the suspension (idempotent). */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        SUSPENDED.get()[0]--;
      }
    }
  }
}
