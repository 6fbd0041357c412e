package dev.ember.optim;

import dev.ember.Tensor;
import dev.ember.ops.Arithmetic;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam, PyTorch's {@code torch.optim.Adam} (and, with decoupled weight decay, the base of {@link
 * AdamW}). Per parameter at step {@code t}, with {@code g} the gradient (negated if maximizing):
 *
 * <pre>
 * g = g + weight_decay * p                       (Adam; AdamW instead: p = p * (1 - lr * weight_decay))
 * m = lerp(m, g, 1 - beta1)                      v = beta2 * v + (1 - beta2) * g^2
 * vmax = max(vmax, v)                            (amsgrad; then vmax replaces v below)
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * <p>Where the backend has it ({@link dev.ember.spi.Backend#adamStep}, the CPU for contiguous
 * float32/float64) the whole update is one fused pass per parameter with the same roundings; else it
 * is composed from tensor ops. {@code -Dember.fused=false} forces the composition.
 *
 * <p>State: {@code step} (Double), {@code exp_avg}, {@code exp_avg_sq}, and {@code max_exp_avg_sq}
 * with amsgrad.
 */
public class Adam extends Optimizer {
  private final boolean decoupled;

  /**
   * Adam's hyper-parameters, PyTorch's defaults unless set.
   *
   * @param lr the learning rate
   * @param beta1 the decay of the gradient's running average
   * @param beta2 the decay of the squared gradient's running average
   * @param eps added to the denominator
   * @param weightDecay L2 penalty (Adam) or decoupled decay rate (AdamW)
   * @param amsgrad use the running maximum of the second moment
   * @param maximize ascend instead of descend
   */
  public record Options(double lr, double beta1, double beta2, double eps, double weightDecay, boolean amsgrad,
      boolean maximize) {
    /** Returns these options with other betas. */
    public Options withBetas(double b1, double b2) {
      return new Options(lr, b1, b2, eps, weightDecay, amsgrad, maximize);
    }

    /** Returns these options with another eps. */
    public Options withEps(double e) {
      return new Options(lr, beta1, beta2, e, weightDecay, amsgrad, maximize);
    }

    /** Returns these options with another weight decay. */
    public Options withWeightDecay(double wd) {
      return new Options(lr, beta1, beta2, eps, wd, amsgrad, maximize);
    }

    /** Returns these options with AMSGrad on or off. */
    public Options withAmsgrad(boolean a) {
      return new Options(lr, beta1, beta2, eps, weightDecay, a, maximize);
    }

    /** Returns these options maximizing (true) or minimizing. */
    public Options withMaximize(boolean m) {
      return new Options(lr, beta1, beta2, eps, weightDecay, amsgrad, m);
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lr", lr);
      m.put("betas", new double[] {beta1, beta2});
      m.put("eps", eps);
      m.put("weight_decay", weightDecay);
      m.put("amsgrad", amsgrad);
      m.put("maximize", maximize);
      return m;
    }
  }

  /**
   * Returns options with learning rate {@code lr} and PyTorch's Adam defaults (betas 0.9/0.999, eps
   * 1e-8).
   */
  public static Options options(double lr) {
    return new Options(lr, 0.9, 0.999, 1e-8, 0, false, false);
  }

  /** Creates Adam over {@code params} (one group) with PyTorch's default learning rate 1e-3. */
  public Adam(List<Tensor> params) {
    this(params, 1e-3);
  }

  /**
   * Creates Adam over {@code params} (one group) with learning rate {@code lr}, other options
   * default.
   */
  public Adam(List<Tensor> params, double lr) {
    this(params, options(lr));
  }

  /** Creates Adam over {@code params} (one group). */
  public Adam(List<Tensor> params, Options options) {
    this(options, List.of(ParamGroup.of(params)));
  }

  /** Creates Adam over several groups; options a group doesn't set come from {@code defaults}. */
  public Adam(Options defaults, List<ParamGroup> groups) {
    this(defaults, groups, false);
  }

  /**
   * For {@link AdamW}: {@code decoupled} applies weight decay to the parameter, not the gradient.
   */
  Adam(Options defaults, List<ParamGroup> groups, boolean decoupled) {
    super(groups, defaults.toMap());
    this.decoupled = decoupled;
  }

  @Override
  protected void validate(ParamGroup g) {
    Checks.nonNegative(this, g, "lr", "eps", "weight_decay");
    Checks.betas(this, g);
  }

  @Override
  protected void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Object> state) {
    double lr = group.lr();
    double[] betas = group.getArray("betas");
    double eps = group.getDouble("eps");
    double wd = group.getDouble("weight_decay");
    boolean amsgrad = group.getBoolean("amsgrad");
    boolean maximize = group.getBoolean("maximize");
    if (state.isEmpty()) {
      state.put("step", 0.0);
      state.put("exp_avg", Tensor.zerosLike(param));
      state.put("exp_avg_sq", Tensor.zerosLike(param));
      if (amsgrad) {
        state.put("max_exp_avg_sq", Tensor.zerosLike(param));
      }
    }
    double step = (Double) state.get("step") + 1;
    state.put("step", step);
    // AdamW's decay p *= 1 - lr wd joins the final update below (one pass, the same roundings).
    double decay = wd != 0 && decoupled ? 1 - lr * wd : 1;
    Tensor expAvg = (Tensor) state.get("exp_avg");
    Tensor expAvgSq = (Tensor) state.get("exp_avg_sq");
    Tensor max = amsgrad ? (Tensor) state.get("max_exp_avg_sq") : null;
    double biasCorrection1 = 1 - Math.pow(betas[0], step);
    double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(betas[1], step));
    double stepSize = lr / biasCorrection1;
    dev.ember.spi.AdamStep fused = new dev.ember.spi.AdamStep(1 - betas[0], betas[1], eps, decoupled ? 0 : wd,
        decay, stepSize, biasCorrection2Sqrt, maximize);
    if (FusedAdam.tryStep(param, grad, expAvg, expAvgSq, max, fused)) {
      return;
    }
    Tensor g = maximize ? grad.neg() : grad;
    if (wd != 0 && !decoupled) {
      g = g.add(param, wd);
    }
    InPlace.lerp(expAvg, g, 1 - betas[0]);
    Arithmetic.scaleAndAddInPlace(expAvgSq, betas[1], g.mul(g), 1 - betas[1]);
    Tensor second = expAvgSq;
    if (amsgrad) {
      max.copyInPlace(max.maximum(expAvgSq));
      second = max;
    }
    Tensor denom = second.sqrt().div(biasCorrection2Sqrt).add(eps);
    Arithmetic.scaleAndAddInPlace(param, decay, expAvg.div(denom), -stepSize);
  }
}
