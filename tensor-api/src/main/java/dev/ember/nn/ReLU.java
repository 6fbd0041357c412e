package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Applies {@code max(x, 0)} elementwise, PyTorch's {@code nn.ReLU}; any shape. With {@code inplace}
 * it overwrites its input ({@code relu_}) and returns it.
 */
public final class ReLU extends Module {
  private final boolean inplace;

  /** Creates the module (out of place). */
  public ReLU() {
    this(false);
  }

  /** Creates the module; {@code inplace} makes it write into its input, as {@code nn.ReLU(inplace=True)}. */
  public ReLU(boolean inplace) {
    this.inplace = inplace;
  }

  /** Returns the activation of {@code input}, same shape (the input itself when in place). */
  @Override
  public Tensor forward(Tensor input) {
    return inplace ? input.reluInPlace() : Activations.relu(input);
  }

  @Override
  protected String extraRepr() {
    return inplace ? "inplace=True" : "";
  }
}
