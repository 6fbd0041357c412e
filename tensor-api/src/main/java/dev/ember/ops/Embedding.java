package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.Arrays;

/**
 * Lookup-table ops ({@code torch.nn.functional}'s "sparse functions"): {@code embedding} and
 * {@code one_hot}.
 */
public final class Embedding {
  private Embedding() {}

  /**
   * Returns the rows of {@code weight} [V, D] picked by the int64 (or int32) {@code indices} of any
   * shape: [*indices.shape, D]. The gradient of {@code weight} adds each output row's gradient into
   * the row it came from (a scatter-add), except for row {@code paddingIdx}, which gets none, as in
   * PyTorch. The forward still returns that row's values.
   *
   * @param paddingIdx a row in [-V, V) that receives no gradient, or null
   * @throws IndexOutOfBoundsException naming the first index outside [0, V)
   */
  public static Tensor embedding(Tensor indices, Tensor weight, Long paddingIdx) {
    String op = "embedding";
    if (indices.dtype() != DType.INT64 && indices.dtype() != DType.INT32) {
      throw new IllegalArgumentException(op + ": indices must be int64 or int32, got " + indices.dtype()
          + " " + indices.shape());
    }
    if (weight.dim() != 2) {
      throw new IllegalArgumentException(op + ": weight must be 2-d [num_embeddings, embedding_dim], got "
          + weight.shape());
    }
    int v = weight.size(0);
    int d = weight.size(1);
    Long pad = paddingIdx;
    if (pad != null) {
      if (pad < -v || pad >= v) {
        throw new IllegalArgumentException(op + ": padding_idx " + pad + " must be within num_embeddings " + v);
      }
      pad = pad < 0 ? pad + v : pad;
    }
    Tensor idx = indices.to(DType.INT64).reshape(-1);
    if (idx.numel() > 0) {
      long[] extremes = Indexing.extremes(idx);
      long lo = extremes[0];
      long hi = extremes[1];
      if (lo < 0 || hi >= v) {
        throw new IndexOutOfBoundsException(op + ": index " + (lo < 0 ? lo : hi) + " is out of range for"
            + " weight " + weight.shape() + " (indices must be in [0, " + v + "))");
      }
    }
    int[] outShape = Arrays.copyOf(indices.shapeArray(), indices.dim() + 1);
    outShape[indices.dim()] = d;
    int m = (int) idx.numel();
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      // The indices were checked above: gather rows without index_select's second range check.
      out = Indexing.gather(weight, 0, idx.reshape(m, 1).expand(m, d), false).reshape(outShape);
    }
    long padRow = pad == null ? -1 : pad;
    return record(op, out, new Tensor[] {weight}, new Tensor[] {idx}, g -> {
      Tensor rows = g.reshape(m, d);
      if (padRow >= 0) {
        rows = rows.mul(idx.ne((double) padRow).unsqueeze(1).to(g.dtype()));
      }
      Tensor zeros = Tensor.zeros(Shape.of(v, d), g.dtype(), g.device());
      return new Tensor[] {zeros.scatterAdd(0, idx.unsqueeze(1).expand(m, d), rows)};
    });
  }

  /**
   * Returns the int64 one-hot encoding of int64 {@code indices}: [*indices.shape, numClasses].
   *
   * @param numClasses the number of classes, or -1 for {@code max(indices) + 1}
   */
  public static Tensor oneHot(Tensor indices, int numClasses) {
    if (indices.dtype() != DType.INT64 && indices.dtype() != DType.INT32) {
      throw new IllegalArgumentException("one_hot: indices must be int64, got " + indices.dtype());
    }
    long[] extremes = indices.numel() == 0 ? new long[] {0, -1} : Indexing.extremes(indices);
    long lo = extremes[0];
    long hi = extremes[1];
    int classes = numClasses == -1 ? (int) hi + 1 : numClasses;
    if (lo < 0 || hi >= classes) {
      throw new IndexOutOfBoundsException("one_hot: class values must be in [0, " + classes + "), got "
          + (lo < 0 ? lo : hi));
    }
    Tensor range = Tensor.arange(classes).to(indices.device());
    return indices.to(DType.INT64).unsqueeze(-1).eq(range).to(DType.INT64);
  }
}
