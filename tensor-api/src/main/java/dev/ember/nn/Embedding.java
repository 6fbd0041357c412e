package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Tensor;

/**
 * A lookup table, PyTorch's {@code nn.Embedding}: int64 indices [*] map to rows of {@code weight}
 * [numEmbeddings, embeddingDim], giving [*, embeddingDim]. The weight starts {@code N(0, 1)}; the
 * row at {@code paddingIdx}, if any, starts at zero and never receives a gradient.
 */
public final class Embedding extends Module {
  private final int numEmbeddings;
  private final int embeddingDim;
  private final Integer paddingIdx;

  /** Creates a table without a padding index, initialized from the global generator. */
  public Embedding(int numEmbeddings, int embeddingDim) {
    this(numEmbeddings, embeddingDim, null, null);
  }

  /**
   * Creates a table.
   *
   * @param paddingIdx the row that stays fixed (negative counts from the end), or null
   * @param generator the initializer's generator, or null for the global one
   */
  public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx, Generator generator) {
    this(initialTable(numEmbeddings, embeddingDim, paddingIdx, generator), paddingIdx);
  }

  private Embedding(Tensor weight, Integer paddingIdx) {
    this.numEmbeddings = (int) weight.shape().get(0);
    this.embeddingDim = (int) weight.shape().get(1);
    this.paddingIdx = paddingIdx == null ? null : (paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx);
    registerParameter("weight", weight);
  }

  private static Tensor initialTable(int numEmbeddings, int embeddingDim, Integer paddingIdx, Generator generator) {
    checkPaddingIdx(paddingIdx, numEmbeddings);
    Tensor w = Init.normal(Layers.empty(numEmbeddings, embeddingDim), 0, 1, generator);
    if (paddingIdx != null) {
      try (GradMode off = GradMode.noGrad()) {
        w.select(0, paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx).fillInPlace(0);
      }
    }
    return w;
  }

  private static void checkPaddingIdx(Integer paddingIdx, int numEmbeddings) {
    if (paddingIdx != null && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings)) {
      throw new IllegalArgumentException("Embedding: padding_idx " + paddingIdx + " must be within"
          + " num_embeddings " + numEmbeddings);
    }
  }

  /**
   * Returns a table whose weight is {@code embeddings} [numEmbeddings, embeddingDim] (sharing its
   * storage, as PyTorch's {@code Embedding.from_pretrained}); with {@code freeze} the weight does
   * not require grad, so it is not trained.
   *
   * @throws IllegalArgumentException if {@code embeddings} is not 2-d floating
   */
  public static Embedding fromPretrained(Tensor embeddings, boolean freeze) {
    return fromPretrained(embeddings, freeze, null);
  }

  /**
   * Returns a table over {@code embeddings} (see {@link #fromPretrained(Tensor, boolean)}) whose
   * row {@code paddingIdx} (negative counts from the end; null for none) gets no gradient. The row
   * keeps its pretrained values, as in PyTorch.
   */
  public static Embedding fromPretrained(Tensor embeddings, boolean freeze, Integer paddingIdx) {
    if (embeddings.dim() != 2 || !embeddings.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("Embedding.fromPretrained: embeddings must be a 2-d floating tensor"
          + " [num_embeddings, embedding_dim], got " + embeddings.shape() + " " + embeddings.dtype());
    }
    checkPaddingIdx(paddingIdx, (int) embeddings.shape().get(0));
    Embedding e = new Embedding(embeddings.detach(), paddingIdx);
    e.weight().requiresGrad(!freeze);
    return e;
  }

  /** Returns the table [numEmbeddings, embeddingDim]. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the rows for int64 (or int32) {@code input} [*]: [*, embeddingDim]. */
  @Override
  public Tensor forward(Tensor input) {
    return dev.ember.ops.Embedding.embedding(input, weight(), paddingIdx == null ? null : (long) paddingIdx);
  }

  @Override
  protected String extraRepr() {
    return numEmbeddings + ", " + embeddingDim + (paddingIdx == null ? "" : ", padding_idx=" + paddingIdx);
  }

  /** Returns the number of rows. */
  public int numEmbeddings() {
    return numEmbeddings;
  }

  /** Returns the row size. */
  public int embeddingDim() {
    return embeddingDim;
  }

  /** Returns the padding row (non-negative), or null. */
  public Integer paddingIdx() {
    return paddingIdx;
  }
}
