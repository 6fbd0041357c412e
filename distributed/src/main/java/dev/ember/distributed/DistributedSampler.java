package dev.ember.distributed;

import dev.ember.data.Sampler;
import java.util.SplittableRandom;

/**
 * Gives each rank its own shard of a dataset, of the same size on every rank ({@code
 * torch.utils.data.distributed.DistributedSampler}); use it as a {@code DataLoader}'s sampler.
 *
 * <pre>{@code
 * DistributedSampler sampler = new DistributedSampler(train.size());   // rank, world from init
 * DataLoader<Tensor[]> loader = DataLoader.builder(train).batchSize(64).sampler(sampler).build();
 * }</pre>
 *
 * <p>Semantics as PyTorch's: with {@code shuffle} (the default) every epoch permutes all indices
 * with a generator seeded by {@code seed + epoch} (the same permutation on every rank; Ember's
 * permutation, not PyTorch's numbers). Without {@code dropLast} the list is padded by repeating its
 * start until it divides evenly, so each rank gets {@code ceil(n / worldSize)} indices; with {@code
 * dropLast} the tail is dropped and each rank gets {@code floor(n / worldSize)}. Rank {@code r}
 * takes the indices at positions {@code r, r + worldSize, r + 2 worldSize, ...}.
 *
 * <p>The epoch: a {@code DataLoader} passes the epoch it runs to {@link #indices(long)}, so the
 * order changes every epoch by itself; {@link #setEpoch} and {@link #indices()} serve a caller that
 * iterates the sampler directly, as PyTorch's {@code set_epoch}.
 */
public final class DistributedSampler implements Sampler {
  private final int datasetSize;
  private final int numReplicas;
  private final int rank;
  private final boolean shuffle;
  private final long seed;
  private final boolean dropLast;
  private final int perRank;
  private long epoch;

  /**
   * A shuffling sampler (seed 0, no drop) over {@code datasetSize} examples for this process's rank
   * in the default process group.
   *
   * @throws IllegalStateException if the process group is not initialized
   */
  public DistributedSampler(int datasetSize) {
    this(datasetSize, Distributed.worldSize(), Distributed.rank(), true, 0, false);
  }

  /**
   * A sampler for rank {@code rank} of {@code numReplicas}.
   *
   * @throws IllegalArgumentException if the size is negative, {@code numReplicas < 1}, or the rank
   *     is outside {@code [0, numReplicas)}
   */
  public DistributedSampler(int datasetSize, int numReplicas, int rank, boolean shuffle, long seed,
      boolean dropLast) {
    if (datasetSize < 0) {
      throw new IllegalArgumentException("DistributedSampler: negative dataset size " + datasetSize);
    }
    if (numReplicas < 1 || rank < 0 || rank >= numReplicas) {
      throw new IllegalArgumentException("DistributedSampler: invalid rank " + rank + ", rank should be"
          + " in the interval [0, " + (numReplicas - 1) + "] (numReplicas " + numReplicas + ")");
    }
    this.datasetSize = datasetSize;
    this.numReplicas = numReplicas;
    this.rank = rank;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    if (dropLast && datasetSize % numReplicas != 0) {
      this.perRank = (int) Math.ceil((datasetSize - numReplicas) / (double) numReplicas);
    } else {
      this.perRank = (int) Math.ceil(datasetSize / (double) numReplicas);
    }
  }

  /** Returns the number of indices each rank gets per epoch. */
  @Override
  public int size() {
    return perRank;
  }

  /** Sets the epoch {@link #indices()} shuffles with (PyTorch's {@code set_epoch}). */
  public void setEpoch(long e) {
    if (e < 0) {
      throw new IllegalArgumentException("DistributedSampler: negative epoch " + e);
    }
    this.epoch = e;
  }

  /** Returns this rank's indices for the epoch set by {@link #setEpoch} (0 by default). */
  public int[] indices() {
    return indices(epoch);
  }

  /** Returns this rank's indices for epoch {@code e}: see the class comment. */
  @Override
  public int[] indices(long e) {
    int total = perRank * numReplicas;
    int[] all = new int[datasetSize];
    for (int i = 0; i < datasetSize; i++) {
      all[i] = i;
    }
    if (shuffle) {
      SplittableRandom rng = new SplittableRandom(seed + e);
      for (int i = datasetSize - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = all[i];
        all[i] = all[j];
        all[j] = t;
      }
    }
    int[] mine = new int[perRank];
    for (int k = 0; k < perRank; k++) {
      int position = rank + k * numReplicas;
      // Positions past the end wrap around: PyTorch's padding by repeating the list's start.
      mine[k] = total == 0 ? 0 : all[position % datasetSize];
    }
    return mine;
  }
}
