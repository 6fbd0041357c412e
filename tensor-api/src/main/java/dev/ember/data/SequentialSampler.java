package dev.ember.data;

/**
 * Visits a dataset in index order {@code 0, 1, ..., n - 1} every epoch, PyTorch's {@code
 * torch.utils.data.SequentialSampler} (what a {@link DataLoader} without shuffling does).
 */
public final class SequentialSampler implements Sampler {
  private final int n;

  /** Creates a sampler over the indices of {@code dataSource}. */
  public SequentialSampler(Dataset<?> dataSource) {
    this.n = dataSource.size();
  }

  /** Returns the dataset's size. */
  @Override
  public int size() {
    return n;
  }

  /** Returns {@code 0, 1, ..., n - 1}. */
  @Override
  public int[] indices(long epoch) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }
}
