package dev.ember.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws indices {@code 0 .. weights.length - 1} with probability proportional to their weights,
 * PyTorch's {@code torch.utils.data.WeightedRandomSampler} (e.g. to balance classes). With
 * replacement each draw is independent; without, a drawn index leaves the pool and the rest are
 * renormalized, so {@code numSamples} may not exceed the number of positive weights. The draws of
 * epoch {@code e} depend only on the seed and {@code e}.
 */
public final class WeightedRandomSampler implements Sampler {
  private final double[] weights;
  private final int numSamples;
  private final boolean replacement;
  private final long seed;

  /** Draws {@code numSamples} indices with replacement, seeded from the global generator. */
  public WeightedRandomSampler(double[] weights, int numSamples) {
    this(weights, numSamples, true, RandomSampler.globalSeed());
  }

  /**
   * Draws {@code numSamples} indices from the stream {@code seed} names.
   *
   * @throws IllegalArgumentException if a weight is negative or not finite, all weights are zero,
   *     {@code numSamples} is not positive, or (without replacement) exceeds the positive weights
   */
  public WeightedRandomSampler(double[] weights, int numSamples, boolean replacement, long seed) {
    if (numSamples <= 0) {
      throw new IllegalArgumentException("WeightedRandomSampler: num_samples should be a positive integer value,"
          + " but got num_samples=" + numSamples);
    }
    long positive = 0;
    for (double w : weights) {
      if (!(w >= 0) || Double.isInfinite(w)) {
        throw new IllegalArgumentException("WeightedRandomSampler: weights must be finite and non-negative, got "
            + w);
      }
      positive += w > 0 ? 1 : 0;
    }
    if (positive == 0) {
      throw new IllegalArgumentException("WeightedRandomSampler: the weights sum to zero (" + weights.length
          + " weights)");
    }
    if (!replacement && numSamples > positive) {
      throw new IllegalArgumentException("WeightedRandomSampler: cannot draw " + numSamples + " samples without"
          + " replacement from " + positive + " positive weights");
    }
    this.weights = weights.clone();
    this.numSamples = numSamples;
    this.replacement = replacement;
    this.seed = seed;
  }

  /** Returns the number of draws per epoch. */
  @Override
  public int size() {
    return numSamples;
  }

  /** Returns epoch {@code epoch}'s draws. */
  @Override
  public int[] indices(long epoch) {
    SplittableRandom rng = RandomSampler.epochStream(seed, epoch);
    int[] out = new int[numSamples];
    if (replacement) {
      double[] cdf = new double[weights.length];
      double total = 0;
      for (int i = 0; i < weights.length; i++) {
        total += weights[i];
        cdf[i] = total;
      }
      for (int k = 0; k < numSamples; k++) {
        out[k] = pick(cdf, rng.nextDouble() * total);
      }
      return out;
    }
    // Efraimidis-Spirakis: the numSamples largest keys log(u) / w, in descending order, are distributed
    // as successive draws without replacement, each proportional to the remaining weights.
    Integer[] order = new Integer[weights.length];
    double[] key = new double[weights.length];
    for (int i = 0; i < weights.length; i++) {
      order[i] = i;
      double u = rng.nextDouble();
      key[i] = weights[i] > 0 ? Math.log(u > 0 ? u : Double.MIN_VALUE) / weights[i] : Double.NEGATIVE_INFINITY;
    }
    Arrays.sort(order, (a, b) -> Double.compare(key[b], key[a]));
    for (int k = 0; k < numSamples; k++) {
      out[k] = order[k];
    }
    return out;
  }

  /** Returns the first index whose cumulative weight exceeds {@code u} (skipping zero weights). */
  private static int pick(double[] cdf, double u) {
    int lo = 0;
    int hi = cdf.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
