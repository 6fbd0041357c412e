package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Applies log-softmax along {@code dim}, PyTorch's {@code nn.LogSoftmax}; same shape as the input,
 * stable for large logits.
 */
public final class LogSoftmax extends Module {
  private final int dim;

  /**
   * Creates the module.
   *
   * @param dim the dim to normalize (negative counts from the end)
   */
  public LogSoftmax(int dim) {
    this.dim = dim;
  }

  /** Returns the activation of {@code input}, same shape. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.logSoftmax(input, dim);
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
