package dev.ember.nn;

import dev.ember.Tensor;

/** Applies the logistic sigmoid elementwise, PyTorch's {@code nn.Sigmoid}; any shape. */
public final class Sigmoid extends Module {
  /** Creates the module. */
  public Sigmoid() {}

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return input.sigmoid();
  }
}
