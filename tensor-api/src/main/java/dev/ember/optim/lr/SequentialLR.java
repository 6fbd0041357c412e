package dev.ember.optim.lr;

import dev.ember.optim.Optimizer;
import dev.ember.optim.ParamGroup;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs schedules one after another, PyTorch's {@code SequentialLR}: {@code schedulers.get(i)} is in
 * charge from epoch {@code milestones[i - 1]} on and restarts at its own epoch 0 there. Typical use:
 * a {@link LinearLR} warm-up, then {@link CosineAnnealingLR}.
 *
 * <pre>{@code
 * var warmup = new LinearLR(opt, 0.1, 1.0, 5);
 * var decay = new CosineAnnealingLR(opt, 95);
 * var schedule = new SequentialLR(opt, List.of(warmup, decay), new int[] {5});
 * }</pre>
 */
public final class SequentialLR extends LRScheduler {
  private final List<LRScheduler> schedulers;
  private final int[] milestones;

  /**
   * Chains {@code schedulers} (all on {@code optimizer}); {@code milestones} has one entry fewer,
   * increasing.
   */
  public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, int[] milestones) {
    super(optimizer);
    if (schedulers.isEmpty() || milestones.length != schedulers.size() - 1) {
      throw new IllegalArgumentException("SequentialLR: expected " + Math.max(0, schedulers.size() - 1)
          + " milestones for " + schedulers.size() + " schedulers, got " + milestones.length);
    }
    for (LRScheduler s : schedulers) {
      if (s.optimizer != optimizer) {
        throw new IllegalArgumentException("SequentialLR: every scheduler must be attached to the same optimizer");
      }
    }
    this.schedulers = List.copyOf(schedulers);
    this.milestones = milestones.clone();
    // As PyTorch: restore the initial rates, undo the sub-schedulers' initial steps, and restart the first.
    for (ParamGroup g : optimizer.paramGroups()) {
      g.setLr(g.getDouble("initial_lr"));
    }
    for (LRScheduler s : schedulers) {
      s.setLastEpoch(s.lastEpoch() - 1);
    }
    schedulers.get(0).step();
    super.setLastEpoch(0);
  }

  @Override
  protected double lrAt(int group, double baseLr, int epoch) {
    throw new AssertionError("SequentialLR delegates to its schedulers");
  }

  @Override
  protected void apply(int epoch) {
    setLastEpoch(epoch);
    int idx = 0;
    while (idx < milestones.length && milestones[idx] <= epoch) {
      idx++;
    }
    LRScheduler s = schedulers.get(idx);
    if (idx > 0 && milestones[idx - 1] == epoch) {
      s.step(0);
    } else {
      s.step();
    }
  }

  @Override
  public double[] getLastLr() {
    return optimizer.paramGroups().stream().mapToDouble(ParamGroup::lr).toArray();
  }

  /** Returns this schedule's epoch and each sub-scheduler's state under {@code "_schedulers"}. */
  @Override
  public LinkedHashMap<String, Object> stateDict() {
    LinkedHashMap<String, Object> out = super.stateDict();
    out.put("_schedulers", schedulers.stream().map(LRScheduler::stateDict).toList());
    return out;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void loadStateDict(Map<String, Object> state) {
    super.loadStateDict(state);
    List<Map<String, Object>> subs = (List<Map<String, Object>>) state.get("_schedulers");
    for (int i = 0; i < schedulers.size(); i++) {
      schedulers.get(i).loadStateDict(subs.get(i));
    }
  }
}
