package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.FusedPrimitives;
import dev.ember.ops.Convolution.Window;
import dev.ember.spi.Backend;
import dev.ember.spi.ConvParams;

/**
 * A 2-d convolution through the backend's fused primitives ({@link Backend#conv2d} and its two
 * backward passes), forward and backward side by side. {@link Convolution} tries this first and
 * composes the op (im2col and a matrix product) when it returns null: fused primitives switched off,
 * or a backend that lacks or declines them.
 *
 * <p>The gradients are written once, here, as the composition's own: {@link #inputGrad} (columns =
 * W^T g, then col2im) and {@link #weightGrad} (g times the im2col columns). The backward pass calls the
 * backend's backward primitives instead when no graph of the gradient is being built and the backend
 * has them; otherwise (double backward, or a declined call) these differentiable formulas run.
 */
final class FusedConvolution {
  private FusedConvolution() {}

  /**
   * Returns the convolution [N, O, oh, ow] of {@code x4} [N, C, H, W] with {@code w4} [O, C / groups,
   * kh, kw] plus {@code bias} [O] or null, computed by the backend's fused primitive, or null if the
   * caller should compose it. Operands are already checked; {@code pad} is (top, bottom, left, right).
   */
  static Tensor conv2d(Tensor x4, Tensor w4, Tensor bias, Window g, int[] pad, int groups) {
    if (!FusedPrimitives.enabled()) {
      return null;
    }
    int n = x4.size(0);
    int h = x4.size(2);
    int w = x4.size(3);
    int o = w4.size(0);
    int oh = g.count(h + pad[0] + pad[1], true);
    int ow = g.count(w + pad[2] + pad[3], false);
    if (oh <= 0 || ow <= 0 || x4.numel() == 0 || w4.numel() == 0) {
      return null;   // the composition reports the error or handles the empty case
    }
    Backend backend = x4.backend();
    ConvParams p = new ConvParams(g.sh(), g.sw(), pad[0], pad[1], pad[2], pad[3], g.dh(), g.dw(), groups);
    Tensor xc;
    Tensor wc;
    Tensor bc;
    try (GradMode off = GradMode.noGrad()) {
      xc = x4.contiguous();
      wc = w4.contiguous();
      bc = bias == null ? null : bias.contiguous();
    }
    Tensor out = Dispatch.empty(backend, x4.dtype(), new int[] {n, o, oh, ow});
    if (!backend.conv2d(xc.strided(), wc.strided(), bc == null ? null : bc.strided(), p, out.strided())) {
      out.close();
      return null;
    }
    FusedPrimitives.countCall();
    return record("conv2d", out, new Tensor[] {x4, w4, bias}, new Tensor[] {x4, w4},
        grad -> backward(grad, xc, wc, x4, w4, bias, g, pad, p));
  }

  /**
   * The gradients of {@link #conv2d} for (x4, w4, bias): each from the backend's primitive where it
   * computes it, else from the formulas below.
   */
  private static Tensor[] backward(Tensor grad, Tensor xc, Tensor wc, Tensor x4, Tensor w4, Tensor bias,
      Window g, int[] pad, ConvParams p) {
    boolean needX = x4.requiresGrad();
    boolean needW = w4.requiresGrad();
    boolean needB = bias != null && bias.requiresGrad();
    Tensor gx = null;
    Tensor gw = null;
    Tensor gb = null;
    if (!GradMode.isEnabled() && FusedPrimitives.enabled()) {   // no graph of the gradient is built
      Backend backend = grad.backend();
      Tensor gc = grad.contiguous();
      if (needX) {
        gx = Dispatch.empty(backend, x4.dtype(), x4.shapeArray());
        gx = fusedOrNull(backend.conv2dBackwardData(gc.strided(), wc.strided(), p, gx.strided()), gx);
      }
      if (needW || needB) {
        gw = Dispatch.empty(backend, w4.dtype(), w4.shapeArray());
        gb = needB ? Dispatch.empty(backend, bias.dtype(), bias.shapeArray()) : null;
        boolean ok = backend.conv2dBackwardWeights(xc.strided(), gc.strided(), p, gw.strided(),
            gb == null ? null : gb.strided());
        gw = fusedOrNull(ok, gw);
        if (!ok && gb != null) {
          gb.close();
          gb = null;
        }
        if (!needW && gw != null) {
          gw.close();
          gw = null;
        }
      }
    }
    return new Tensor[] {
        gx != null || !needX ? gx : inputGrad(grad, w4, g, pad, p.groups(), x4.size(2), x4.size(3)),
        gw != null || !needW ? gw : weightGrad(grad, x4, w4, g, pad, p.groups()),
        gb != null || !needB ? gb : grad.sum(new int[] {0, 2, 3}, false)};
  }

  /** Returns {@code t} if the backend computed it (counting the call), else frees it and returns null. */
  private static Tensor fusedOrNull(boolean computed, Tensor t) {
    if (computed) {
      FusedPrimitives.countCall();
      return t;
    }
    t.close();
    return null;
  }

  /**
   * Returns the input gradient [N, C, H, W] of a convolution from {@code grad} [N, O, oh, ow] and
   * {@code w4} [O, C / groups, kh, kw]: columns = W^T g per group, summed back into place by col2im,
   * the padding cut off. Differentiable in {@code grad} and {@code w4}.
   */
  static Tensor inputGrad(Tensor grad, Tensor w4, Window g, int[] pad, int groups, int h, int w) {
    int n = grad.size(0);
    int o = grad.size(1);
    int oh = grad.size(2);
    int ow = grad.size(3);
    int c = w4.size(1) * groups;
    int k = w4.size(1) * g.kh() * g.kw();
    Tensor g3 = grad.permute(1, 0, 2, 3).reshape(groups, o / groups, n * oh * ow);
    Tensor cols = w4.reshape(groups, o / groups, k).transpose(1, 2).matmul(g3);   // [groups, k, N oh ow]
    Tensor c6 = cols.reshape(c, g.kh(), g.kw(), n, oh, ow).permute(3, 0, 1, 2, 4, 5);
    Tensor full = Convolution.foldWindows(c6, h + pad[0] + pad[1], w + pad[2] + pad[3], g);
    return full.narrow(2, pad[0], h).narrow(3, pad[2], w);
  }

  /**
   * Returns the weight gradient [O, C / groups, kh, kw] of a convolution from {@code grad} [N, O, oh,
   * ow] and its input {@code x4}: g times the im2col columns of the padded input, per group.
   * Differentiable in {@code grad} and {@code x4}.
   */
  static Tensor weightGrad(Tensor grad, Tensor x4, Tensor w4, Window g, int[] pad, int groups) {
    int n = grad.size(0);
    int o = grad.size(1);
    int oh = grad.size(2);
    int ow = grad.size(3);
    int k = w4.size(1) * g.kh() * g.kw();
    Tensor g3 = grad.permute(1, 0, 2, 3).reshape(groups, o / groups, n * oh * ow);
    Tensor xp = Convolution.padSpatial(x4, pad);
    Tensor cols = Convolution.windows(xp, g, oh, ow).permute(1, 2, 3, 0, 4, 5).reshape(groups, k, n * oh * ow);
    return g3.matmul(cols.transpose(1, 2)).reshape(w4.shapeArray());
  }
}
