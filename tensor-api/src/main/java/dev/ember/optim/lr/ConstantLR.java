package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;

/**
 * Scales each group's rate by a constant factor for the first {@code totalIters} epochs, PyTorch's
 * {@code ConstantLR}: {@code lr = base * factor} while {@code epoch < totalIters}, then {@code
 * base}.
 */
public final class ConstantLR extends LRScheduler {
  private final double factor;
  private final int totalIters;

  /** Creates the schedule with PyTorch's defaults (factor 1/3, 5 epochs). */
  public ConstantLR(Optimizer optimizer) {
    this(optimizer, 1.0 / 3, 5);
  }

  /**
   * Creates the schedule and sets the epoch-0 rates.
   *
   * @throws IllegalArgumentException if {@code factor} is outside [0, 1]
   */
  public ConstantLR(Optimizer optimizer, double factor, int totalIters) {
    super(optimizer);
    if (factor < 0 || factor > 1) {
      throw new IllegalArgumentException("ConstantLR: constant factor expected to be between 0 and 1, got "
          + factor);
    }
    this.factor = factor;
    this.totalIters = totalIters;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    return epoch < totalIters ? baseLr * factor : baseLr;
  }
}
