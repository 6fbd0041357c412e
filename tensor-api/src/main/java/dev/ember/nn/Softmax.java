package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Applies softmax along {@code dim}, PyTorch's {@code nn.Softmax}: values in (0, 1) summing to 1
 * along {@code dim}; same shape as the input.
 */
public final class Softmax extends Module {
  private final int dim;

  /**
   * Creates the module.
   *
   * @param dim the dim to normalize (negative counts from the end)
   */
  public Softmax(int dim) {
    this.dim = dim;
  }

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.softmax(input, dim);
  }

  @Override
  protected String extraRepr() {
    return "dim=" + dim;
  }

  /** Returns the dimension normalized over. */
  public int dim() {
    return dim;
  }
}
