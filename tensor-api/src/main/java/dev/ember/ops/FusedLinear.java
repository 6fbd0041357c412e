package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.FusedPrimitives;
import dev.ember.spi.Backend;
import dev.ember.spi.Strided;

/**
 * A Linear layer with a bias through the backend's fused primitives ({@link Backend#linear}: the
 * product and the bias in one pass; {@link Backend#linearBiasGrad}: the bias gradient), forward and
 * backward side by side. {@link Linalg#linear} tries this first and composes the op (the product,
 * then a broadcast add whose backward sums the gradient over the rows) when it returns null: fused
 * primitives switched off, a bias that is not a [out] vector of x's dtype, or a backend that lacks or
 * declines the call.
 *
 * <p>The gradients are the composition's: {@link Linalg#linearGrads} for x and the weight, the sum
 * over rows for the bias, which the backend's primitive computes when no graph of the gradient is
 * being built (otherwise, for a double backward, {@code sum} runs and is recorded).
 */
final class FusedLinear {
  private FusedLinear() {}

  /**
   * Returns {@code x2 @ weight^T + bias} allocated as {@code shape} (any shape of N * out elements)
   * for {@code x2} [N, in], {@code weight} [out, in] (checked by the caller) and {@code bias}, computed
   * by the backend's fused primitive and recorded with its backward, or null if the caller should
   * compose it.
   */
  static Tensor forward(Tensor x2, Tensor weight, Tensor bias, int[] shape) {
    int n = x2.size(0);
    int in = x2.size(1);
    int out = weight.size(0);
    if (!FusedPrimitives.enabled() || bias.dim() != 1 || bias.size(0) != out || bias.dtype() != x2.dtype()
        || !bias.device().equals(x2.device()) || in == 0 || (long) n * out == 0) {
      return null;
    }
    Backend backend = x2.backend();
    Tensor bc = Dispatch.contiguous(bias);
    Tensor y = Dispatch.empty(backend, x2.dtype(), shape);
    if (!backend.linear(x2.strided(), weight.strided(), bc.strided(),
        Strided.contiguous(y.strided().storage(), n, out))) {
      y.close();
      return null;
    }
    FusedPrimitives.countCall();
    return record("linear", y, new Tensor[] {x2, weight, bias}, new Tensor[] {x2, weight}, g -> {
      Tensor g2 = g.dim() == 2 ? g : g.reshape(n, out);
      Tensor[] xw = Linalg.linearGrads(x2, weight, g2);
      return new Tensor[] {xw[0], xw[1], bias.requiresGrad() ? biasGrad(g2) : null};
    });
  }

  /** The bias gradient: {@code g2} [N, out] summed over its rows, on the backend's primitive where it runs. */
  private static Tensor biasGrad(Tensor g2) {
    if (!GradMode.isEnabled() && FusedPrimitives.enabled() && g2.strided().isContiguous()) {
      Tensor db = Dispatch.empty(g2.backend(), g2.dtype(), new int[] {g2.size(1)});
      if (g2.backend().linearBiasGrad(g2.strided(), db.strided())) {
        FusedPrimitives.countCall();
        return db;
      }
      db.close();
    }
    return g2.sum(new int[] {0}, false);
  }
}
