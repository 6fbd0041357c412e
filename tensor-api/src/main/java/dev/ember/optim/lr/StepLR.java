package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;

/**
 * Decays each group's rate by {@code gamma} every {@code stepSize} epochs, PyTorch's {@code
 * StepLR}: {@code lr = base * gamma^(epoch / stepSize)} (integer division).
 */
public final class StepLR extends LRScheduler {
  private final int stepSize;
  private final double gamma;

  /** Creates the schedule and sets the epoch-0 rates. */
  public StepLR(Optimizer optimizer, int stepSize, double gamma) {
    super(optimizer);
    if (stepSize <= 0) {
      throw new IllegalArgumentException("StepLR: step_size must be positive, got " + stepSize);
    }
    this.stepSize = stepSize;
    this.gamma = gamma;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    return baseLr * Math.pow(gamma, epoch / stepSize);
  }
}
