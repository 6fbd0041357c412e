package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/** Applies {@code x tanh(softplus(x))} elementwise, PyTorch's {@code nn.Mish}; any shape. */
public final class Mish extends Module {
  /** Creates the module. */
  public Mish() {}

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.mish(input);
  }
}
