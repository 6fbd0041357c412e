package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.internal.Autocasting;

/**
 * Classification losses: {@code cross_entropy} and {@code nll_loss}, with PyTorch's options. Both
 * are compositions of differentiable ops, so they carry no gradient code of their own.
 */
public final class Losses {
  private Losses() {}

  /** How a per-element loss is reduced, PyTorch's {@code reduction}. */
  public enum Reduction {
    /** The per-element losses, unreduced. */
    NONE,
    /** The (weighted) mean. */
    MEAN,
    /** The sum. */
    SUM;

    /** Parses PyTorch's spelling: {@code "none"}, {@code "mean"}, {@code "sum"}. */
    public static Reduction parse(String s) {
      return switch (s) {
        case "none" -> NONE;
        case "mean" -> MEAN;
        case "sum" -> SUM;
        default -> throw new IllegalArgumentException("loss: reduction must be 'none', 'mean' or 'sum',"
            + " got '" + s + "'");
      };
    }
  }

  /**
   * Options of {@code cross_entropy} / {@code nll_loss}, with PyTorch's defaults.
   *
   * @param weight per-class weights [C], or null
   * @param ignoreIndex a target value that contributes nothing (default -100)
   * @param reduction how to reduce (default mean)
   * @param labelSmoothing in [0, 1]: mixes the target with the uniform distribution (default 0)
   */
  public record Options(Tensor weight, long ignoreIndex, Reduction reduction, double labelSmoothing) {
    /** Returns PyTorch's defaults: no weight, ignore -100, mean, no smoothing. */
    public static Options defaults() {
      return new Options(null, -100, Reduction.MEAN, 0);
    }

    /** Returns these options with another reduction. */
    public Options withReduction(Reduction r) {
      return new Options(weight, ignoreIndex, r, labelSmoothing);
    }

    /** Returns these options with per-class weights. */
    public Options withWeight(Tensor w) {
      return new Options(w, ignoreIndex, reduction, labelSmoothing);
    }

    /** Returns these options with another ignored target value. */
    public Options withIgnoreIndex(long index) {
      return new Options(weight, index, reduction, labelSmoothing);
    }

    /** Returns these options with label smoothing. */
    public Options withLabelSmoothing(double eps) {
      if (eps < 0 || eps > 1) {
        throw new IllegalArgumentException("cross_entropy: label_smoothing must be in [0, 1], got " + eps);
      }
      return new Options(weight, ignoreIndex, reduction, eps);
    }
  }

  /**
   * Returns the cross-entropy between logits {@code input} ([N, C], [N, C, d1, ...] or [C]; the
   * class dim is 1, or 0 for 1-d input) and {@code target}: int64 class indices ([N, d1, ...]) or
   * floating class probabilities of the input's shape.
   */
  public static Tensor crossEntropy(Tensor input, Tensor target, Options o) {
    input = Autocasting.full(input);
    target = Autocasting.full(target);
    int classDim = input.dim() == 1 ? 0 : 1;
    if (input.dim() == 0) {
      throw new IllegalArgumentException("cross_entropy: input must have at least 1 dim, got a scalar");
    }
    int classes = input.size(classDim);
    if (o.weight() == null && o.labelSmoothing() == 0 && o.reduction() != Reduction.NONE
        && !target.dtype().isFloatingPoint()) {
      Tensor fused = FusedOps.crossEntropy(input, target, o.ignoreIndex(), o.reduction() == Reduction.MEAN);
      if (fused != null) {
        return fused;
      }
    }
    Tensor logp = input.logSoftmax(classDim);
    Tensor w = o.weight() == null ? null : classWeights(o.weight(), input.dim(), classDim, classes);
    if (target.dtype().isFloatingPoint()) {
      if (!java.util.Arrays.equals(target.shapeArray(), input.shapeArray())) {
        throw new IllegalArgumentException("cross_entropy: probability target " + target.shape()
            + " must have the input's shape " + input.shape());
      }
      Tensor p = o.labelSmoothing() > 0
          ? target.mul(1 - o.labelSmoothing()).add(o.labelSmoothing() / classes) : target;
      Tensor terms = logp.mul(p);
      if (w != null) {
        terms = terms.mul(w);
      }
      Tensor perSample = terms.sum(classDim, false).neg();
      return switch (o.reduction()) {
        case NONE -> perSample;
        case SUM -> perSample.sum();
        case MEAN -> perSample.sum().div((double) Math.max(1, perSample.numel()));
      };
    }
    Tensor nll = nllLoss(logp, target, o.withLabelSmoothing(0));
    if (o.labelSmoothing() == 0) {
      return nll;
    }
    Tensor valid = target.ne((double) o.ignoreIndex());
    Tensor terms = w == null ? logp : logp.mul(w);
    Tensor smooth = terms.sum(classDim, false).neg().div((double) classes);
    smooth = smooth.mul(valid.to(smooth.dtype()));
    Tensor smoothReduced = switch (o.reduction()) {
      case NONE -> smooth;
      case SUM -> smooth.sum();
      case MEAN -> smooth.sum().div(meanDenominator(target, o, valid, classes, input.dtype()));
    };
    return nll.mul(1 - o.labelSmoothing()).add(smoothReduced.mul(o.labelSmoothing()));
  }

  private static Tensor classWeights(Tensor weight, int rank, int classDim, int classes) {
    if (weight.dim() != 1 || weight.size(0) != classes) {
      throw new IllegalArgumentException("cross_entropy: weight must be 1-d with " + classes
          + " entries, got " + weight.shape());
    }
    int[] shape = new int[rank];
    java.util.Arrays.fill(shape, 1);
    shape[classDim] = classes;
    return weight.reshape(shape);
  }

  private static Tensor meanDenominator(Tensor target, Options o, Tensor valid, int classes, DType dtype) {
    if (o.weight() == null) {
      return valid.to(dtype).sum();
    }
    Tensor safe = Tensor.where(valid, target, Tensor.zerosLike(target));
    return o.weight().indexSelect(0, safe.reshape(-1)).reshape(target.shapeArray())
        .mul(valid.to(o.weight().dtype())).sum();
  }

  /**
   * Returns the negative log-likelihood of log-probabilities {@code input} ([N, C, ...] or [C]) at
   * int64 {@code target} ([N, ...]); targets equal to {@code ignoreIndex} contribute nothing and the
   * mean divides by the (weighted) count of the others.
   */
  public static Tensor nllLoss(Tensor input, Tensor target, Options o) {
    input = Autocasting.full(input);
    if (target.dtype() != DType.INT64 && target.dtype() != DType.INT32) {
      throw new IllegalArgumentException("nll_loss: target must be int64 class indices, got "
          + target.dtype());
    }
    int classDim = input.dim() == 1 ? 0 : 1;
    int classes = input.size(classDim);
    int[] expected = input.shapeArray();
    int[] expectedTarget = new int[expected.length - 1];
    for (int i = 0, j = 0; i < expected.length; i++) {
      if (i != classDim) {
        expectedTarget[j++] = expected[i];
      }
    }
    if (!java.util.Arrays.equals(expectedTarget, target.shapeArray())) {
      throw new IllegalArgumentException("nll_loss: target " + target.shape() + " doesn't match input "
          + input.shape() + " (expected target shape " + java.util.Arrays.toString(expectedTarget) + ")");
    }
    Tensor t = target.to(DType.INT64);
    Tensor valid = t.ne((double) o.ignoreIndex());
    Tensor safe = Tensor.where(valid, t, Tensor.zerosLike(t));
    long[] extremes = safe.numel() == 0 ? new long[2] : Indexing.extremes(safe);
    long lo = extremes[0];
    long hi = extremes[1];
    if (lo < 0 || hi >= classes) {
      throw new IndexOutOfBoundsException("nll_loss: target " + (lo < 0 ? lo : hi) + " is out of bounds"
          + " for " + classes + " classes");
    }
    Tensor picked = input.gather(classDim, safe.unsqueeze(classDim)).squeeze(classDim).neg();
    Tensor w = valid.to(input.dtype());
    if (o.weight() != null) {
      w = w.mul(o.weight().indexSelect(0, safe.reshape(-1)).reshape(t.shapeArray()));
    }
    Tensor losses = picked.mul(w);
    return switch (o.reduction()) {
      case NONE -> losses;
      case SUM -> losses.sum();
      case MEAN -> losses.sum().div(w.sum());
    };
  }
}
