package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.NnLosses;

/**
 * The binary cross-entropy between probabilities and targets of the same shape, PyTorch's {@code
 * nn.BCELoss}: {@code -w (t log(x) + (1 - t) log(1 - x))}, each log clamped at -100.
 */
public final class BCELoss extends Loss {
  private final Reduction reduction;

  /** Creates the loss without weights, mean reduction. */
  public BCELoss() {
    this(null, Reduction.MEAN);
  }

  /**
   * Creates the loss.
   *
   * @param weight per-element rescaling broadcastable to the input (buffer {@code weight}), or null
   */
  public BCELoss(Tensor weight, Reduction reduction) {
    this.reduction = reduction;
    registerBuffer("weight", weight);
  }

  /** Returns the loss of probabilities {@code input} in [0, 1] against {@code target}. */
  @Override
  public Tensor forward(Tensor input, Tensor target) {
    return NnLosses.binaryCrossEntropy(input, target, buffer("weight"), reduction);
  }
}
