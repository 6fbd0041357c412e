package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;

/**
 * Decays each group's rate polynomially to zero over {@code totalIters} epochs, PyTorch's {@code
 * PolynomialLR}: {@code lr = base * (1 - min(epoch, totalIters) / totalIters)^power}.
 */
public final class PolynomialLR extends LRScheduler {
  private final int totalIters;
  private final double power;

  /** Creates the schedule with PyTorch's defaults (5 epochs, power 1). */
  public PolynomialLR(Optimizer optimizer) {
    this(optimizer, 5, 1);
  }

  /**
   * Creates the schedule and sets the epoch-0 rates.
   *
   * @throws IllegalArgumentException if {@code totalIters} is not positive
   */
  public PolynomialLR(Optimizer optimizer, int totalIters, double power) {
    super(optimizer);
    if (totalIters <= 0) {
      throw new IllegalArgumentException("PolynomialLR: total_iters must be positive, got " + totalIters);
    }
    this.totalIters = totalIters;
    this.power = power;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    return baseLr * Math.pow(1 - (double) Math.min(epoch, totalIters) / totalIters, power);
  }
}
