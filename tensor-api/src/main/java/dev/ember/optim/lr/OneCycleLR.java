package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;
import dev.ember.optim.ParamGroup;
import java.util.List;

/**
 * The 1cycle policy, PyTorch's {@code OneCycleLR}: the rate anneals from {@code maxLr / divFactor}
 * up to {@code maxLr} over the first {@code pctStart} of {@code totalSteps}, then down to {@code
 * initial / finalDivFactor} (with {@code threePhase}: back to the initial rate, then down to the
 * minimum). Step it after every batch. With {@code cycleMomentum} the momentum (or Adam's beta1)
 * moves inversely between {@code maxMomentum} and {@code baseMomentum}.
 *
 * <p>Construction overwrites each group's {@code "initial_lr"} ({@code maxLr / divFactor}) and adds
 * {@code "max_lr"}, {@code "min_lr"} and, when cycling momentum, {@code "max_momentum"} and {@code
 * "base_momentum"}, as PyTorch does. Stepping past {@code totalSteps} throws.
 */
public final class OneCycleLR extends LRScheduler {
  private final int totalSteps;
  private final boolean cosine;
  private final boolean cycleMomentum;
  private final boolean useBeta1;
  /** Per phase: end step, then keys of start/end lr and start/end momentum. */
  private final double[] phaseEnds;
  private final String[][] phaseKeys;

  /**
   * Creates PyTorch's defaults: pct_start 0.3, cosine, momentum 0.85-0.95, div 25, final div 1e4.
   */
  public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
    this(optimizer, maxLr, totalSteps, 0.3, "cos", true, 0.85, 0.95, 25, 1e4, false);
  }

  /**
   * Creates the schedule with every option (PyTorch's order) and sets the step-0 rates.
   *
   * @param annealStrategy {@code "cos"} or {@code "linear"}
   */
  public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart, String annealStrategy,
      boolean cycleMomentum, double baseMomentum, double maxMomentum, double divFactor, double finalDivFactor,
      boolean threePhase) {
    super(prepare(optimizer, maxLr, totalSteps, pctStart, annealStrategy, divFactor, finalDivFactor));
    this.totalSteps = totalSteps;
    this.cosine = annealStrategy.equals("cos");
    if (threePhase) {
      phaseEnds = new double[] {pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1};
      phaseKeys = new String[][] {{"initial_lr", "max_lr", "max_momentum", "base_momentum"},
          {"max_lr", "initial_lr", "base_momentum", "max_momentum"},
          {"initial_lr", "min_lr", "max_momentum", "max_momentum"}};
    } else {
      phaseEnds = new double[] {pctStart * totalSteps - 1, totalSteps - 1};
      phaseKeys = new String[][] {{"initial_lr", "max_lr", "max_momentum", "base_momentum"},
          {"max_lr", "min_lr", "base_momentum", "max_momentum"}};
    }
    this.cycleMomentum = cycleMomentum;
    boolean beta1 = optimizer.defaults().containsKey("betas");
    if (cycleMomentum) {
      if (!beta1 && !optimizer.defaults().containsKey("momentum")) {
        throw new IllegalArgumentException("OneCycleLR: optimizer must support momentum or beta1 with"
            + " cycle_momentum enabled");
      }
      for (ParamGroup g : optimizer.paramGroups()) {
        g.set("max_momentum", maxMomentum);
        g.set("base_momentum", baseMomentum);
        setMomentum(g, maxMomentum, beta1);
      }
    }
    this.useBeta1 = beta1;
    initialStep();
  }

  private static Optimizer prepare(Optimizer optimizer, double maxLr, int totalSteps, double pctStart,
      String annealStrategy, double divFactor, double finalDivFactor) {
    if (totalSteps <= 0) {
      throw new IllegalArgumentException("OneCycleLR: expected a positive total_steps, got " + totalSteps);
    }
    if (!(pctStart >= 0 && pctStart <= 1)) {
      throw new IllegalArgumentException("OneCycleLR: expected pct_start in [0, 1], got " + pctStart);
    }
    if (!annealStrategy.equals("cos") && !annealStrategy.equals("linear")) {
      throw new IllegalArgumentException("OneCycleLR: anneal_strategy must be 'cos' or 'linear', got '"
          + annealStrategy + "'");
    }
    List<ParamGroup> groups = optimizer.paramGroups();
    for (ParamGroup g : groups) {
      double initial = maxLr / divFactor;
      g.set("initial_lr", initial);
      g.set("max_lr", maxLr);
      g.set("min_lr", initial / finalDivFactor);
    }
    return optimizer;
  }

  private static void setMomentum(ParamGroup g, double m, boolean beta1) {
    if (beta1) {
      double[] b = g.getArray("betas");
      b[0] = m;
      g.set("betas", b);
    } else {
      g.set("momentum", m);
    }
  }

  private double anneal(double start, double end, double pct) {
    return cosine ? end + (start - end) / 2.0 * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }

  /** Returns {@code {phase index, pct}} for {@code step}. */
  private double[] phase(int step) {
    double start = 0;
    for (int i = 0; i < phaseEnds.length; i++) {
      double end = phaseEnds[i];
      if (step <= end || i == phaseEnds.length - 1) {
        return new double[] {i, (step - start) / (end - start)};
      }
      start = end;
    }
    throw new AssertionError();
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    if (epoch > totalSteps) {
      throw new IllegalStateException("OneCycleLR: tried to step " + epoch + " times. The specified number of"
          + " total steps is " + totalSteps);
    }
    ParamGroup g = optimizer.paramGroups().get(group);
    double[] p = phase(epoch);
    String[] keys = phaseKeys[(int) p[0]];
    return anneal(g.getDouble(keys[0]), g.getDouble(keys[1]), p[1]);
  }

  @Override
  protected void apply(int epoch) {
    super.apply(epoch);
    if (cycleMomentum) {
      double[] p = phase(epoch);
      String[] keys = phaseKeys[(int) p[0]];
      for (ParamGroup g : optimizer.paramGroups()) {
        setMomentum(g, anneal(g.getDouble(keys[2]), g.getDouble(keys[3]), p[1]), useBeta1);
      }
    }
  }
}
