package dev.ember.nn;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.GradAccess;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient clipping, PyTorch's {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}.
 */
public final class Clip {
  private Clip() {}

  /**
   * Scales the gradients of {@code params} in place so that their joint {@code normType}-norm is
   * at most {@code maxNorm}; parameters without a gradient are skipped.
   *
   * <p>As in PyTorch the total norm is the norm of the per-tensor norms, and every gradient is
   * multiplied by {@code min(1, maxNorm / (total + 1e-6))}.
   *
   * @param normType the p of the norm ({@code 2} usually; {@code Double.POSITIVE_INFINITY} for max)
   * @return the total norm before clipping (0 if no parameter has a gradient; may be NaN or
   *     infinite, in which case the gradients become NaN, as in PyTorch)
   */
  public static double clipGradNorm(Iterable<Tensor> params, double maxNorm, double normType) {
    List<Tensor> grads = new ArrayList<>();
    for (Tensor p : params) {
      Tensor g = GradAccess.peek(p);   // kept for this call only
      if (g != null) {
        grads.add(g);
      }
    }
    if (grads.isEmpty()) {
      return 0;
    }
    try (GradMode off = GradMode.noGrad()) {
      double total;
      if (Double.isInfinite(normType)) {
        total = 0;
        for (Tensor g : grads) {
          double m = g.abs().amax().item();
          total = Double.isNaN(m) || Double.isNaN(total) ? Double.NaN : Math.max(total, m);
        }
      } else {
        double acc = 0;
        for (Tensor g : grads) {
          acc += Math.pow(g.norm(normType, null, false).item(), normType);
        }
        total = Math.pow(acc, 1 / normType);
      }
      double coef = Math.min(1.0, maxNorm / (total + 1e-6));
      for (Tensor g : grads) {
        g.mulInPlace(coef);
      }
      return total;
    }
  }

  /** Clips with the 2-norm; see {@link #clipGradNorm(Iterable, double, double)}. */
  public static double clipGradNorm(Iterable<Tensor> params, double maxNorm) {
    return clipGradNorm(params, maxNorm, 2);
  }

  /** Clamps every gradient of {@code params} in place to {@code [-clipValue, clipValue]}. */
  public static void clipGradValue(Iterable<Tensor> params, double clipValue) {
    if (!(clipValue >= 0)) {
      throw new IllegalArgumentException("clip_grad_value_: clip value must be non-negative, got " + clipValue);
    }
    try (GradMode off = GradMode.noGrad()) {
      for (Tensor p : params) {
        Tensor g = GradAccess.peek(p);
        if (g != null) {
          g.clampInPlace(-clipValue, clipValue);
        }
      }
    }
  }
}
