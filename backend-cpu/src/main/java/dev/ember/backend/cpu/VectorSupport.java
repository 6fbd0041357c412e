package dev.ember.backend.cpu;

import dev.ember.spi.UnaryOp;

/**
 * Whether the CPU backend runs float32 transcendentals on the Vector API ({@link VectorMath}): when
 * the JVM was started with {@code --add-modules=jdk.incubator.vector} ({@code ./ember}, {@code
 * bench/run} and the tests do) and {@code -Dember.cpu.noVector=true} is not set. Otherwise {@link
 * VectorMath} is never loaded and the scalar loops run, giving the same results within float32
 * rounding.
 */
final class VectorSupport {
  /** True when the vector kernels are in use. */
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

  /** Returns whether float32 {@code op} on unit-stride runs goes to the vector kernels. */
  static boolean handles(UnaryOp op) {
    return ENABLED && VectorMath.supports(op);
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
