package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;

/**
 * Cosine annealing with warm restarts (SGDR), PyTorch's {@code CosineAnnealingWarmRestarts}: the
 * rate falls from the base rate to {@code etaMin} along a half cosine over a cycle of {@code T_i}
 * epochs, then restarts; the first cycle is {@code t0} epochs and each next one {@code tMult} times
 * longer. {@code lr = etaMin + (base - etaMin) (1 + cos(pi T_cur / T_i)) / 2}, {@code T_cur} the
 * epochs since the last restart. Stepped once per epoch (PyTorch's fractional-epoch {@code
 * step(epoch + i / iters)} is not offered).
 */
public final class CosineAnnealingWarmRestarts extends LRScheduler {
  private final int t0;
  private final int tMult;
  private final double etaMin;

  /** Creates the schedule with restarts every {@code t0} epochs, {@code etaMin} 0. */
  public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0) {
    this(optimizer, t0, 1, 0);
  }

  /**
   * Creates the schedule and sets the epoch-0 rates.
   *
   * @throws IllegalArgumentException if {@code t0} is not positive or {@code tMult} is below 1
   */
  public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult, double etaMin) {
    super(optimizer);
    if (t0 <= 0) {
      throw new IllegalArgumentException("CosineAnnealingWarmRestarts: expected a positive integer T_0, but got "
          + t0);
    }
    if (tMult < 1) {
      throw new IllegalArgumentException("CosineAnnealingWarmRestarts: expected an integer T_mult >= 1, but got "
          + tMult);
    }
    this.t0 = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    long cur = epoch;
    long cycle = t0;
    while (cur >= cycle) {
      cur -= cycle;
      cycle *= tMult;
    }
    return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * cur / cycle)) / 2;
  }
}
