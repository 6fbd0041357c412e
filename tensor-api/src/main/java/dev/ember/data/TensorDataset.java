package dev.ember.data;

import dev.ember.Tensor;

/**
 * A dataset of tensors that share their first dimension ({@code torch.utils.data.TensorDataset}):
 * example {@code i} is {@code {t0[i], t1[i], ...}}, e.g. an image and its label.
 *
 * <pre>{@code
 * TensorDataset ds = new TensorDataset(images, labels);   // [N, 1, 28, 28] and [N]
 * Tensor[] first = ds.get(0);                              // [1, 28, 28] and []
 * }</pre>
 *
 * @since 0.1
 */
public final class TensorDataset implements Dataset<Tensor[]> {
  private final Tensor[] tensors;
  private final int size;

  /**
   * Creates a dataset over {@code tensors}; the tensors are kept, not copied.
   *
   * @throws IllegalArgumentException if there are no tensors, one is 0-d, or their first dims
   *     differ
   */
  public TensorDataset(Tensor... tensors) {
    if (tensors.length == 0) {
      throw new IllegalArgumentException("tensor_dataset: expected at least one tensor");
    }
    for (Tensor t : tensors) {
      if (t.dim() == 0) {
        throw new IllegalArgumentException("tensor_dataset: tensors must have a first dimension, got "
            + "a 0-d tensor");
      }
      if (t.size(0) != tensors[0].size(0)) {
        throw new IllegalArgumentException("tensor_dataset: size mismatch between tensors: "
            + shapes(tensors) + " differ in dim 0");
      }
    }
    this.tensors = tensors.clone();
    this.size = tensors[0].size(0);
  }

  private static String shapes(Tensor[] tensors) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < tensors.length; i++) {
      sb.append(i == 0 ? "" : " and ").append(tensors[i].shape());
    }
    return sb.toString();
  }

  /** Returns the tensors, in the order given (the array is a copy, the tensors are not). */
  public Tensor[] tensors() {
    return tensors.clone();
  }

  /** Returns tensor {@code k}, e.g. {@code tensor(0)} for the images. */
  public Tensor tensor(int k) {
    return tensors[k];
  }

  @Override
  public int size() {
    return size;
  }

  /** Returns views {@code {t0[index], t1[index], ...}} (each loses dim 0). */
  @Override
  public Tensor[] get(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException("tensor_dataset: index " + index + " out of range for "
          + size + " examples");
    }
    Tensor[] out = new Tensor[tensors.length];
    for (int k = 0; k < tensors.length; k++) {
      out[k] = tensors[k].select(0, index);
    }
    return out;
  }

  /**
   * Returns the examples at {@code indices} already stacked, {@code {t0[indices], t1[indices],
   * ...}}, each a new tensor whose dim 0 has {@code indices.length} entries: the same values as
   * stacking {@link #get} of each index, in one gather per tensor.
   *
   * @throws IndexOutOfBoundsException if an index is out of range
   */
  public Tensor[] getBatch(int[] indices) {
    long[] idx = new long[indices.length];
    for (int i = 0; i < indices.length; i++) {
      if (indices[i] < 0 || indices[i] >= size) {
        throw new IndexOutOfBoundsException("tensor_dataset: index " + indices[i]
            + " out of range for " + size + " examples");
      }
      idx[i] = indices[i];
    }
    Tensor index = Tensor.of(idx);
    Tensor[] out = new Tensor[tensors.length];
    for (int k = 0; k < tensors.length; k++) {
      Tensor src = tensors[k];
      out[k] = src.indexSelect(0, index.to(src.device()));
    }
    return out;
  }

  @Override
  public String toString() {
    return "TensorDataset(" + size + " examples: " + shapes(tensors) + ")";
  }
}
