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
 * allocates. The kernels serve from the first call and compile as they run: while one is cold ({@link
 * VectorGate}) most of each block runs on its scalar twin ({@link ScalarTwins}), which gives the vector
 * code's bits, so a result never depends on how warm the JIT is. (A background warm-up thread, tried
 * earlier, cost more than it saved on 2 cores: W2's peak RSS 436 against 151 MiB, slower first steps.)
 */
final class VectorSupport {
  /** True when the vector kernels are available, and so serve float32 calls. */
  static final boolean ENABLED = !Boolean.getBoolean("ember.cpu.noVector")
      && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && loads();

  private VectorSupport() {}

  private static boolean loads() {
    try {
      return VectorMath.supports(UnaryOp.EXP);
    } catch (Throwable e) { // a JVM whose vector module is present but unusable
      System.err.println("[ember] Vector API unavailable, using scalar loops: " + e);
      return false;
    }
  }

  /** Returns whether float32 {@code op} on unit-stride runs goes to the vector kernels now. */
  static boolean handles(UnaryOp op) {
    return ENABLED && VectorMath.supports(op);
  }

  /**
   * Computes an activation's gradient over {@code n} contiguous floats (the gradient contiguous or,
   * with {@code scalarG}, one value) on the vector kernels if they are enabled; else returns false.
   */
  static boolean unaryBackwardF32(dev.ember.spi.UnaryBackwardOp op, long y, long g, boolean scalarG, long o, int n) {
    if (!ENABLED) {
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
