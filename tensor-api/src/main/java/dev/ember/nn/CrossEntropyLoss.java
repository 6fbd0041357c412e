package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Losses;

/**
 * The cross-entropy of logits [N, C, ...] (or [C]) against int64 class indices [N, ...] or class
 * probabilities of the input's shape, PyTorch's {@code nn.CrossEntropyLoss}: log-softmax over dim
 * 1 and the negative log-likelihood, with optional class weights, ignored index and label
 * smoothing.
 */
public final class CrossEntropyLoss extends Loss {
  private final Losses.Options options;

  /** Creates the loss with PyTorch's defaults (mean, ignore index -100, no weights). */
  public CrossEntropyLoss() {
    this(Losses.Options.defaults());
  }

  /**
   * Creates the loss with {@code options}; their class weights become the buffer {@code weight}.
   */
  public CrossEntropyLoss(Losses.Options options) {
    this.options = options;
    registerBuffer("weight", options.weight());
  }

  /** Returns the loss: 0-d, or per element for the {@code NONE} reduction. */
  @Override
  public Tensor forward(Tensor input, Tensor target) {
    return Losses.crossEntropy(input, target, options.withWeight(buffer("weight")));
  }
}
