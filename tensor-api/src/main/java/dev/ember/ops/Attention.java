package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.internal.Autocasting;
import java.util.Arrays;

/**
 * Attention: {@code scaled_dot_product_attention}. Where the backend has a fused kernel (and
 * dropout is off) it runs as one op ({@link FusedAttention}); otherwise, and for its double backward,
 * it is PyTorch's reference ("math") implementation, a composition of matmul, softmax and masking,
 * whose gradient comes from those ops on every backend.
 */
public final class Attention {
  private Attention() {}

  /**
   * Returns {@code softmax(q k^T * scale + mask) v}. A query row whose keys are all masked gets a
   * zero output row and zero gradients (PyTorch's {@code _safe_softmax}), not NaN.
   *
   * @param q queries [..., L, E]
   * @param k keys [..., S, E]
   * @param v values [..., S, Ev]; leading (batch, head) dims of q, k, v broadcast
   * @param attnMask null, a bool mask (true = may attend) or a floating mask added to the scores,
   *     broadcastable to [..., L, S]
   * @param dropoutP probability of dropping an attention weight (applied whenever positive, as in
   *     PyTorch's functional form); draws from the global generator
   * @param isCausal mask out keys after each query (top-left aligned, {@code j > i}); not combinable
   *     with {@code attnMask}
   * @param scale the score scale, or null for {@code 1 / sqrt(E)}
   * @return [..., L, Ev]
   */
  public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, double dropoutP,
      boolean isCausal, Double scale) {
    String op = "scaled_dot_product_attention";
    q = Autocasting.lower(q);
    k = Autocasting.lower(k);
    v = Autocasting.lower(v);
    attnMask = Autocasting.lower(attnMask);
    if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) {
      throw new IllegalArgumentException(op + ": q, k and v need at least 2 dims [..., L, E], got " + q.shape()
          + ", " + k.shape() + ", " + v.shape());
    }
    if (q.size(-1) != k.size(-1)) {
      throw new IllegalArgumentException(op + ": query " + q.shape() + " and key " + k.shape()
          + " must have the same embedding size (last dim)");
    }
    if (k.size(-2) != v.size(-2)) {
      throw new IllegalArgumentException(op + ": key " + k.shape() + " and value " + v.shape()
          + " must have the same sequence length (dim -2)");
    }
    if (!q.dtype().isFloatingPoint() || q.dtype() != k.dtype() || q.dtype() != v.dtype()) {
      throw new IllegalArgumentException(op + ": q, k and v must share one floating dtype, got " + q.dtype()
          + ", " + k.dtype() + ", " + v.dtype());
    }
    if (isCausal && attnMask != null) {
      throw new IllegalArgumentException(op + ": explicit attn_mask should not be set when is_causal=true");
    }
    if (dropoutP < 0 || dropoutP > 1) {
      throw new IllegalArgumentException(op + ": dropout_p must be in [0, 1], got " + dropoutP);
    }
    double sc = scale != null ? scale : 1 / Math.sqrt(q.size(-1));
    if (dropoutP == 0) {
      Tensor fused = FusedAttention.attention(q, k, v, attnMask, isCausal, sc);
      if (fused != null) {
        return fused;
      }
    }
    Tensor weights = weights(q, k, attnMask, isCausal, sc);
    if (dropoutP > 0) {
      weights = Activations.dropout(weights, dropoutP, true, Generator.global());
    }
    return weights.matmul(v);
  }

  /**
   * Returns the attention weights {@code softmax(q k^T * scale + mask)} [..., L, S] as a composition
   * of differentiable ops (the "math" path, and what {@link FusedAttention}'s backward differentiates
   * under create-graph); a query whose keys are all masked gets zero weights.
   */
  static Tensor weights(Tensor q, Tensor k, Tensor attnMask, boolean isCausal, double sc) {
    String op = "scaled_dot_product_attention";
    int l = q.size(-2);
    int s = k.size(-2);
    Tensor scores = q.matmul(k.transpose(-2, -1)).mul(sc);
    if (isCausal) {
      Tensor rows = Tensor.arange(l).to(q.device()).unsqueeze(1);
      Tensor cols = Tensor.arange(s).to(q.device()).unsqueeze(0);
      scores = Tensor.where(cols.le(rows), scores, Creation.scalarLike(scores, Double.NEGATIVE_INFINITY));
    } else if (attnMask != null) {
      int[] target = scores.shapeArray();
      try {
        dev.ember.internal.Dispatch.broadcastShapes(op, attnMask.shapeArray(), target);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(op + ": attn_mask " + attnMask.shape()
            + " doesn't broadcast to the scores' shape " + Arrays.toString(target), e);
      }
      if (attnMask.dtype() == DType.BOOL) {
        scores = Tensor.where(attnMask, scores, Creation.scalarLike(scores, Double.NEGATIVE_INFINITY));
      } else {
        scores = scores.add(attnMask.to(scores.dtype()));
      }
    }
    // A query whose keys are all masked gets weights 0 (output and gradients 0), as in PyTorch;
    // short of infinite inputs only a mask can make a row all -inf (causal: every query sees key 0).
    return attnMask != null ? Activations.safeSoftmax(scores, -1) : scores.softmax(-1);
  }

  /** Returns {@code scaledDotProductAttention(q, k, v, null, 0, isCausal, null)}. */
  public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean isCausal) {
    return scaledDotProductAttention(q, k, v, null, 0, isCausal, null);
  }
}
