package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/**
 * Sets each group's rate to its base rate times a function of the epoch, PyTorch's {@code
 * LambdaLR}: {@code lr = base * lambda(epoch)}, e.g. a linear warmup {@code e -> Math.min(1, (e + 1)
 * / 100.0)}.
 */
public final class LambdaLR extends LRScheduler {
  private final List<IntToDoubleFunction> lambdas;

  /** Creates the schedule with one function for every group and sets the epoch-0 rates. */
  public LambdaLR(Optimizer optimizer, IntToDoubleFunction lrLambda) {
    this(optimizer, java.util.Collections.nCopies(optimizer.paramGroups().size(), lrLambda));
  }

  /**
   * Creates the schedule with one function per group, in group order, and sets the epoch-0 rates.
   *
   * @throws IllegalArgumentException if there is not one function per group
   */
  public LambdaLR(Optimizer optimizer, List<IntToDoubleFunction> lrLambdas) {
    super(optimizer);
    this.lambdas = checked("LambdaLR", optimizer, lrLambdas);
    initialStep();
  }

  static List<IntToDoubleFunction> checked(String op, Optimizer optimizer, List<IntToDoubleFunction> lambdas) {
    int groups = optimizer.paramGroups().size();
    if (lambdas.size() != groups) {
      throw new IllegalArgumentException(op + ": expected " + groups + " lr_lambdas (one per group), but got "
          + lambdas.size());
    }
    return List.copyOf(lambdas);
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    return baseLr * lambdas.get(group).applyAsDouble(epoch);
  }
}
