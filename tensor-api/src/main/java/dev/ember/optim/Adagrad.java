package dev.ember.optim;

import dev.ember.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adagrad, PyTorch's {@code torch.optim.Adagrad}. Per parameter at step {@code t}, with {@code g}
 * the gradient (negated if maximizing):
 *
 * <pre>
 * g = g + weight_decay * p
 * clr = lr / (1 + (t - 1) * lr_decay)
 * s = s + g^2                                  (s starts at initial_accumulator_value)
 * p = p - clr * g / (sqrt(s) + eps)
 * </pre>
 *
 * <p>State: {@code step} (Double) and {@code sum}.
 */
public final class Adagrad extends Optimizer {
  /**
   * Adagrad's hyper-parameters, PyTorch's defaults unless set.
   *
   * @param lr the learning rate
   * @param lrDecay the learning rate's decay per step
   * @param weightDecay L2 penalty added to the gradient
   * @param initialAccumulatorValue the starting value of the squared-gradient sum
   * @param eps added to the denominator
   * @param maximize ascend instead of descend
   */
  public record Options(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps,
      boolean maximize) {
    /** Returns these options with another learning-rate decay. */
    public Options withLrDecay(double d) {
      return new Options(lr, d, weightDecay, initialAccumulatorValue, eps, maximize);
    }

    /** Returns these options with another weight decay. */
    public Options withWeightDecay(double wd) {
      return new Options(lr, lrDecay, wd, initialAccumulatorValue, eps, maximize);
    }

    /** Returns these options with another initial accumulator value. */
    public Options withInitialAccumulatorValue(double v) {
      return new Options(lr, lrDecay, weightDecay, v, eps, maximize);
    }

    /** Returns these options with another eps. */
    public Options withEps(double e) {
      return new Options(lr, lrDecay, weightDecay, initialAccumulatorValue, e, maximize);
    }

    /** Returns these options maximizing (true) or minimizing. */
    public Options withMaximize(boolean m) {
      return new Options(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, m);
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lr", lr);
      m.put("lr_decay", lrDecay);
      m.put("eps", eps);
      m.put("weight_decay", weightDecay);
      m.put("initial_accumulator_value", initialAccumulatorValue);
      m.put("maximize", maximize);
      return m;
    }
  }

  /** Returns options with learning rate {@code lr} and PyTorch's defaults (eps 1e-10, no decay). */
  public static Options options(double lr) {
    return new Options(lr, 0, 0, 0, 1e-10, false);
  }

  /** Creates Adagrad over {@code params} (one group) with PyTorch's default learning rate 1e-2. */
  public Adagrad(List<Tensor> params) {
    this(params, 1e-2);
  }

  /**
   * Creates Adagrad over {@code params} (one group) with learning rate {@code lr}, other options
   * default.
   */
  public Adagrad(List<Tensor> params, double lr) {
    this(params, options(lr));
  }

  /** Creates Adagrad over {@code params} (one group). */
  public Adagrad(List<Tensor> params, Options options) {
    this(options, List.of(ParamGroup.of(params)));
  }

  /**
   * Creates Adagrad over several groups; options a group doesn't set come from {@code defaults}.
   */
  public Adagrad(Options defaults, List<ParamGroup> groups) {
    super(groups, defaults.toMap());
  }

  @Override
  protected void validate(ParamGroup g) {
    Checks.nonNegative(this, g, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps");
  }

  @Override
  protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Object> state) {
    double lr = group.lr();
    double lrDecay = group.getDouble("lr_decay");
    double wd = group.getDouble("weight_decay");
    double eps = group.getDouble("eps");
    Tensor g = group.getBoolean("maximize") ? grad.neg() : grad;
    if (state.isEmpty()) {
      state.put("step", 0.0);
      state.put("sum", Tensor.fullLike(param, group.getDouble("initial_accumulator_value")));
    }
    double step = (Double) state.get("step") + 1;
    state.put("step", step);
    if (wd != 0) {
      g = g.add(param, wd);
    }
    double clr = lr / (1 + (step - 1) * lrDecay);
    Tensor sum = (Tensor) state.get("sum");
    sum.addInPlace(g.mul(g));
    Tensor std = sum.sqrt().add(eps);
    param.addInPlace(g.div(std), -clr);
  }
}
