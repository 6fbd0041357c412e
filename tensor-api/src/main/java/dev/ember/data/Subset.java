package dev.ember.data;

import java.util.Arrays;

/**
 * The examples of another dataset at given indices ({@code torch.utils.data.Subset}), as made by
 * {@link Dataset#randomSplit}. Reads through to the underlying dataset; copies nothing.
 *
 * @param <T> the type of one example
 * @since 0.1
 */
public final class Subset<T> implements Dataset<T> {
  private final Dataset<T> dataset;
  private final int[] indices;

  /**
   * Creates the subset of {@code dataset} at {@code indices} (copied), in that order.
   *
   * @throws IndexOutOfBoundsException if an index is outside the dataset
   */
  public Subset(Dataset<T> dataset, int[] indices) {
    int n = dataset.size();
    for (int i : indices) {
      if (i < 0 || i >= n) {
        throw new IndexOutOfBoundsException("subset: index " + i + " out of range for a dataset of "
            + n + " examples");
      }
    }
    this.dataset = dataset;
    this.indices = indices.clone();
  }

  /** Returns the underlying dataset. */
  public Dataset<T> dataset() {
    return dataset;
  }

  /** Returns a copy of the indices into the underlying dataset. */
  public int[] indices() {
    return indices.clone();
  }

  /** Returns the underlying dataset's index of this subset's example {@code index}. */
  int baseIndex(int index) {
    return indices[index];
  }

  @Override
  public int size() {
    return indices.length;
  }

  @Override
  public T get(int index) {
    if (index < 0 || index >= indices.length) {
      throw new IndexOutOfBoundsException("subset: index " + index + " out of range for "
          + indices.length + " examples");
    }
    return dataset.get(indices[index]);
  }

  @Override
  public String toString() {
    return "Subset(" + indices.length + " of " + dataset.size() + ", first "
        + Arrays.toString(Arrays.copyOf(indices, Math.min(5, indices.length))) + ")";
  }
}
