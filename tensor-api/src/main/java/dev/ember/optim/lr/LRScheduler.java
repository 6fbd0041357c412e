package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;
import dev.ember.optim.ParamGroup;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The base of epoch-indexed learning-rate schedules, PyTorch's {@code LRScheduler}. Each group's
 * learning rate is a function of its base rate (the group's {@code "initial_lr"}, set from its
 * {@code "lr"} when the first scheduler is attached) and the number of {@link #step()} calls.
 *
 * <p>Ember computes every schedule in closed form, which is PyTorch's result for a scheduler used
 * alone or inside {@link SequentialLR}. Two schedulers stepping the same optimizer at once (PyTorch
 * composes their chainable forms) are not supported: the last one to step sets the rate.
 *
 * <p>Call {@code optimizer.step()} before {@code scheduler.step()}, as in PyTorch. Constructing a
 * scheduler performs its initial step: the groups get the rate for epoch 0.
 */
public abstract class LRScheduler {
  /** The optimizer whose groups' {@code "lr"} this schedule sets. */
  protected final Optimizer optimizer;
  /** The base learning rate of each group. */
  protected final double[] baseLrs;
  private int lastEpoch = -1;
  private double[] lastLr;

  /**
   * Records the base rates of {@code optimizer}'s groups (setting {@code "initial_lr"} if absent).
   */
  protected LRScheduler(Optimizer optimizer) {
    this.optimizer = optimizer;
    List<ParamGroup> groups = optimizer.paramGroups();
    baseLrs = new double[groups.size()];
    for (int i = 0; i < groups.size(); i++) {
      ParamGroup g = groups.get(i);
      if (!g.has("initial_lr")) {
        g.set("initial_lr", g.lr());
      }
      baseLrs[i] = g.getDouble("initial_lr");
    }
    lastLr = currentLrs();
  }

  /**
   * Returns the learning rate of group {@code group} at {@code epoch}.
   *
   * @param baseLr that group's base rate
   */
  protected abstract double lrAt(int group, double baseLr, int epoch);

  /**
   * Performs the initial step (epoch 0); subclass constructors call it last, once their fields are
   * set.
   */
  protected final void initialStep() {
    step();
  }

  /** Advances one epoch and sets every group's learning rate. */
  public void step() {
    apply(lastEpoch + 1);
  }

  /**
   * Jumps to {@code epoch} and sets the rates there (PyTorch's deprecated {@code step(epoch)},
   * which {@link SequentialLR} uses to restart a schedule at 0).
   */
  public void step(int epoch) {
    apply(epoch);
  }

  /** Sets {@link #lastEpoch()} to {@code epoch} and every group's rate to its value there. */
  protected void apply(int epoch) {
    lastEpoch = epoch;
    List<ParamGroup> groups = optimizer.paramGroups();
    for (int i = 0; i < groups.size(); i++) {
      groups.get(i).setLr(lrAt(i, baseLrs[i], epoch));
    }
    lastLr = currentLrs();
  }

  /** Sets the epoch counter without touching the rates. For {@link SequentialLR}. */
  void setLastEpoch(int epoch) {
    lastEpoch = epoch;
  }

  private double[] currentLrs() {
    return optimizer.paramGroups().stream().mapToDouble(ParamGroup::lr).toArray();
  }

  /** Returns the rates this scheduler last set, one per group. */
  public double[] getLastLr() {
    return lastLr.clone();
  }

  /** Returns the number of steps taken since the initial one (0 right after construction). */
  public int lastEpoch() {
    return lastEpoch;
  }

  /**
   * Returns the scheduler's progress: {@code last_epoch}, {@code base_lrs}, {@code _last_lr}.
   * Construction arguments are not saved: rebuild the scheduler with the same ones, then load.
   */
  public LinkedHashMap<String, Object> stateDict() {
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    out.put("last_epoch", lastEpoch);
    out.put("base_lrs", baseLrs.clone());
    out.put("_last_lr", lastLr.clone());
    return out;
  }

  /**
   * Restores a {@link #stateDict()}; the optimizer's rates come from the optimizer's own state
   * dict.
   */
  public void loadStateDict(Map<String, Object> state) {
    lastEpoch = ((Number) state.get("last_epoch")).intValue();
    double[] base = (double[]) state.get("base_lrs");
    if (base.length != baseLrs.length) {
      throw new IllegalArgumentException("loadStateDict: " + base.length + " base rates for " + baseLrs.length
          + " groups");
    }
    System.arraycopy(base, 0, baseLrs, 0, base.length);
    lastLr = ((double[]) state.get("_last_lr")).clone();
  }
}
