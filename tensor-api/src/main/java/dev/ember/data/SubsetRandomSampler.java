package dev.ember.data;

/**
 * Visits the given dataset indices in a new random order every epoch, PyTorch's {@code
 * torch.utils.data.SubsetRandomSampler} (e.g. a validation split of one dataset). The order of
 * epoch {@code e} depends only on the seed and {@code e}.
 */
public final class SubsetRandomSampler implements Sampler {
  private final int[] indices;
  private final long seed;

  /** Samples {@code indices}, seeded from the global generator. */
  public SubsetRandomSampler(int[] indices) {
    this(indices, RandomSampler.globalSeed());
  }

  /**
   * Samples {@code indices} (each must be a valid index of the loader's dataset, which the loader
   * checks) from the stream {@code seed} names.
   *
   * @throws IllegalArgumentException if an index is negative
   */
  public SubsetRandomSampler(int[] indices, long seed) {
    for (int i : indices) {
      if (i < 0) {
        throw new IllegalArgumentException("SubsetRandomSampler: indices must be non-negative, got " + i);
      }
    }
    this.indices = indices.clone();
    this.seed = seed;
  }

  /** Returns the number of indices. */
  @Override
  public int size() {
    return indices.length;
  }

  /** Returns a permutation of the indices for epoch {@code epoch}. */
  @Override
  public int[] indices(long epoch) {
    int[] out = indices.clone();
    RandomSampler.shuffle(out, RandomSampler.epochStream(seed, epoch));
    return out;
  }
}
