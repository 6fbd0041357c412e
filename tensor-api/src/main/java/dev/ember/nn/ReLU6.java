package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/** Applies {@code min(max(x, 0), 6)} elementwise, PyTorch's {@code nn.ReLU6}; any shape. */
public final class ReLU6 extends Module {
  /** Creates the module. */
  public ReLU6() {}

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.relu6(input);
  }
}
