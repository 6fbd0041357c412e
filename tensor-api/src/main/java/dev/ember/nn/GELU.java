package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/** Applies the Gaussian error linear unit elementwise, PyTorch's {@code nn.GELU}; any shape. */
public final class GELU extends Module {
  private final String approximate;

  /** Creates the module with PyTorch's defaults. */
  public GELU() {
    this("none");
  }

  /**
   * Creates the module.
   *
   * @param approximate {@code "none"} (exact, the default) or {@code "tanh"}
   */
  public GELU(String approximate) {
    this.approximate = approximate;
  }

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.gelu(input, approximate);
  }

  @Override
  protected String extraRepr() {
    return "approximate='" + approximate + "'";
  }

  /** Returns {@code "none"} or {@code "tanh"}. */
  public String approximate() {
    return approximate;
  }
}
