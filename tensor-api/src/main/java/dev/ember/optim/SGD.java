package dev.ember.optim;

import dev.ember.Tensor;
import dev.ember.ops.Arithmetic;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, PyTorch's {@code torch.optim.SGD}. Per
 * parameter, with {@code g} the gradient (negated if maximizing):
 *
 * <pre>
 * g = g + weight_decay * p
 * b = g (first step), else b = momentum * b + (1 - dampening) * g      (if momentum != 0)
 * g = g + momentum * b (nesterov), else g = b
 * p = p - lr * g
 * </pre>
 *
 * <p>State: {@code momentum_buffer} (a tensor like the parameter) when momentum is used.
 */
public final class SGD extends Optimizer {
  /**
   * SGD's hyper-parameters, PyTorch's defaults unless set.
   *
   * @param lr the learning rate
   * @param momentum the momentum factor (0: plain SGD)
   * @param dampening dampening of the momentum
   * @param weightDecay L2 penalty added to the gradient
   * @param nesterov Nesterov momentum (needs momentum &gt; 0 and dampening 0)
   * @param maximize ascend instead of descend
   */
  public record Options(double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
      boolean maximize) {
    /** Returns these options with another momentum. */
    public Options withMomentum(double m) {
      return new Options(lr, m, dampening, weightDecay, nesterov, maximize);
    }

    /** Returns these options with another dampening. */
    public Options withDampening(double d) {
      return new Options(lr, momentum, d, weightDecay, nesterov, maximize);
    }

    /** Returns these options with another weight decay. */
    public Options withWeightDecay(double wd) {
      return new Options(lr, momentum, dampening, wd, nesterov, maximize);
    }

    /** Returns these options with Nesterov momentum on or off. */
    public Options withNesterov(boolean n) {
      return new Options(lr, momentum, dampening, weightDecay, n, maximize);
    }

    /** Returns these options maximizing (true) or minimizing. */
    public Options withMaximize(boolean m) {
      return new Options(lr, momentum, dampening, weightDecay, nesterov, m);
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lr", lr);
      m.put("momentum", momentum);
      m.put("dampening", dampening);
      m.put("weight_decay", weightDecay);
      m.put("nesterov", nesterov);
      m.put("maximize", maximize);
      return m;
    }
  }

  /** Returns options with learning rate {@code lr} and PyTorch's other defaults (no momentum). */
  public static Options options(double lr) {
    return new Options(lr, 0, 0, 0, false, false);
  }

  /** Creates SGD over {@code params} (one group) with PyTorch's default learning rate 1e-3. */
  public SGD(List<Tensor> params) {
    this(params, 1e-3);
  }

  /**
   * Creates SGD over {@code params} (one group) with learning rate {@code lr}, other options
   * default.
   */
  public SGD(List<Tensor> params, double lr) {
    this(params, options(lr));
  }

  /** Creates SGD over {@code params} (one group). */
  public SGD(List<Tensor> params, Options options) {
    this(options, List.of(ParamGroup.of(params)));
  }

  /** Creates SGD over several groups; options a group doesn't set come from {@code defaults}. */
  public SGD(Options defaults, List<ParamGroup> groups) {
    super(groups, defaults.toMap());
  }

  @Override
  protected void validate(ParamGroup g) {
    Checks.nonNegative(this, g, "lr", "momentum", "weight_decay");
    if (g.getBoolean("nesterov") && (g.getDouble("momentum") <= 0 || g.getDouble("dampening") != 0)) {
      throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
    }
  }

  @Override
  protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Object> state) {
    double lr = group.lr();
    double momentum = group.getDouble("momentum");
    double dampening = group.getDouble("dampening");
    double wd = group.getDouble("weight_decay");
    Tensor g = group.getBoolean("maximize") ? grad.neg() : grad;
    if (wd != 0) {
      g = g.add(param, wd);
    }
    if (momentum != 0) {
      Tensor buf = (Tensor) state.get("momentum_buffer");
      if (buf == null) {
        buf = g.clone();
        state.put("momentum_buffer", buf);
      } else {
        Arithmetic.scaleAndAddInPlace(buf, momentum, g, 1 - dampening);
      }
      g = group.getBoolean("nesterov") ? g.add(buf, momentum) : buf;
    }
    param.addInPlace(g, -lr);
  }
}
