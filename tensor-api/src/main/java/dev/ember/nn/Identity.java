package dev.ember.nn;

import dev.ember.Tensor;

/** Returns its input unchanged, PyTorch's {@code nn.Identity}; a placeholder in architectures. */
public final class Identity extends Module {
  /** Creates the module. */
  public Identity() {}

  /** Returns {@code input} itself. */
  @Override
  public Tensor forward(Tensor input) {
    return input;
  }
}
