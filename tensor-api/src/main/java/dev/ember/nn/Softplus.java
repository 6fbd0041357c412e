package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Applies {@code log(1 + e^(beta x)) / beta} elementwise, linear above {@code threshold}, PyTorch's
 * {@code nn.Softplus}; any shape.
 */
public final class Softplus extends Module {
  private final double beta;
  private final double threshold;

  /** Creates the module with PyTorch's defaults. */
  public Softplus() {
    this(1.0, 20.0);
  }

  /**
   * Creates the module.
   *
   * @param beta the sharpness (default 1)
   * @param threshold above {@code beta x > threshold} the output is {@code x} (default 20)
   */
  public Softplus(double beta, double threshold) {
    this.beta = beta;
    this.threshold = threshold;
  }

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.softplus(input, beta, threshold);
  }

  @Override
  protected String extraRepr() {
    return "beta=" + beta + ", threshold=" + threshold;
  }

  /** Returns the sharpness beta. */
  public double beta() {
    return beta;
  }

  /** Returns the input above which the function is linear. */
  public double threshold() {
    return threshold;
  }
}
