package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;
import java.util.Arrays;

/**
 * Decays each group's rate by {@code gamma} at each milestone epoch, PyTorch's {@code
 * MultiStepLR}: {@code lr = base * gamma^(number of milestones <= epoch)} (a milestone listed twice
 * counts twice).
 */
public final class MultiStepLR extends LRScheduler {
  private final int[] milestones;
  private final double gamma;

  /** Creates the schedule and sets the epoch-0 rates. */
  public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
    super(optimizer);
    this.milestones = milestones.clone();
    Arrays.sort(this.milestones);
    this.gamma = gamma;
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    int passed = 0;
    for (int m : milestones) {
      if (m <= epoch) {
        passed++;
      }
    }
    return baseLr * Math.pow(gamma, passed);
  }
}
