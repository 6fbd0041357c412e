package dev.ember.nn;

import dev.ember.DType;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import dev.ember.ops.Attention;
import dev.ember.ops.Linalg;
import java.util.Arrays;

/**
 * Multi-head attention, PyTorch's {@code nn.MultiheadAttention} (key and value dims equal to
 * {@code embedDim}; no {@code bias_k}/{@code bias_v}/{@code add_zero_attn}).
 *
 * <p>Shapes: query [L, N, E], key and value [S, N, E] ([N, L, E] and [N, S, E] if batch-first;
 * unbatched [L, E], [S, E]); output like the query; weights [N, L, S] averaged over heads, or [N,
 * heads, L, S]. Parameters as in PyTorch: {@code in_proj_weight} [3E, E] (Xavier uniform), {@code
 * in_proj_bias} [3E] (zeros), and the child {@code out_proj}, a {@link Linear} (E, E) whose bias
 * starts at zero.
 *
 * <p>Masks, as in PyTorch: {@code keyPaddingMask} [N, S] (or [S] unbatched), true marks a padded
 * key to ignore; {@code attnMask} [L, S] or [N * heads, L, S], bool (true = not allowed to attend)
 * or floating (added to the scores). A query that may attend to no key gets zero weights, so a
 * zero attention output (before {@code out_proj}'s bias) and zero gradients, as PyTorch's
 * {@code scaled_dot_product_attention} path ({@code need_weights=False}) gives; PyTorch's
 * {@code need_weights=True} path gives NaN there, Ember gives the zeros in both.
 *
 * <p>Without weights ({@code needWeights} false) and without dropout, the forward runs {@link
 * dev.ember.ops.Attention#scaledDotProductAttention} with the masks merged into one additive mask,
 * so a backend's fused attention kernel serves it, as PyTorch's fast path does.
 */
public class MultiheadAttention extends Module {
  private final int embedDim;
  private final int numHeads;
  private final double dropout;
  private final boolean batchFirst;
  private final Generator generator;

  /**
   * The result of a forward pass.
   *
   * @param output the attended values, shaped like the query
   * @param weights the attention weights, or null if not requested
   */
  public record Output(Tensor output, Tensor weights) {}

  /** Creates sequence-first attention with biases and no dropout. */
  public MultiheadAttention(int embedDim, int numHeads) {
    this(embedDim, numHeads, 0, true, false, null);
  }

  /**
   * Creates attention with every supported option.
   *
   * @param dropout the probability of dropping an attention weight (training only)
   * @param bias whether the input and output projections have biases
   * @param batchFirst whether inputs are [N, L, E] instead of [L, N, E]
   * @param generator the initializer's and dropout's generator, or null for the global one
   */
  public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean bias, boolean batchFirst,
      Generator generator) {
    if (numHeads <= 0 || embedDim % numHeads != 0) {
      throw new IllegalArgumentException("MultiheadAttention: embed_dim " + embedDim
          + " must be divisible by num_heads " + numHeads);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.dropout = dropout;
    this.batchFirst = batchFirst;
    this.generator = generator;
    registerParameter("in_proj_weight", Init.xavierUniform(Layers.empty(3 * embedDim, embedDim), 1, generator));
    registerParameter("in_proj_bias", bias ? Tensor.zeros(3 * embedDim) : null);
    Linear out = registerModule("out_proj", new Linear(embedDim, embedDim, bias, generator));
    if (bias) {
      Init.zeros(out.bias());
    }
  }

  /** Returns the output projection, child {@code out_proj}. */
  public Linear outProj() {
    return (Linear) child("out_proj");
  }

  /** Returns self-attention of {@code x} without masks: the output only. */
  @Override
  public Tensor forward(Tensor x) {
    return forward(x, x, x, null, false, null, true).output();
  }

  /**
   * Returns attention of {@code query} over {@code key}/{@code value} with head-averaged weights.
   */
  public Output forward(Tensor query, Tensor key, Tensor value) {
    return forward(query, key, value, null, true, null, true);
  }

  /**
   * Computes attention, PyTorch's argument order.
   *
   * @param keyPaddingMask [N, S] bool (true = ignore that key) or floating (added), or null
   * @param needWeights whether to return the attention weights
   * @param attnMask [L, S] or [N * heads, L, S], bool (true = masked) or floating (added), or null
   * @param averageAttnWeights whether the weights are averaged over heads ([N, L, S]) or not ([N,
   *     heads, L, S])
   */
  public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, boolean needWeights,
      Tensor attnMask, boolean averageAttnWeights) {
    boolean unbatched = query.dim() == 2;
    if (query.dim() != (unbatched ? 2 : 3) || key.dim() != query.dim() || value.dim() != query.dim()) {
      throw new IllegalArgumentException("MultiheadAttention: query, key and value must all be 2-d (unbatched)"
          + " or 3-d, got " + query.shape() + ", " + key.shape() + ", " + value.shape());
    }
    if (query.size(-1) != embedDim || key.size(-1) != embedDim || value.size(-1) != embedDim) {
      throw new IllegalArgumentException("MultiheadAttention: expected embedding size " + embedDim
          + " in the last dim of query, key and value, got " + query.shape() + ", " + key.shape() + ", "
          + value.shape());
    }
    // Work in [N, L, E].
    Tensor q = toBatchFirst(query, unbatched);
    Tensor k = toBatchFirst(key, unbatched);
    Tensor v = toBatchFirst(value, unbatched);
    int n = q.size(0);
    int l = q.size(1);
    int s = k.size(1);
    int hd = embedDim / numHeads;
    Tensor w = param("in_proj_weight");
    Tensor b = param("in_proj_bias");
    Tensor qp = Linalg.linear(q, w.narrow(0, 0, embedDim), b == null ? null : b.narrow(0, 0, embedDim));
    Tensor kp = Linalg.linear(k, w.narrow(0, embedDim, embedDim), b == null ? null : b.narrow(0, embedDim, embedDim));
    Tensor vp = Linalg.linear(v, w.narrow(0, 2 * embedDim, embedDim),
        b == null ? null : b.narrow(0, 2 * embedDim, embedDim));
    // [N, heads, L, hd]
    Tensor kh = kp.reshape(n, s, numHeads, hd).transpose(1, 2);
    Tensor vh = vp.reshape(n, s, numHeads, hd).transpose(1, 2);
    Tensor mask = combinedMask(attnMask, keyPaddingMask, unbatched, n, l, s, qp.dtype());
    if (!needWeights && !(dropout > 0 && isTraining())) {
      // PyTorch's fast path: scaled_dot_product_attention (a backend's fused kernel where it has one).
      Tensor o = Attention.scaledDotProductAttention(qp.reshape(n, l, numHeads, hd).transpose(1, 2), kh, vh,
          mask, 0, false, 1 / Math.sqrt(hd));
      return finish(o, unbatched, null);
    }
    Tensor qh = qp.reshape(n, l, numHeads, hd).transpose(1, 2).mul(1 / Math.sqrt(hd));
    Tensor scores = qh.matmul(kh.transpose(-2, -1));
    // As scaled_dot_product_attention: a query whose keys are all masked gets zero weights.
    Tensor weights = mask != null ? Activations.safeSoftmax(scores.add(mask), -1) : scores.softmax(-1);
    if (dropout > 0 && isTraining()) {
      weights = Activations.dropout(weights, dropout, true, generator == null ? Generator.global() : generator);
    }
    Tensor returned = null;
    if (needWeights) {
      returned = averageAttnWeights ? weights.mean(1, false) : weights;
      if (unbatched) {
        returned = returned.squeeze(0);
      }
    }
    return finish(weights.matmul(vh), unbatched, returned);
  }

  /** Merges the heads of {@code attended} [N, heads, L, hd], projects them and lays them out like the query. */
  private Output finish(Tensor attended, boolean unbatched, Tensor weights) {
    int n = attended.size(0);
    int l = attended.size(2);
    Tensor out = outProj().forward(attended.transpose(1, 2).reshape(n, l, embedDim));
    out = unbatched ? out.squeeze(0) : (batchFirst ? out : out.transpose(0, 1));
    return new Output(out, weights);
  }

  /**
   * The attention mask and key padding mask as one additive mask broadcastable to [N, heads, L, S]
   * (0 or -inf for bool masks), or null when there is neither.
   */
  private Tensor combinedMask(Tensor attnMask, Tensor keyPaddingMask, boolean unbatched, int n, int l, int s,
      DType dtype) {
    Tensor mask = null;
    if (attnMask != null) {
      mask = additive(attnMask.dim() == 3 ? checkShape(attnMask, "attn_mask", n * numHeads, l, s)
          .reshape(n, numHeads, l, s) : checkShape(attnMask, "attn_mask", l, s), dtype);
    }
    if (keyPaddingMask != null) {
      Tensor m = unbatched ? keyPaddingMask.unsqueeze(0) : keyPaddingMask;
      Tensor pad = additive(checkShape(m, "key_padding_mask", n, s), dtype).reshape(n, 1, 1, s);
      mask = mask == null ? pad : mask.add(pad);
    }
    return mask;
  }

  private Tensor toBatchFirst(Tensor x, boolean unbatched) {
    return unbatched ? x.unsqueeze(0) : (batchFirst ? x : x.transpose(0, 1));
  }

  private static Tensor checkShape(Tensor m, String what, int... expected) {
    if (!Arrays.equals(m.shapeArray(), expected)) {
      throw new IllegalArgumentException("MultiheadAttention: " + what + " must have shape "
          + Arrays.toString(expected) + ", got " + m.shape());
    }
    return m;
  }

  /** Turns a bool mask (true = masked) into 0 / -inf, or returns a floating mask as is. */
  private static Tensor additive(Tensor mask, DType dtype) {
    if (mask.dtype() != DType.BOOL) {
      return mask.dtype() == dtype ? mask : mask.to(dtype);
    }
    try (GradMode off = GradMode.noGrad()) {
      return Tensor.zeros(mask.shape(), dtype, mask.device()).maskedFill(mask, Double.NEGATIVE_INFINITY);
    }
  }

  @Override
  protected String extraRepr() {
    return "embed_dim=" + embedDim + ", num_heads=" + numHeads + (dropout != 0 ? ", dropout=" + dropout : "")
        + (batchFirst ? ", batch_first=True" : "");
  }

  /** Returns the model size E. */
  public int embedDim() {
    return embedDim;
  }

  /** Returns the number of heads. */
  public int numHeads() {
    return numHeads;
  }

  /** Returns whether inputs are batch-first. */
  public boolean batchFirst() {
    return batchFirst;
  }
}
