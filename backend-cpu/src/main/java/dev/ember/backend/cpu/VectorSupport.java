package dev.ember.backend.cpu;

import dev.ember.spi.UnaryOp;

/**
 * Whether the CPU backend runs float32 transcendentals and row kernels on the Vector API ({@link
 * VectorMath}): when the JVM was started with {@code --add-modules=jdk.incubator.vector} ({@code
 * ./ember}, {@code bench/run} and the tests do) and {@code -Dember.cpu.noVector=true} is not set.
 * Otherwise {@link VectorMath} is never loaded and the scalar loops run, giving the same results
 * within float32 rounding.
 *
 * <p>Vector API code is only fast once C2 has compiled it; interpreted, every vector operation
 * allocates. By default the vector kernels serve from the first call and compile as they run.
 * {@code -Dember.cpu.vectorWarmup=true} instead has a daemon thread run each kernel on a small block
 * until it is compiled (1-3 s of one core) while the scalar loops serve; measured on 2 cores it cost
 * more than it saved: the first steps of W2-W4 were slower (the thread takes a core) and the garbage
 * of its interpreted vectors grew the heap (W2 peak RSS 436 against 151 MiB without it).
 */
final class VectorSupport {
  /** True when the vector kernels are available (they serve calls once {@link #ready()}). */
  static final boolean ENABLED = !Boolean.getBoolean("ember.cpu.noVector")
      && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && loads();

  private static volatile boolean ready = ENABLED && !warmUpInBackground();

  private VectorSupport() {}

  private static boolean loads() {
    try {
      return VectorMath.supports(UnaryOp.EXP);
    } catch (Throwable e) { // a JVM whose vector module is present but unusable
      System.err.println("[ember] Vector API unavailable, using scalar loops: " + e);
      return false;
    }
  }

  /** Starts the warm-up thread unless disabled; returns whether it started. */
  private static boolean warmUpInBackground() {
    if (!Boolean.parseBoolean(System.getProperty("ember.cpu.vectorWarmup", "false"))) {
      return false;
    }
    Thread t = new Thread(() -> {
      try {
        VectorMath.warmUp();
      } finally {
        ready = true;
      }
    }, "ember-vector-warmup");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
    return true;
  }

  /** Returns whether calls go to the vector kernels now (available and compiled). */
  static boolean ready() {
    return ready;
  }

  /** Returns whether float32 {@code op} on unit-stride runs goes to the vector kernels now. */
  static boolean handles(UnaryOp op) {
    return ready && VectorMath.supports(op);
  }

  /**
   * Computes an activation's gradient over {@code n} contiguous floats (the gradient contiguous or,
   * with {@code scalarG}, one value) on the vector kernels if they are ready; else returns false.
   */
  static boolean unaryBackwardF32(dev.ember.spi.UnaryBackwardOp op, long y, long g, boolean scalarG, long o, int n) {
    if (!ready) {
      return false;
    }
    VectorMath.unaryBackwardF32(op, y, g, scalarG, o, n);
    return true;
  }

  /** Computes {@code y = op(x)} over {@code n} contiguous floats if {@link #handles}; else returns false. */
  static boolean unaryF32(UnaryOp op, long x, long y, int n) {
    if (!handles(op)) {
      return false;
    }
    VectorMath.unaryF32(op, x, y, n);
    return true;
  }
}
