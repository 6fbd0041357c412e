package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Losses;

/**
 * The negative log-likelihood of log-probabilities [N, C, ...] (or [C]) at int64 class indices
 * [N, ...], PyTorch's {@code nn.NLLLoss}, with optional class weights and an ignored index.
 */
public final class NLLLoss extends Loss {
  private final Losses.Options options;

  /** Creates the loss with PyTorch's defaults (mean, ignore index -100, no weights). */
  public NLLLoss() {
    this(Losses.Options.defaults());
  }

  /**
   * Creates the loss with {@code options}; their class weights become the buffer {@code weight}.
   */
  public NLLLoss(Losses.Options options) {
    this.options = options;
    registerBuffer("weight", options.weight());
  }

  /** Returns the loss: 0-d, or per element for the {@code NONE} reduction. */
  @Override
  public Tensor forward(Tensor input, Tensor target) {
    return Losses.nllLoss(input, target, options.withWeight(buffer("weight")));
  }
}
