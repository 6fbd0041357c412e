package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.NnLosses;

/**
 * The smooth L1 loss, PyTorch's {@code nn.SmoothL1Loss}: {@code 0.5 d^2 / beta} where {@code |d| <
 * beta}, else {@code |d| - 0.5 beta}, {@code d = input - target}; shapes broadcast.
 */
public final class SmoothL1Loss extends Loss {
  private final Reduction reduction;
  private final double beta;

  /** Creates the loss with the mean reduction and beta 1. */
  public SmoothL1Loss() {
    this(Reduction.MEAN, 1.0);
  }

  /** Creates the loss with {@code reduction} and {@code beta} (0 gives the L1 loss). */
  public SmoothL1Loss(Reduction reduction, double beta) {
    if (beta < 0) {
      throw new IllegalArgumentException("SmoothL1Loss: beta must be non-negative, got " + beta);
    }
    this.reduction = reduction;
    this.beta = beta;
  }

  /** Returns the loss: 0-d, or the elementwise losses for {@code NONE}. */
  @Override
  public Tensor forward(Tensor input, Tensor target) {
    return NnLosses.smoothL1Loss(input, target, reduction, beta);
  }
}
