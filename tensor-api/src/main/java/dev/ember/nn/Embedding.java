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
    if (paddingIdx != null && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings)) {
      throw new IllegalArgumentException("Embedding: padding_idx " + paddingIdx + " must be within"
          + " num_embeddings " + numEmbeddings);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = paddingIdx == null ? null : (paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx);
    Tensor w = Init.normal(Layers.empty(numEmbeddings, embeddingDim), 0, 1, generator);
    if (this.paddingIdx != null) {
      try (GradMode off = GradMode.noGrad()) {
        w.select(0, this.paddingIdx).fillInPlace(0);
      }
    }
    registerParameter("weight", w);
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
}
