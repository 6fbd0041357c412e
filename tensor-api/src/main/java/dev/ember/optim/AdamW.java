package dev.ember.optim;

import dev.ember.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay, PyTorch's {@code torch.optim.AdamW}: each step first shrinks
 * the parameter, {@code p = p * (1 - lr * weight_decay)}, then takes {@link Adam}'s step without
 * the decay in the gradient. PyTorch's default weight decay here is 0.01.
 */
public final class AdamW extends Adam {
  /**
   * Returns options with learning rate {@code lr} and PyTorch's AdamW defaults (weight decay 0.01).
   */
  public static Options options(double lr) {
    return Adam.options(lr).withWeightDecay(0.01);
  }

  /** Creates AdamW over {@code params} (one group) with PyTorch's default learning rate 1e-3. */
  public AdamW(List<Tensor> params) {
    this(params, 1e-3);
  }

  /**
   * Creates AdamW over {@code params} (one group) with learning rate {@code lr}, other options
   * default.
   */
  public AdamW(List<Tensor> params, double lr) {
    this(params, options(lr));
  }

  /** Creates AdamW over {@code params} (one group). */
  public AdamW(List<Tensor> params, Options options) {
    this(options, List.of(ParamGroup.of(params)));
  }

  /** Creates AdamW over several groups; options a group doesn't set come from {@code defaults}. */
  public AdamW(Options defaults, List<ParamGroup> groups) {
    super(defaults, groups, true);
  }
}
