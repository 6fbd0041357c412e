package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;

/**
 * Decays each group's rate by {@code gamma} every epoch, PyTorch's {@code ExponentialLR}: {@code
 * base * gamma^epoch}.
 */
public final class ExponentialLR extends LRScheduler {
  private final double gamma;

  /** Creates the schedule and sets the epoch-0 rates. */
  public ExponentialLR(Optimizer optimizer, double gamma) {
    super(optimizer);
    this.gamma = gamma;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    return baseLr * Math.pow(gamma, epoch);
  }
}
