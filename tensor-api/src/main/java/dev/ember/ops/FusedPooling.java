package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.FusedPrimitives;
import dev.ember.spi.Backend;
import dev.ember.spi.PoolParams;
import java.util.function.UnaryOperator;

/**
 * 2-d max and average pooling through the backend's fused primitives ({@link Backend#maxPool2d},
 * {@link Backend#avgPool2d} and their backward passes), forward and backward side by side. {@link
 * Pooling} tries these first and composes the op when they return null.
 *
 * <p>The gradient is written once, as the composition's: when the backend has no backward primitive
 * for a call, or a graph of the gradient is being built (double backward), the composition runs on a
 * detached copy of the input and its gradient is taken. Both poolings' input gradients are linear in
 * the output gradient and do not depend on the input's values beyond the choice of each window's
 * maximum, so the detached input gives the exact (and differentiable in the output gradient) result.
 */
final class FusedPooling {
  private FusedPooling() {}

  /**
   * Returns the max pooling [N, C, oh, ow] of {@code x4} [N, C, H, W] computed by the backend's fused
   * primitive, or null if the caller should compose it.
   *
   * @param composed the composition, applied to a [N, C, H, W] input; used for gradients the
   *     backend does not compute
   */
  static Tensor maxPool2d(Tensor x4, PoolParams p, int oh, int ow, UnaryOperator<Tensor> composed) {
    if (!applies(x4, p, oh, ow)) {
      return null;
    }
    Backend backend = x4.backend();
    Tensor xc = contiguous(x4);
    int[] outShape = {x4.size(0), x4.size(1), oh, ow};
    Tensor out = Dispatch.empty(backend, x4.dtype(), outShape);
    Tensor workspace = Dispatch.empty(backend, DType.INT64, outShape);
    if (!backend.maxPool2d(xc.strided(), p, out.strided(), workspace.strided())) {
      out.close();
      workspace.close();
      return null;
    }
    FusedPrimitives.countCall();
    return record("max_pool2d", out, new Tensor[] {x4}, new Tensor[] {x4}, grad -> {
      if (!GradMode.isEnabled() && FusedPrimitives.enabled()) {
        Tensor gx = Dispatch.empty(backend, x4.dtype(), x4.shapeArray());
        if (backend.maxPool2dBackward(grad.contiguous().strided(), workspace.strided(), p, gx.strided())) {
          FusedPrimitives.countCall();
          return new Tensor[] {gx};
        }
        gx.close();
      }
      return new Tensor[] {composedGrad(grad, x4, composed)};
    });
  }

  /**
   * Returns the average pooling [N, C, oh, ow] of {@code x4} [N, C, H, W] computed by the backend's
   * fused primitive, or null if the caller should compose it. The divisor is {@code kh * kw} with
   * {@code countIncludePad}, else the number of input elements in the window.
   *
   * @param composed the composition, applied to a [N, C, H, W] input; used for gradients the
   *     backend does not compute
   */
  static Tensor avgPool2d(Tensor x4, PoolParams p, boolean countIncludePad, int oh, int ow,
      UnaryOperator<Tensor> composed) {
    if (!applies(x4, p, oh, ow)) {
      return null;
    }
    Backend backend = x4.backend();
    Tensor xc = contiguous(x4);
    Tensor out = Dispatch.empty(backend, x4.dtype(), new int[] {x4.size(0), x4.size(1), oh, ow});
    if (!backend.avgPool2d(xc.strided(), p, countIncludePad, out.strided())) {
      out.close();
      return null;
    }
    FusedPrimitives.countCall();
    return record("avg_pool2d", out, new Tensor[] {x4}, grad -> {
      if (!GradMode.isEnabled() && FusedPrimitives.enabled()) {
        Tensor gx = Dispatch.empty(backend, x4.dtype(), x4.shapeArray());
        if (backend.avgPool2dBackward(grad.contiguous().strided(), p, countIncludePad, gx.strided())) {
          FusedPrimitives.countCall();
          return new Tensor[] {gx};
        }
        gx.close();
      }
      return new Tensor[] {composedGrad(grad, x4, composed)};
    });
  }

  /** Whether the fused path may be tried: switched on, non-empty, and the backend's size rule agrees. */
  private static boolean applies(Tensor x4, PoolParams p, int oh, int ow) {
    return p != null && FusedPrimitives.enabled() && x4.numel() > 0
        && (x4.size(2) + p.padTop() + p.padBottom() - p.kernelH()) / p.strideH() + 1 == oh
        && (x4.size(3) + p.padLeft() + p.padRight() - p.kernelW()) / p.strideW() + 1 == ow;
  }

  private static Tensor contiguous(Tensor x) {
    try (GradMode off = GradMode.noGrad()) {
      return x.contiguous();
    }
  }

  /**
   * Returns the composition's input gradient for output gradient {@code grad}, taken on a detached
   * copy of {@code x4}; differentiable in {@code grad} when a graph is being built.
   */
  private static Tensor composedGrad(Tensor grad, Tensor x4, UnaryOperator<Tensor> composed) {
    boolean createGraph = GradMode.isEnabled();
    try (FusedPrimitives.Suspension s = FusedPrimitives.suspend(); GradMode on = GradMode.enableGrad()) {
      Tensor xd = x4.detach().requiresGrad(true);
      Tensor y = composed.apply(xd);
      return Autograd.grad(new Tensor[] {y}, new Tensor[] {xd}, new Tensor[] {grad}, false, createGraph,
          false)[0];
    }
  }
}
