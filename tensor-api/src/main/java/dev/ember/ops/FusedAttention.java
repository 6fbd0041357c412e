package dev.ember.ops;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.FusedPrimitives;
import dev.ember.spi.Backend;
import dev.ember.spi.Strided;
import java.util.Arrays;

/**
 * Scaled dot-product attention on a backend's fused kernel ({@link Backend#attention}): the forward
 * computes each query row's scores, mask, softmax and weighted sum of values in one pass without
 * materializing the [..., L, S] weights, and saves the output and each row's log-sum-exp; the
 * backward ({@link Backend#attentionBackward}) recomputes the weights from them. Under create-graph
 * (a double backward) the gradient is instead written as Tensor ops over the composed weights of
 * {@link Attention#weights}, so it is itself differentiable.
 */
final class FusedAttention {
  private static final String OP = "scaled_dot_product_attention";

  private FusedAttention() {}

  /**
   * Returns attention of already-checked {@code q} [..., L, E], {@code k} [..., S, E], {@code v}
   * [..., S, Ev] with {@code mask} (null, bool or floating, broadcastable to [..., L, S]) or {@code
   * causal} masking and score scale {@code scale}, recorded with the fused backward; or null where the
   * fused path does not apply (switched off, empty operands, a mask that needs a gradient, shapes the
   * composition must report on, or a backend without the kernel).
   */
  static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale) {
    if (!FusedPrimitives.enabled() || q.numel() == 0 || k.numel() == 0 || v.numel() == 0
        || (mask != null && mask.requiresGrad() && GradMode.isEnabled())
        || !q.device().equals(k.device()) || !q.device().equals(v.device())
        || (mask != null && !mask.device().equals(q.device()))) {
      return null;
    }
    int l = q.size(-2);
    int s = k.size(-2);
    int[] batch;
    try {
      batch = Dispatch.broadcastShapes(OP, lead(q), lead(k));
      batch = Dispatch.broadcastShapes(OP, batch, lead(v));
      if (mask != null) {
        int[] scores = with(batch, l, s);
        if (!Arrays.equals(Dispatch.broadcastShapes(OP, mask.shapeArray(), scores), scores)) {
          return null;
        }
      }
    } catch (IllegalArgumentException e) {
      return null; // the composition raises the error
    }
    if (mask != null && mask.dtype() != DType.BOOL && mask.dtype() != q.dtype()) {
      mask = mask.to(q.dtype());
    }
    Backend backend = q.backend();
    Strided qs = expanded(q, with(batch, l, q.size(-1)));
    Strided ks = expanded(k, with(batch, s, k.size(-1)));
    Strided vs = expanded(v, with(batch, s, v.size(-1)));
    Strided ms = mask == null ? null : expanded(mask, with(batch, l, s));
    boolean grad = GradMode.isEnabled() && (q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
    Tensor out = Dispatch.empty(backend, q.dtype(), with(batch, l, v.size(-1)));
    int[] lseShape = Arrays.copyOf(batch, batch.length + 1);
    lseShape[batch.length] = l;
    Tensor lse = grad ? Dispatch.empty(backend, q.dtype() == DType.FLOAT64 ? DType.FLOAT64 : DType.FLOAT32,
        lseShape) : null;
    if (!backend.attention(qs, ks, vs, ms, causal, scale, out.strided(), lse == null ? null : lse.strided())) {
      out.close();
      if (lse != null) {
        lse.close();
      }
      return null;
    }
    FusedPrimitives.countCall();
    if (!grad) {
      return out;
    }
    Tensor m = mask;
    return Autograd.record(OP, out, new Tensor[] {q, k, v}, new Tensor[] {q, k, v, out, lse},
        g -> backward(q, k, v, m, causal, scale, new Strided[] {qs, ks, vs, ms}, out, lse, g));
  }

  /**
   * The gradients of {@code q}, {@code k}, {@code v} from the incoming {@code g} (out's shape): the
   * fused kernel when nothing records them, else Tensor ops that a double backward differentiates.
   */
  private static Tensor[] backward(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale,
      Strided[] operands, Tensor out, Tensor lse, Tensor g) {
    if (!GradMode.isEnabled() && FusedPrimitives.enabled() && g.dtype() == q.dtype()
        && g.device().equals(q.device())) {
      Backend backend = q.backend();
      Tensor gq = Dispatch.empty(backend, q.dtype(), operands[0].shape());
      Tensor gk = Dispatch.empty(backend, q.dtype(), operands[1].shape());
      Tensor gv = Dispatch.empty(backend, q.dtype(), operands[2].shape());
      if (backend.attentionBackward(operands[0], operands[1], operands[2], operands[3], causal, scale,
          out.strided(), lse.strided(), g.strided(), gq.strided(), gk.strided(), gv.strided())) {
        FusedPrimitives.countCall();
        return new Tensor[] {Reductions.sumTo(gq, q.shapeArray()), Reductions.sumTo(gk, k.shapeArray()),
            Reductions.sumTo(gv, v.shapeArray())};
      }
      gq.close();
      gk.close();
      gv.close();
    }
    return composedBackward(q, k, v, mask, causal, scale, g);
  }

  /**
   * Attention's gradients as Tensor ops over the composed weights {@code p}: {@code gv = p^T g},
   * {@code ds = p (g v^T - rowsum(g v^T p))}, {@code gq = ds k * scale}, {@code gk = ds^T q * scale},
   * each summed to its operand's shape.
   */
  static Tensor[] composedBackward(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal, double scale,
      Tensor g) {
    Tensor p = Attention.weights(q, k, mask, causal, scale);
    Tensor gv = p.transpose(-2, -1).matmul(g);
    Tensor dp = g.matmul(v.transpose(-2, -1));
    Tensor ds = p.mul(dp.sub(dp.mul(p).sum(-1, true)));
    Tensor gq = ds.matmul(k).mul(scale);
    Tensor gk = ds.transpose(-2, -1).matmul(q).mul(scale);
    return new Tensor[] {Reductions.sumTo(gq, q.shapeArray()), Reductions.sumTo(gk, k.shapeArray()),
        Reductions.sumTo(gv, v.shapeArray())};
  }

  /** The dims of {@code x} before its last two. */
  private static int[] lead(Tensor x) {
    return Arrays.copyOf(x.shapeArray(), x.dim() - 2);
  }

  /** {@code batch} followed by {@code a} and {@code b}. */
  private static int[] with(int[] batch, int a, int b) {
    int[] shape = Arrays.copyOf(batch, batch.length + 2);
    shape[batch.length] = a;
    shape[batch.length + 1] = b;
    return shape;
  }

  /**
   * {@code x}'s strided view broadcast to {@code shape} (dims aligned from the right, stride 0 where
   * {@code x} has size 1 or lacks the dim), without recording anything.
   */
  private static Strided expanded(Tensor x, int[] shape) {
    Strided st = x.strided();
    int[] strides = new int[shape.length];
    int shift = shape.length - st.rank();
    for (int i = 0; i < shape.length; i++) {
      int d = i - shift;
      strides[i] = d < 0 || (st.shape()[d] == 1 && shape[i] != 1) ? 0 : st.strides()[d];
    }
    return new Strided(st.storage(), st.dtype(), shape, strides, st.offset());
  }
}
