package dev.ember.ops;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.FusedPrimitives;
import dev.ember.spi.Backend;

/**
 * The calls into the backends' optional fused row kernels (softmax, log-softmax, layer norm; see
 * the last block of {@link Backend}) and activation gradients ({@link Backend#unaryBackward}). Each
 * method returns null where the fused path does not apply (the switch {@link FusedPrimitives} is
 * off, the dim is not the last one, the backend has no kernel, or, for a backward, the gradient
 * itself is being recorded for a double backward), and the op then runs its composition of
 * primitives.
 */
final class FusedOps {
  private FusedOps() {}

  /** Softmax or log-softmax of floating {@code x} along its last dim {@code d}, or null. */
  static Tensor softmax(Tensor x, int d, boolean log) {
    if (!FusedPrimitives.enabled() || d != x.dim() - 1 || x.numel() == 0) {
      return null;
    }
    Tensor xc = Dispatch.contiguous(x);
    Backend backend = xc.backend();
    Tensor out = Dispatch.empty(backend, xc.dtype(), xc.shapeArray());
    if (!backend.softmax(xc.strided(), log, out.strided())) {
      out.close();
      return null;
    }
    return out;
  }

  /**
   * The gradient of softmax (or log-softmax) along the last dim {@code d} from its output {@code y}
   * and incoming gradient {@code g}, or null (then the caller's Tensor formula runs, which is what a
   * double backward differentiates).
   */
  static Tensor softmaxBackward(Tensor y, Tensor g, int d, boolean log) {
    if (!FusedPrimitives.enabled() || GradMode.isEnabled() || d != y.dim() - 1 || y.numel() == 0
        || g.dtype() != y.dtype() || !g.device().equals(y.device())) {
      return null;
    }
    Tensor gc = rowGradient(g);
    Backend backend = y.backend();
    Tensor out = Dispatch.empty(backend, y.dtype(), y.shapeArray());
    if (!backend.softmaxBackward(y.strided(), gc.strided(), log, out.strided())) {
      out.close();
      return null;
    }
    return out;
  }

  /**
   * Returns a row kernel's gradient operand: {@code g} itself if it is contiguous or one value
   * broadcast (every stride 0, as the backward of {@code sum()} sends it; the kernels read that value
   * without a copy), else a contiguous copy.
   */
  private static Tensor rowGradient(Tensor g) {
    for (int stride : g.strided().strides()) {
      if (stride != 0) {
        return Dispatch.contiguous(g);
      }
    }
    return g;
  }

  /**
   * The gradient of an elementwise activation from its output {@code y} and incoming gradient {@code
   * g} in one backend pass ({@link Backend#unaryBackward}), or null where that does not apply: {@link
   * FusedPrimitives} is off, the gradient itself is being recorded (a double backward differentiates
   * the caller's Tensor formula), or {@code g} differs from {@code y} in dtype, device or shape.
   */
  static Tensor unaryBackward(dev.ember.spi.UnaryBackwardOp op, Tensor y, Tensor g) {
    if (!FusedPrimitives.enabled() || GradMode.isEnabled() || g.dtype() != y.dtype() || !y.dtype().isFloatingPoint()
        || !g.device().equals(y.device()) || !java.util.Arrays.equals(g.shapeArray(), y.shapeArray())) {
      return null;
    }
    Tensor out = Dispatch.empty(y.backend(), y.dtype(), y.shapeArray());
    y.backend().unaryBackward(op, y.strided(), g.strided(), out.strided());
    FusedPrimitives.countCall();
    return out;
  }

  /**
   * Layer norm of floating {@code x} over its last dim (size {@code dim}) with optional affine
   * {@code weight} and {@code bias} ([dim], x's dtype and device), recorded with the fused backward;
   * or null. The backward of the returned tensor uses the fused kernel too, or, when a double
   * backward records it, the closed-form gradient as Tensor ops.
   */
  static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
    if (!FusedPrimitives.enabled() || x.numel() == 0 || (weight != null && weight.dtype() != x.dtype())
        || (bias != null && bias.dtype() != x.dtype())) {
      return null;
    }
    Tensor xc = Dispatch.contiguous(x);
    Tensor w = weight == null ? null : Dispatch.contiguous(weight);
    Tensor b = bias == null ? null : Dispatch.contiguous(bias);
    Backend backend = Dispatch.backendOf("layer_norm", w == null ? xc : w, b == null ? xc : b, xc);
    int dim = x.size(-1);
    int rows = (int) (x.numel() / dim);
    Tensor out = Dispatch.empty(backend, x.dtype(), x.shapeArray());
    Tensor mean = Dispatch.empty(backend, x.dtype(), new int[] {rows, 1});
    Tensor rstd = Dispatch.empty(backend, x.dtype(), new int[] {rows, 1});
    if (!backend.layerNorm(xc.strided(), w == null ? null : w.strided(), b == null ? null : b.strided(), eps,
        out.strided(), mean.strided(), rstd.strided())) {
      out.close();
      mean.close();
      rstd.close();
      return null;
    }
    return dev.ember.Autograd.record("layer_norm", out, new Tensor[] {x, weight, bias},
        w == null ? new Tensor[] {xc, mean, rstd} : new Tensor[] {xc, mean, rstd, w}, g -> layerNormBackward(xc, mean, rstd, w, b != null, g, eps));
  }

  private static Tensor[] layerNormBackward(Tensor x, Tensor mean, Tensor rstd, Tensor w, boolean hasBias, Tensor g,
      double eps) {
    int dim = x.size(-1);
    if (!GradMode.isEnabled() && FusedPrimitives.enabled() && g.dtype() == x.dtype()) {
      Backend backend = x.backend();
      Tensor gc = rowGradient(g);
      Tensor gx = Dispatch.empty(backend, x.dtype(), x.shapeArray());
      Tensor gw = w == null ? null : Dispatch.empty(backend, x.dtype(), new int[] {dim});
      Tensor gb = hasBias ? Dispatch.empty(backend, x.dtype(), new int[] {dim}) : null;
      if (backend.layerNormBackward(x.strided(), mean.strided(), rstd.strided(), w == null ? null : w.strided(),
          gc.strided(), gx.strided(), gw == null ? null : gw.strided(), gb == null ? null : gb.strided())) {
        return new Tensor[] {gx, gw, gb};
      }
    }
    // The closed form as Tensor ops, with the statistics recomputed from x so that a double backward
    // differentiates them too: gx = rstd (gy - mean(gy) - xhat mean(gy xhat)), gy = g w.
    Tensor x2 = x.reshape(-1, dim);
    Tensor g2 = g.reshape(-1, dim);
    Tensor mu = x2.mean(1, true);
    Tensor centered = x2.sub(mu);
    Tensor rs = centered.square().mean(1, true).add(eps).rsqrt();
    Tensor xhat = centered.mul(rs);
    Tensor gy = w == null ? g2 : g2.mul(w);
    Tensor gx = rs.mul(gy.sub(gy.mean(1, true)).sub(xhat.mul(gy.mul(xhat).mean(1, true))));
    Tensor gw = w == null ? null : g2.mul(xhat).sum(0, false);
    Tensor gb = hasBias ? g2.sum(0, false) : null;
    return new Tensor[] {gx.reshape(x.shapeArray()), gw, gb};
  }

  /**
   * Cross-entropy of logits {@code x} [N, C] against int64 class indices {@code target} [N], mean
   * (over rows whose target is not {@code ignoreIndex}) or sum, without class weights or label
   * smoothing; recorded with the fused backward ({@code scale * (softmax - onehot)}), or, when a
   * double backward records it, that formula as Tensor ops of {@code x}. Returns null where the fused
   * path does not apply.
   */
  static Tensor crossEntropy(Tensor x, Tensor target, long ignoreIndex, boolean mean) {
    if (!FusedPrimitives.enabled() || x.dim() != 2 || target.dim() != 1 || target.dtype() != dev.ember.DType.INT64
        || !x.dtype().isFloatingPoint() || !target.device().equals(x.device()) || x.size(0) != target.size(0)) {
      return null;
    }
    Tensor xc = Dispatch.contiguous(x);
    Tensor tc = Dispatch.contiguous(target);
    Backend backend = xc.backend();
    Tensor logp = Dispatch.empty(backend, x.dtype(), x.shapeArray());
    Tensor sums = Dispatch.empty(backend, x.dtype(), new int[] {2});
    if (!backend.crossEntropy(xc.strided(), tc.strided(), ignoreIndex, logp.strided(), sums.strided())) {
      logp.close();
      sums.close();
      return null;
    }
    double[] s = sums.toDoubleArray();
    sums.close();
    double count = s[1];
    Tensor loss = Tensor.full(dev.ember.Shape.scalar(), mean ? s[0] / count : s[0], x.dtype(), x.device());
    return dev.ember.Autograd.record("cross_entropy", loss, new Tensor[] {x}, new Tensor[] {logp, x}, g -> {
      double scale = mean ? 1 / count : 1;
      if (!GradMode.isEnabled() && FusedPrimitives.enabled() && g.numel() == 1) {
        Tensor gx = Dispatch.empty(backend, x.dtype(), x.shapeArray());
        if (backend.crossEntropyBackward(logp.strided(), tc.strided(), ignoreIndex, g.item() * scale, gx.strided())) {
          return new Tensor[] {gx};
        }
        gx.close();
      }
      Tensor valid = tc.ne((double) ignoreIndex).unsqueeze(1).to(x.dtype());
      Tensor onehot = Tensor.arange(0, x.size(1), 1, dev.ember.DType.INT64).to(x.device())
          .eq(tc.unsqueeze(1)).to(x.dtype());
      Tensor probs = x.softmax(1);
      return new Tensor[] {probs.sub(onehot).mul(valid).mul(g.mul(scale))};
    });
  }
}
