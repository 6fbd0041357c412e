package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/**
 * Multiplies each group's rate by a function of the epoch at every step, PyTorch's {@code
 * MultiplicativeLR}: {@code lr(e) = base * lambda(1) * ... * lambda(e)} ({@code lr(0) = base}).
 * Stepping forward one epoch costs one multiplication; a jump recomputes the product.
 */
public final class MultiplicativeLR extends LRScheduler {
  private final List<IntToDoubleFunction> lambdas;
  private final int[] productEpoch;
  private final double[] product;

  /** Creates the schedule with one function for every group and sets the epoch-0 rates. */
  public MultiplicativeLR(Optimizer optimizer, IntToDoubleFunction lrLambda) {
    this(optimizer, java.util.Collections.nCopies(optimizer.paramGroups().size(), lrLambda));
  }

  /** Creates the schedule with one function per group and sets the epoch-0 rates. */
  public MultiplicativeLR(Optimizer optimizer, List<IntToDoubleFunction> lrLambdas) {
    super(optimizer);
    this.lambdas = LambdaLR.checked("MultiplicativeLR", optimizer, lrLambdas);
    this.productEpoch = new int[lambdas.size()];
    this.product = new double[lambdas.size()];
    java.util.Arrays.fill(product, 1);
    initialStep();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    if (epoch < productEpoch[group]) {
      productEpoch[group] = 0;
      product[group] = 1;
    }
    while (productEpoch[group] < epoch) {
      productEpoch[group]++;
      product[group] *= lambdas.get(group).applyAsDouble(productEpoch[group]);
    }
    return baseLr * product[group];
  }
}
