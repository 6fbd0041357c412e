package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.NnLosses;

/**
 * The mean absolute error {@code |input - target|}, PyTorch's {@code nn.L1Loss}; shapes broadcast.
 */
public final class L1Loss extends Loss {
  private final Reduction reduction;

  /** Creates the loss with the mean reduction. */
  public L1Loss() {
    this(Reduction.MEAN);
  }

  /** Creates the loss with {@code reduction} ({@code NONE} keeps the broadcast shape). */
  public L1Loss(Reduction reduction) {
    this.reduction = reduction;
  }

  /** Returns the loss: 0-d, or the elementwise losses for {@code NONE}. */
  @Override
  public Tensor forward(Tensor input, Tensor target) {
    return NnLosses.l1Loss(input, target, reduction);
  }
}
