package dev.ember.nn;

import dev.ember.Generator;

/**
 * What {@link Dropout} and {@link Dropout2d} share, as PyTorch's {@code _DropoutNd}: the drop
 * probability {@code p} in [0, 1] (checked with the subclass's name in the message), the generator
 * that masks are drawn from (null: the global one) and the {@code p=...} repr.
 */
abstract class DropoutBase extends Module {
  private final double p;
  private final Generator generator;

  DropoutBase(String name, double p, Generator generator) {
    if (p < 0 || p > 1) {
      throw new IllegalArgumentException(name + ": probability has to be between 0 and 1, but got " + p);
    }
    this.p = p;
    this.generator = generator;
  }

  /** Returns the drop probability. */
  public double p() {
    return p;
  }

  /** Returns the generator to draw from: the module's own, or the global one if none was given. */
  Generator generator() {
    return generator == null ? Generator.global() : generator;
  }

  @Override
  protected String extraRepr() {
    return "p=" + p;
  }
}
