package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Autocasting;
import dev.ember.internal.Dispatch;
import dev.ember.ops.Losses.Reduction;
import java.util.Arrays;

/**
 * Regression and binary losses of {@code torch.nn.functional} ({@code mse_loss}, {@code l1_loss},
 * {@code smooth_l1_loss}, {@code huber_loss}, {@code binary_cross_entropy}, {@code
 * binary_cross_entropy_with_logits}) and {@code normalize}. The class-index losses live in {@link
 * Losses}.
 *
 * <p>Most are compositions of differentiable ops. The two binary cross-entropies record an
 * analytic backward (PyTorch's formulas, as Tensor expressions) because the composite's gradient
 * would be wrong at the clamps: {@code 0 * inf} at {@code x = 0} for BCE, and 0 instead of {@code
 * sigmoid(0) - t} at exactly {@code x = 0} for the logits form (zero-initialized heads hit it).
 */
public final class NnLosses {
  private NnLosses() {}

  /** Returns the mean (or sum, or unreduced) squared error {@code (input - target)^2}; shapes broadcast. */
  public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
    return reduce(diff("mse_loss", input, target).square(), reduction);
  }

  /** Returns the mean (or sum, or unreduced) absolute error {@code |input - target|}; shapes broadcast. */
  public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
    return reduce(diff("l1_loss", input, target).abs(), reduction);
  }

  /**
   * Returns the smooth L1 loss: {@code 0.5 d^2 / beta} where {@code |d| < beta}, else {@code |d| -
   * 0.5 beta}, with {@code d = input - target} (PyTorch's default beta is 1; beta 0 is L1).
   */
  public static Tensor smoothL1Loss(Tensor input, Tensor target, Reduction reduction, double beta) {
    if (beta < 0) {
      throw new IllegalArgumentException("smooth_l1_loss: beta must be non-negative, got " + beta);
    }
    Tensor d = diff("smooth_l1_loss", input, target);
    Tensor a = d.abs();
    if (beta == 0) {
      return reduce(a, reduction);
    }
    Tensor loss = Tensor.where(a.lt(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta));
    return reduce(loss, reduction);
  }

  /**
   * Returns the Huber loss: {@code 0.5 d^2} where {@code |d| < delta}, else {@code delta (|d| - 0.5
   * delta)} (PyTorch's default delta is 1).
   */
  public static Tensor huberLoss(Tensor input, Tensor target, Reduction reduction, double delta) {
    if (delta <= 0) {
      throw new IllegalArgumentException("huber_loss: delta must be positive, got " + delta);
    }
    Tensor d = diff("huber_loss", input, target);
    Tensor a = d.abs();
    Tensor loss = Tensor.where(a.lt(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta));
    return reduce(loss, reduction);
  }

  /**
   * Returns the binary cross-entropy {@code -w (t log(x) + (1 - t) log(1 - x))} between
   * probabilities {@code input} in [0, 1] and {@code target} of the same shape. Each log is clamped
   * at -100, as in PyTorch, so the loss stays finite; gradients flow to input and target.
   *
   * @param weight per-element rescaling, broadcastable to the input, or null
   * @throws IllegalArgumentException if shapes differ or an input lies outside [0, 1]
   */
  public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
    String op = "binary_cross_entropy";
    input = Autocasting.full(input);
    target = Autocasting.full(target);
    weight = Autocasting.full(weight);
    sameShape(op, input, target);
    if (input.numel() > 0) {
      double lo = input.detach().amin().item();
      double hi = input.detach().amax().item();
      if (!(lo >= 0 && hi <= 1)) {
        throw new IllegalArgumentException(op + ": all elements of input should be between 0 and 1, found "
            + (lo < 0 || Double.isNaN(lo) ? lo : hi));
      }
    }
    Tensor x = input;
    Tensor t = target.to(input.dtype());
    Tensor loss;
    try (GradMode off = GradMode.noGrad()) {
      loss = t.mul(clampedLog(x)).add(t.rsub(1).mul(clampedLog1m(x))).neg();
    }
    loss = record(op, loss, new Tensor[] {x, t}, new Tensor[] {x, t}, g -> new Tensor[] {
        x.requiresGrad() ? g.mul(x.sub(t)).div(x.rsub(1).mul(x).clamp(1e-12, Double.NaN)) : null,
        t.requiresGrad() ? g.mul(clampedLog1m(x).sub(clampedLog(x))) : null});
    return reduce(weight == null ? loss : loss.mul(weight), reduction);
  }

  private static Tensor clampedLog(Tensor x) {
    return x.log().clamp(-100, Double.NaN);
  }

  private static Tensor clampedLog1m(Tensor x) {
    return x.neg().log1p().clamp(-100, Double.NaN);
  }

  /**
   * Returns the binary cross-entropy of logits: {@code -w (pw t log(sigmoid(x)) + (1 - t) log(1 -
   * sigmoid(x)))}, computed stably as {@code (1 - t) x + (1 + (pw - 1) t) softplus(-x)}.
   *
   * @param target probabilities of the input's shape
   * @param weight per-element rescaling, broadcastable to the input, or null
   * @param posWeight weight of positive examples, broadcastable to the input (typically [C] for the
   *     last dim), or null; like {@code weight} it gets no gradient
   */
  public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
      Reduction reduction) {
    String op = "binary_cross_entropy_with_logits";
    input = Autocasting.full(input);
    target = Autocasting.full(target);
    weight = Autocasting.full(weight);
    posWeight = Autocasting.full(posWeight);
    sameShape(op, input, target);
    if (posWeight != null) {
      Dispatch.broadcastShapes(op, posWeight.shapeArray(), input.shapeArray());
    }
    Tensor x = input;
    Tensor t = target.to(input.dtype());
    Tensor pw = posWeight == null ? null : posWeight.detach().to(input.dtype());
    Tensor loss;
    try (GradMode off = GradMode.noGrad()) {
      Tensor soft = softplusOfNegative(x);
      Tensor logWeight = pw == null ? null : pw.sub(1).mul(t).add(1);
      loss = t.rsub(1).mul(x).add(logWeight == null ? soft : logWeight.mul(soft));
    }
    loss = record(op, loss, new Tensor[] {x, t}, new Tensor[] {x, t}, g -> {
      Tensor gx = null;
      Tensor gt = null;
      if (x.requiresGrad()) {
        Tensor s = x.sigmoid();
        if (pw == null) {
          gx = g.mul(s.sub(t));
        } else {
          Tensor tp = pw.mul(t);
          gx = g.mul(tp.add(1).sub(t).mul(s).sub(tp));
        }
      }
      if (t.requiresGrad()) {
        Tensor dt = x.neg();
        gt = g.mul(pw == null ? dt : dt.add(pw.sub(1).mul(softplusOfNegative(x))));
      }
      return new Tensor[] {gx, gt};
    });
    return reduce(weight == null ? loss : loss.mul(weight), reduction);
  }

  /** Returns {@code log(1 + e^-x)} without overflow: {@code max(-x, 0) + log1p(e^-|x|)}. */
  private static Tensor softplusOfNegative(Tensor x) {
    return x.neg().relu().add(x.abs().neg().exp().log1p());
  }

  /**
   * Returns {@code x / max(||x||_p, eps)} along {@code dim} ({@code torch.nn.functional.normalize};
   * PyTorch's defaults are p = 2, dim = 1, eps = 1e-12).
   */
  public static Tensor normalize(Tensor x, double p, int dim, double eps) {
    if (!x.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("normalize: expected a floating input, got " + x.dtype());
    }
    Tensor norm = x.norm(p, new int[] {dim}, true).clamp(eps, Double.NaN);
    return x.div(norm);
  }

  /**
   * Returns the cosine similarity of {@code x1} and {@code x2} along {@code dim} (shapes broadcast;
   * the dim is removed): {@code sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))}, PyTorch's
   * formulation (each input divided by its norm first, so the result stays in [-1, 1]); as in
   * PyTorch, the clamp to {@code eps} changes values but not the gradient's path through the norms.
   */
  public static Tensor cosineSimilarity(Tensor x1, Tensor x2, int dim, double eps) {
    String op = "cosine_similarity";
    int[] shape = Dispatch.broadcastShapes(op, x1.shapeArray(), x2.shapeArray());
    if (!x1.dtype().isFloatingPoint() && !x2.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": expected a floating input, got " + x1.dtype() + " and "
          + x2.dtype());
    }
    dev.ember.DType t = Dispatch.resultType(x1, x2);
    t = t.isFloatingPoint() ? t : dev.ember.DType.FLOAT32;
    Tensor a = x1.to(t).expand(shape);
    Tensor b = x2.to(t).expand(shape);
    int d = dev.ember.Shape.normalizeDim(dim, shape.length, op);
    return a.div(clampedNorm(a, d, eps)).mul(b.div(clampedNorm(b, d, eps))).sum(d, false);
  }

  /** {@code ||x||} along {@code dim} (kept), raised to {@code eps} in value only. */
  private static Tensor clampedNorm(Tensor x, int dim, double eps) {
    Tensor norm = x.norm(2, new int[] {dim}, true);
    Tensor value = norm.detach();
    return norm.add(value.clamp(eps, Double.NaN).sub(value));
  }

  /**
   * Returns the Kullback-Leibler divergence {@code target (log target - input)} for log-probabilities
   * {@code input} ({@code torch.nn.functional.kl_div}); with {@code logTarget} the target is given as
   * log-probabilities too: {@code e^target (target - input)}. Terms with a zero target are 0.
   *
   * @param reduction {@code "none"}, {@code "mean"} (over all elements), {@code "sum"} or {@code
   *     "batchmean"} (the sum divided by the batch size, the mathematically correct KL divergence)
   */
  public static Tensor klDiv(Tensor input, Tensor target, String reduction, boolean logTarget) {
    String op = "kl_div";
    Dispatch.broadcastShapes(op, input.shapeArray(), target.shapeArray());
    if (!input.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": expected a floating input, got " + input.dtype());
    }
    Tensor t = target.to(input.dtype());
    Tensor loss;
    if (logTarget) {
      loss = t.exp().mul(t.sub(input));
    } else {
      // xlogy(t, t): 0 where t == 0, with a finite gradient there (log of 1, not of 0).
      Tensor safe = Tensor.where(t.eq(0), Tensor.onesLike(t), t);
      loss = t.mul(safe.log()).sub(t.mul(input));
    }
    return switch (reduction) {
      case "none" -> loss;
      case "sum" -> loss.sum();
      case "mean" -> loss.mean();
      case "batchmean" -> input.dim() == 0 ? loss.sum() : loss.sum().div(input.size(0));
      default -> throw new IllegalArgumentException(op + ": reduction must be 'none', 'mean', 'sum' or"
          + " 'batchmean', got '" + reduction + "'");
    };
  }

  // ---------------------------------------------------------------- helpers

  private static Tensor diff(String op, Tensor input, Tensor target) {
    input = Autocasting.full(input);
    target = Autocasting.full(target);
    Dispatch.broadcastShapes(op, input.shapeArray(), target.shapeArray());
    if (!input.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": expected a floating input, got " + input.dtype());
    }
    return input.sub(target);
  }

  private static void sameShape(String op, Tensor input, Tensor target) {
    if (!Arrays.equals(input.shapeArray(), target.shapeArray())) {
      throw new IllegalArgumentException(op + ": target size " + target.shape() + " must be the same as input"
          + " size " + input.shape());
    }
    if (!input.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": expected a floating input, got " + input.dtype());
    }
  }

  /** Applies a {@link Reduction} to per-element losses. */
  static Tensor reduce(Tensor loss, Reduction reduction) {
    return switch (reduction) {
      case NONE -> loss;
      case SUM -> loss.sum();
      case MEAN -> loss.mean();
    };
  }
}
