package dev.ember.optim;

import dev.ember.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RMSprop, PyTorch's {@code torch.optim.RMSprop}. Per parameter, with {@code g} the gradient
 * (negated if maximizing):
 *
 * <pre>
 * g = g + weight_decay * p
 * v = alpha * v + (1 - alpha) * g^2
 * a = lerp(a, g, 1 - alpha); d = sqrt(v - a^2) + eps      (centered)
 * d = sqrt(v) + eps                                        (otherwise)
 * b = momentum * b + g / d; p = p - lr * b                 (momentum &gt; 0)
 * p = p - lr * g / d                                       (otherwise)
 * </pre>
 *
 * <p>State: {@code step}, {@code square_avg}, {@code momentum_buffer} (momentum &gt; 0), {@code
 * grad_avg} (centered).
 */
public final class RMSprop extends Optimizer {
  /**
   * RMSprop's hyper-parameters, PyTorch's defaults unless set.
   *
   * @param lr the learning rate
   * @param alpha the smoothing constant of the squared-gradient average
   * @param eps added to the denominator
   * @param weightDecay L2 penalty added to the gradient
   * @param momentum the momentum factor
   * @param centered normalize by an estimate of the gradient's variance
   * @param maximize ascend instead of descend
   */
  public record Options(double lr, double alpha, double eps, double weightDecay, double momentum,
      boolean centered, boolean maximize) {
    /** Returns these options with another alpha. */
    public Options withAlpha(double a) {
      return new Options(lr, a, eps, weightDecay, momentum, centered, maximize);
    }

    /** Returns these options with another eps. */
    public Options withEps(double e) {
      return new Options(lr, alpha, e, weightDecay, momentum, centered, maximize);
    }

    /** Returns these options with another weight decay. */
    public Options withWeightDecay(double wd) {
      return new Options(lr, alpha, eps, wd, momentum, centered, maximize);
    }

    /** Returns these options with another momentum. */
    public Options withMomentum(double m) {
      return new Options(lr, alpha, eps, weightDecay, m, centered, maximize);
    }

    /** Returns these options centered (true) or not. */
    public Options withCentered(boolean c) {
      return new Options(lr, alpha, eps, weightDecay, momentum, c, maximize);
    }

    /** Returns these options maximizing (true) or minimizing. */
    public Options withMaximize(boolean m) {
      return new Options(lr, alpha, eps, weightDecay, momentum, centered, m);
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lr", lr);
      m.put("momentum", momentum);
      m.put("alpha", alpha);
      m.put("eps", eps);
      m.put("centered", centered);
      m.put("weight_decay", weightDecay);
      m.put("maximize", maximize);
      return m;
    }
  }

  /**
   * Returns options with learning rate {@code lr} and PyTorch's defaults (alpha 0.99, eps 1e-8).
   */
  public static Options options(double lr) {
    return new Options(lr, 0.99, 1e-8, 0, 0, false, false);
  }

  /** Creates RMSprop over {@code params} (one group) with PyTorch's default learning rate 1e-2. */
  public RMSprop(List<Tensor> params) {
    this(params, 1e-2);
  }

  /**
   * Creates RMSprop over {@code params} (one group) with learning rate {@code lr}, other options
   * default.
   */
  public RMSprop(List<Tensor> params, double lr) {
    this(params, options(lr));
  }

  /** Creates RMSprop over {@code params} (one group). */
  public RMSprop(List<Tensor> params, Options options) {
    this(options, List.of(ParamGroup.of(params)));
  }

  /**
   * Creates RMSprop over several groups; options a group doesn't set come from {@code defaults}.
   */
  public RMSprop(Options defaults, List<ParamGroup> groups) {
    super(groups, defaults.toMap());
  }

  @Override
  protected void validate(ParamGroup g) {
    Checks.nonNegative(this, g, "lr", "eps", "momentum", "weight_decay", "alpha");
  }

  @Override
  protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Object> state) {
    double lr = group.lr();
    double alpha = group.getDouble("alpha");
    double eps = group.getDouble("eps");
    double wd = group.getDouble("weight_decay");
    double momentum = group.getDouble("momentum");
    boolean centered = group.getBoolean("centered");
    Tensor g = group.getBoolean("maximize") ? grad.neg() : grad;
    if (state.isEmpty()) {
      state.put("step", 0.0);
      state.put("square_avg", Tensor.zerosLike(param));
      if (momentum > 0) {
        state.put("momentum_buffer", Tensor.zerosLike(param));
      }
      if (centered) {
        state.put("grad_avg", Tensor.zerosLike(param));
      }
    }
    state.put("step", (Double) state.get("step") + 1);
    if (wd != 0) {
      g = g.add(param, wd);
    }
    Tensor squareAvg = (Tensor) state.get("square_avg");
    squareAvg.mulInPlace(alpha).addInPlace(g.mul(g), 1 - alpha);
    Tensor avg;
    if (centered) {
      Tensor gradAvg = (Tensor) state.get("grad_avg");
      InPlace.lerp(gradAvg, g, 1 - alpha);
      avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
    } else {
      avg = squareAvg.sqrt();
    }
    avg = avg.add(eps);
    if (momentum > 0) {
      Tensor buf = (Tensor) state.get("momentum_buffer");
      buf.mulInPlace(momentum).addInPlace(g.div(avg));
      param.addInPlace(buf, -lr);
    } else {
      param.addInPlace(g.div(avg), -lr);
    }
  }
}
