package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/** Applies {@code max(x, 0)} elementwise, PyTorch's {@code nn.ReLU}; any shape. */
public final class ReLU extends Module {
  /** Creates the module. */
  public ReLU() {}

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.relu(input);
  }
}
