package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Applies {@code x} where positive and {@code alpha (e^x - 1)} elsewhere, PyTorch's {@code nn.ELU};
 * any shape.
 */
public final class ELU extends Module {
  private final double alpha;

  /** Creates the module with PyTorch's defaults. */
  public ELU() {
    this(1.0);
  }

  /**
   * Creates the module.
   *
   * @param alpha the saturation value for negative inputs (default 1)
   */
  public ELU(double alpha) {
    this.alpha = alpha;
  }

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.elu(input, alpha);
  }

  @Override
  protected String extraRepr() {
    return "alpha=" + alpha;
  }

  /** Returns the saturation value for negative inputs. */
  public double alpha() {
    return alpha;
  }
}
