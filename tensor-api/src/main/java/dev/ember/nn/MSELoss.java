package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.NnLosses;

/**
 * The mean squared error {@code (input - target)^2}, PyTorch's {@code nn.MSELoss}; shapes
 * broadcast.
 */
public final class MSELoss extends Loss {
  private final Reduction reduction;

  /** Creates the loss with the mean reduction. */
  public MSELoss() {
    this(Reduction.MEAN);
  }

  /** Creates the loss with {@code reduction} ({@code NONE} keeps the broadcast shape). */
  public MSELoss(Reduction reduction) {
    this.reduction = reduction;
  }

  /** Returns the loss: 0-d, or the elementwise losses for {@code NONE}. */
  @Override
  public Tensor forward(Tensor input, Tensor target) {
    return NnLosses.mseLoss(input, target, reduction);
  }
}
