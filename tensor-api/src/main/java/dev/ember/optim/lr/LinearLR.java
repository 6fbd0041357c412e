package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;

/**
 * Scales each group's rate by a factor moving linearly from {@code startFactor} to {@code
 * endFactor} over {@code totalIters} epochs, then constant, PyTorch's {@code LinearLR} (a common
 * warm-up).
 */
public final class LinearLR extends LRScheduler {
  private final double startFactor;
  private final double endFactor;
  private final int totalIters;

  /** Creates PyTorch's default: factor 1/3 rising to 1 over 5 epochs. */
  public LinearLR(Optimizer optimizer) {
    this(optimizer, 1.0 / 3, 1.0, 5);
  }

  /**
   * Creates the schedule and sets the epoch-0 rates.
   *
   * @param startFactor in (0, 1]
   * @param endFactor in [0, 1]
   */
  public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
    super(optimizer);
    if (!(startFactor > 0 && startFactor <= 1) || !(endFactor >= 0 && endFactor <= 1)) {
      throw new IllegalArgumentException("LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got "
          + startFactor + " and " + endFactor);
    }
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    return baseLr * (startFactor + (endFactor - startFactor) * Math.min(totalIters, epoch) / totalIters);
  }
}
