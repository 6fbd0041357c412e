package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;

/**
 * Cosine annealing, PyTorch's {@code CosineAnnealingLR}: {@code lr = etaMin + (base - etaMin) (1 +
 * cos(pi epoch / tMax)) / 2}. Past {@code tMax} the cosine continues, so the rate rises again, as
 * in PyTorch (no restarts).
 */
public final class CosineAnnealingLR extends LRScheduler {
  private final int tMax;
  private final double etaMin;

  /** Creates the schedule with a minimum rate of 0. */
  public CosineAnnealingLR(Optimizer optimizer, int tMax) {
    this(optimizer, tMax, 0);
  }

  /** Creates the schedule and sets the epoch-0 rates. */
  public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
    super(optimizer);
    if (tMax <= 0) {
      throw new IllegalArgumentException("CosineAnnealingLR: T_max must be positive, got " + tMax);
    }
    this.tMax = tMax;
    this.etaMin = etaMin;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
  }
}
