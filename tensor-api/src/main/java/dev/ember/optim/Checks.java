package dev.ember.optim;

/** Argument checks shared by the optimizers. Package-private. */
final class Checks {
  private Checks() {}

  /** Throws unless every named option of {@code g} is a non-negative number. */
  static void nonNegative(Optimizer opt, ParamGroup g, String... keys) {
    for (String k : keys) {
      double v = g.getDouble(k);
      if (!(v >= 0)) {
        throw new IllegalArgumentException(opt.getClass().getSimpleName() + ": invalid " + k + " value: " + v);
      }
    }
  }

  /** Throws unless {@code betas} holds two numbers in [0, 1). */
  static void betas(Optimizer opt, ParamGroup g) {
    double[] b = g.getArray("betas");
    if (b.length != 2 || !(b[0] >= 0 && b[0] < 1) || !(b[1] >= 0 && b[1] < 1)) {
      throw new IllegalArgumentException(opt.getClass().getSimpleName() + ": invalid betas "
          + java.util.Arrays.toString(b) + "; each must be in [0, 1)");
    }
  }
}
