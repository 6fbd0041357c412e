package dev.ember.nn;

import dev.ember.Tensor;

/** Applies the hyperbolic tangent elementwise, PyTorch's {@code nn.Tanh}; any shape. */
public final class Tanh extends Module {
  /** Creates the module. */
  public Tanh() {}

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return input.tanh();
  }
}
