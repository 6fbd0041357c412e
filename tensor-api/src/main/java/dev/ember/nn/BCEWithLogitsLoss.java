package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.NnLosses;

/**
 * The binary cross-entropy of logits, PyTorch's {@code nn.BCEWithLogitsLoss}: a sigmoid and {@link
 * BCELoss} in one, computed stably; {@code posWeight} weighs positive examples (typically [C]).
 */
public final class BCEWithLogitsLoss extends Loss {
  private final Reduction reduction;

  /** Creates the loss without weights, mean reduction. */
  public BCEWithLogitsLoss() {
    this(null, Reduction.MEAN, null);
  }

  /**
   * Creates the loss.
   *
   * @param weight per-element rescaling (buffer {@code weight}), or null
   * @param posWeight weight of positive examples, broadcastable to the input (buffer {@code
   *     pos_weight}), or null
   */
  public BCEWithLogitsLoss(Tensor weight, Reduction reduction, Tensor posWeight) {
    this.reduction = reduction;
    registerBuffer("weight", weight);
    registerBuffer("pos_weight", posWeight);
  }

  /** Returns the loss of logits {@code input} against probabilities {@code target} of its shape. */
  @Override
  public Tensor forward(Tensor input, Tensor target) {
    return NnLosses.binaryCrossEntropyWithLogits(input, target, buffer("weight"), buffer("pos_weight"),
        reduction);
  }
}
