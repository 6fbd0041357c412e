package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/** Applies {@code x * sigmoid(x)} elementwise, PyTorch's {@code nn.SiLU}; any shape. */
public final class SiLU extends Module {
  /** Creates the module. */
  public SiLU() {}

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.silu(input);
  }
}
