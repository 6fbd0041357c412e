package dev.ember.data;

import dev.ember.Generator;
import java.util.SplittableRandom;

/**
 * Visits a dataset in random order, PyTorch's {@code torch.utils.data.RandomSampler}; pass it to
 * {@link DataLoader.Builder#sampler}. Without replacement each epoch is a fresh permutation of
 * {@code [0, n)}; {@code numSamples > n} chains permutations ({@code numSamples / n} whole ones,
 * then the start of one more), as PyTorch does. With replacement each index is drawn uniformly and
 * independently. The order of epoch {@code e} depends only on the seed and {@code e}, so a resumed
 * run replays it.
 */
public final class RandomSampler implements Sampler {
  private final int n;
  private final boolean replacement;
  private final int numSamples;
  private final long seed;

  /** Samples every example once per epoch, seeded from the global generator. */
  public RandomSampler(Dataset<?> dataSource) {
    this(dataSource, false, null);
  }

  /**
   * Samples {@code numSamples} indices per epoch (null: the dataset's size), seeded from the global
   * generator.
   */
  public RandomSampler(Dataset<?> dataSource, boolean replacement, Integer numSamples) {
    this(dataSource, replacement, numSamples, globalSeed());
  }

  /**
   * Samples {@code numSamples} indices per epoch (null: the dataset's size) from the stream {@code
   * seed} names.
   *
   * @throws IllegalArgumentException if {@code numSamples} is not positive, or the dataset is empty
   */
  public RandomSampler(Dataset<?> dataSource, boolean replacement, Integer numSamples, long seed) {
    this.n = dataSource.size();
    if (numSamples != null && numSamples <= 0) {
      throw new IllegalArgumentException("RandomSampler: num_samples should be a positive integer value, but got"
          + " num_samples=" + numSamples);
    }
    if (n == 0 && (numSamples == null || numSamples > 0)) {
      throw new IllegalArgumentException("RandomSampler: cannot sample from an empty dataset");
    }
    this.replacement = replacement;
    this.numSamples = numSamples == null ? n : numSamples;
    this.seed = seed;
  }

  /** Returns a seed drawn from the global generator, for samplers made without one. */
  static long globalSeed() {
    return DataLoader.mix(Generator.global().seed(), Generator.global().reserve(1));
  }

  /** Returns the random stream of epoch {@code epoch} under {@code seed}. */
  static SplittableRandom epochStream(long seed, long epoch) {
    return new SplittableRandom(DataLoader.mix(seed, epoch));
  }

  /** Shuffles {@code a} in place (Fisher-Yates) from {@code rng}. */
  static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** Returns whether indices are drawn with replacement. */
  public boolean replacement() {
    return replacement;
  }

  /** Returns the number of indices per epoch, PyTorch's {@code num_samples}. */
  @Override
  public int size() {
    return numSamples;
  }

  /** Returns epoch {@code epoch}'s {@link #size()} indices in [0, n). */
  @Override
  public int[] indices(long epoch) {
    SplittableRandom rng = epochStream(seed, epoch);
    int[] out = new int[numSamples];
    if (replacement) {
      for (int i = 0; i < numSamples; i++) {
        out[i] = rng.nextInt(n);
      }
      return out;
    }
    int[] perm = new int[n];
    for (int filled = 0; filled < numSamples; filled += n) {
      for (int i = 0; i < n; i++) {
        perm[i] = i;
      }
      shuffle(perm, rng);
      System.arraycopy(perm, 0, out, filled, Math.min(n, numSamples - filled));
    }
    return out;
  }
}
