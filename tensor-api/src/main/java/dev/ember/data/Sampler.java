package dev.ember.data;

/**
 * The order in which a {@link DataLoader} visits a dataset's examples, one epoch at a time ({@code
 * torch.utils.data.Sampler}); e.g. a {@code DistributedSampler} that gives each rank its shard.
 */
public interface Sampler {
  /** Returns how many indices every epoch yields. */
  int size();

  /**
   * Returns the dataset indices epoch {@code epoch} visits, in order: {@link #size()} of them, each
   * in {@code [0, dataset.size())}. The loader passes the epoch it runs ({@link DataLoader#epoch()}),
   * so a shuffling sampler reshuffles every epoch and a resumed run sees the same order.
   */
  int[] indices(long epoch);
}
