package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Clamps to {@code [minVal, maxVal]} elementwise, PyTorch's {@code nn.Hardtanh} (defaults -1, 1);
 * the gradient passes strictly inside the bounds. Any shape.
 */
public final class Hardtanh extends Module {
  private final double minVal;
  private final double maxVal;

  /** Creates the module with bounds -1 and 1. */
  public Hardtanh() {
    this(-1, 1);
  }

  /**
   * Creates the module.
   *
   * @throws IllegalArgumentException if {@code minVal > maxVal}
   */
  public Hardtanh(double minVal, double maxVal) {
    if (minVal > maxVal) {
      throw new IllegalArgumentException("Hardtanh: min_val (" + minVal + ") cannot be greater than max_val ("
          + maxVal + ")");
    }
    this.minVal = minVal;
    this.maxVal = maxVal;
  }

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.hardtanh(input, minVal, maxVal);
  }

  @Override
  protected String extraRepr() {
    return "min_val=" + minVal + ", max_val=" + maxVal;
  }
}
