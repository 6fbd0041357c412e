package dev.ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RandomSampler, WeightedRandomSampler and SubsetRandomSampler distributions and determinism,
 * SequentialSampler, and DataLoader's sampler option.
 */
class SamplerTest {
  private static Dataset<Tensor[]> data(int n) {
    return new TensorDataset(Tensor.arange(n));
  }

  @Test
  void withoutReplacementEachEpochIsAPermutationThatChanges() {
    RandomSampler s = new RandomSampler(data(50), false, null, 7);
    assertEquals(50, s.size());
    int[] e0 = s.indices(0);
    int[] sorted = e0.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 50; i++) {
      assertEquals(i, sorted[i]);
    }
    assertFalse(Arrays.equals(e0, s.indices(1)), "a new order every epoch");
    assertArrayEquals(e0, new RandomSampler(data(50), false, null, 7).indices(0), "seed and epoch fix the order");
    assertFalse(Arrays.equals(e0, new RandomSampler(data(50), false, null, 8).indices(0)));
  }

  @Test
  void moreSamplesThanExamplesChainsPermutations() {
    RandomSampler s = new RandomSampler(data(10), false, 25, 3);
    int[] idx = s.indices(0);
    assertEquals(25, idx.length);
    for (int block = 0; block < 2; block++) {
      int[] whole = Arrays.copyOfRange(idx, block * 10, block * 10 + 10);
      Arrays.sort(whole);
      assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, whole, "block " + block + " is a permutation");
    }
    int[] tail = Arrays.copyOfRange(idx, 20, 25);
    assertEquals(5, Arrays.stream(tail).distinct().count(), "the rest is the start of one more permutation");
  }

  @Test
  void withReplacementDrawsUniformlyAndRepeats() {
    int n = 10;
    int draws = 20000;
    RandomSampler s = new RandomSampler(data(n), true, draws, 5);
    assertTrue(s.replacement());
    int[] counts = new int[n];
    for (int i : s.indices(0)) {
      counts[i]++;
    }
    double chi2 = 0;
    for (int c : counts) {
      chi2 += Math.pow(c - draws / (double) n, 2) / (draws / (double) n);
    }
    assertTrue(chi2 < 27.9, "chi-square with 9 degrees of freedom below its 0.1% critical value: " + chi2);
    int[] small = new RandomSampler(data(n), true, null, 5).indices(0);
    assertTrue(Arrays.stream(small).distinct().count() < n, "10 draws from 10 with replacement repeat (p > 0.999)");
  }

  @Test
  void invalidArgumentsRaisePyTorchsErrors() {
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> new RandomSampler(data(4), false, 0));
    assertTrue(zero.getMessage().contains("num_samples should be a positive integer value, but got num_samples=0"),
        zero.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new RandomSampler(data(0)));
  }

  @Test
  void dataLoaderTakesASamplerButNotWithShuffle() {
    Dataset<Tensor[]> d = data(6);
    RandomSampler s = new RandomSampler(d, true, 12, 9);
    try (DataLoader<Tensor[]> loader = DataLoader.builder(d).batchSize(4).sampler(s).build()) {
      assertEquals(3, loader.size());
      int seen = 0;
      for (Tensor[] batch : loader) {
        seen += batch[0].size(0);
      }
      assertEquals(12, seen);
      assertArrayEquals(s.indices(0), loader.order(0));
    }
    IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
        () -> DataLoader.builder(d).shuffle(true).sampler(s).build());
    assertTrue(both.getMessage().contains("sampler option is mutually exclusive with shuffle"), both.getMessage());
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, new SequentialSampler(d).indices(3));
    assertEquals(List.of(6), List.of(new SequentialSampler(d).size()));
  }

  @Test
  void weightedWithReplacementFollowsTheWeights() {
    int draws = 20000;
    WeightedRandomSampler s = new WeightedRandomSampler(new double[] {1, 0, 3}, draws, true, 4);
    int[] counts = new int[3];
    for (int i : s.indices(0)) {
      counts[i]++;
    }
    assertEquals(0, counts[1], "a zero weight is never drawn");
    double expected0 = draws / 4.0;
    double chi2 = Math.pow(counts[0] - expected0, 2) / expected0 + Math.pow(counts[2] - 3 * expected0, 2) / (3 * expected0);
    assertTrue(chi2 < 10.8, "chi-square with 1 degree of freedom below its 0.1% critical value: " + chi2);
    assertArrayEquals(s.indices(5), new WeightedRandomSampler(new double[] {1, 0, 3}, draws, true, 4).indices(5));
  }

  @Test
  void weightedWithoutReplacementDrawsEachIndexOnceInWeightedOrder() {
    double[] w = {1, 1, 1, 97, 0};
    int firstIsHeavy = 0;
    for (int epoch = 0; epoch < 2000; epoch++) {
      int[] idx = new WeightedRandomSampler(w, 4, false, 6).indices(epoch);
      int[] sorted = idx.clone();
      Arrays.sort(sorted);
      assertArrayEquals(new int[] {0, 1, 2, 3}, sorted, "four distinct positive-weight indices");
      firstIsHeavy += idx[0] == 3 ? 1 : 0;
    }
    // P(first = 3) = 0.97: 1940 expected, standard deviation 7.6.
    assertEquals(1940, firstIsHeavy, 40);
    IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
        () -> new WeightedRandomSampler(w, 5, false, 1));
    assertTrue(tooMany.getMessage().contains("4 positive weights"), tooMany.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new WeightedRandomSampler(new double[] {0, 0}, 1));
    assertThrows(IllegalArgumentException.class, () -> new WeightedRandomSampler(new double[] {1, -1}, 1));
    assertThrows(IllegalArgumentException.class, () -> new WeightedRandomSampler(new double[] {1, Double.NaN}, 1));
  }

  @Test
  void subsetRandomSamplerPermutesItsIndices() {
    int[] subset = {7, 3, 9, 1};
    SubsetRandomSampler s = new SubsetRandomSampler(subset, 2);
    int[] e0 = s.indices(0);
    int[] sorted = e0.clone();
    Arrays.sort(sorted);
    assertArrayEquals(new int[] {1, 3, 7, 9}, sorted);
    boolean changed = false;
    for (int e = 1; e < 10 && !changed; e++) {
      changed = !Arrays.equals(e0, s.indices(e));
    }
    assertTrue(changed, "the order changes across epochs");
    try (DataLoader<Tensor[]> loader = DataLoader.builder(data(5)).batchSize(2).sampler(s).build()) {
      IllegalStateException out = assertThrows(IllegalStateException.class, () -> loader.order(0));
      assertTrue(out.getMessage().contains("index"), out.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new SubsetRandomSampler(new int[] {-1}));
  }
}
