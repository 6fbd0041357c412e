package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Applies {@code x} where positive and {@code negativeSlope * x} elsewhere, PyTorch's {@code
 * nn.LeakyReLU}; any shape.
 */
public final class LeakyReLU extends Module {
  private final double negativeSlope;

  /** Creates the module with PyTorch's defaults. */
  public LeakyReLU() {
    this(0.01);
  }

  /**
   * Creates the module.
   *
   * @param negativeSlope the slope for negative inputs (default 0.01)
   */
  public LeakyReLU(double negativeSlope) {
    this.negativeSlope = negativeSlope;
  }

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.leakyRelu(input, negativeSlope);
  }

  @Override
  protected String extraRepr() {
    return "negative_slope=" + negativeSlope;
  }

  /** Returns the slope for negative inputs, PyTorch's {@code negative_slope}. */
  public double negativeSlope() {
    return negativeSlope;
  }
}
