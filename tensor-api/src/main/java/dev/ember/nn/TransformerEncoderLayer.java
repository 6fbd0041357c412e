package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import java.util.function.UnaryOperator;

/**
 * One Transformer encoder layer, PyTorch's {@code nn.TransformerEncoderLayer}: self-attention and a
 * feed-forward block, each with dropout, a residual connection and layer normalization (after the
 * residual by default, before each block with {@code normFirst}).
 *
 * <p>Children, named as in PyTorch so state dicts match: {@code self_attn} ({@link
 * MultiheadAttention}), {@code linear1} (d_model to dim_feedforward), {@code dropout}, {@code
 * linear2}, {@code norm1}, {@code norm2}, {@code dropout1}, {@code dropout2}. Shapes: [S, N, E], or
 * [N, S, E] if batch-first, or unbatched [S, E]; the output has the input's shape.
 */
public class TransformerEncoderLayer extends Module {
  private final boolean normFirst;
  private final String activation;
  private final UnaryOperator<Tensor> act;

  /** Creates a layer with PyTorch's defaults: feed-forward 2048, dropout 0.1, relu, post-norm. */
  public TransformerEncoderLayer(int dModel, int nhead) {
    this(dModel, nhead, 2048, 0.1, "relu", 1e-5, false, false, null);
  }

  /**
   * Creates a layer with every option, in PyTorch's order.
   *
   * @param dimFeedforward the hidden size of the feed-forward block
   * @param dropout the dropout probability everywhere (attention weights included)
   * @param activation {@code "relu"} or {@code "gelu"}
   * @param layerNormEps the layer norms' eps
   * @param batchFirst whether inputs are [N, S, E]
   * @param normFirst whether to normalize before each block (pre-norm) instead of after
   * @param generator the initializers' and dropouts' generator, or null for the global one
   */
  public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, String activation,
      double layerNormEps, boolean batchFirst, boolean normFirst, Generator generator) {
    this.normFirst = normFirst;
    this.activation = activation;
    this.act = switch (activation) {
      case "relu" -> Activations::relu;
      case "gelu" -> x -> Activations.gelu(x, "none");
      default -> throw new IllegalArgumentException("TransformerEncoderLayer: activation should be relu/gelu, not "
          + activation);
    };
    registerModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, true, batchFirst, generator));
    registerModule("linear1", new Linear(dModel, dimFeedforward, true, generator));
    registerModule("dropout", new Dropout(dropout, generator));
    registerModule("linear2", new Linear(dimFeedforward, dModel, true, generator));
    registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true, true));
    registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true, true));
    registerModule("dropout1", new Dropout(dropout, generator));
    registerModule("dropout2", new Dropout(dropout, generator));
  }

  /** Encodes {@code src} without masks. */
  @Override
  public Tensor forward(Tensor src) {
    return forward(src, null, null);
  }

  /**
   * Encodes {@code src}.
   *
   * @param srcMask attention mask [S, S] or [N * heads, S, S] (see {@link MultiheadAttention}), or null
   * @param srcKeyPaddingMask [N, S], true marks padding, or null
   */
  public Tensor forward(Tensor src, Tensor srcMask, Tensor srcKeyPaddingMask) {
    Tensor x = src;
    if (normFirst) {
      x = x.add(selfAttentionBlock(child("norm1").call(x), srcMask, srcKeyPaddingMask));
      x = x.add(feedForwardBlock(child("norm2").call(x)));
    } else {
      x = child("norm1").call(x.add(selfAttentionBlock(x, srcMask, srcKeyPaddingMask)));
      x = child("norm2").call(x.add(feedForwardBlock(x)));
    }
    return x;
  }

  private Tensor selfAttentionBlock(Tensor x, Tensor mask, Tensor keyPaddingMask) {
    MultiheadAttention attn = (MultiheadAttention) child("self_attn");
    Tensor y = attn.forward(x, x, x, keyPaddingMask, false, mask, true).output();
    return child("dropout1").call(y);
  }

  private Tensor feedForwardBlock(Tensor x) {
    Tensor h = child("dropout").call(act.apply(child("linear1").call(x)));
    return child("dropout2").call(child("linear2").call(h));
  }

  @Override
  protected String extraRepr() {
    return "activation=" + activation + (normFirst ? ", norm_first=True" : "");
  }

  /** Returns whether layer norm comes first, PyTorch's {@code norm_first}. */
  public boolean normFirst() {
    return normFirst;
  }

  /** Returns the feed-forward activation's name. */
  public String activation() {
    return activation;
  }
}
