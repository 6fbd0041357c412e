package dev.ember.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An indexed collection of examples ({@code torch.utils.data.Dataset}): {@link #size} examples,
 * fetched one at a time with {@link #get}. A {@link DataLoader} turns a dataset into shuffled
 * batches.
 *
 * <p>A {@link DataLoader} with background loading calls {@link #get} from its worker thread, so an
 * implementation must tolerate being read from a thread other than the one that built it (reading
 * immutable data is enough).
 *
 * @param <T> the type of one example, {@code Tensor[]} for a {@link TensorDataset}
 * @since 0.1
 */
public interface Dataset<T> {
  /** Returns the number of examples. */
  int size();

  /**
   * Returns example {@code index}.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= index < size()}
   */
  T get(int index);

  /**
   * Splits {@code dataset} into non-overlapping random subsets of the given lengths ({@code
   * torch.utils.data.random_split}). The same seed gives the same split.
   *
   * @throws IllegalArgumentException if a length is negative or the lengths do not sum to the size
   */
  static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, int[] lengths, long seed) {
    long total = 0;
    for (int l : lengths) {
      if (l < 0) {
        throw new IllegalArgumentException("random_split: negative length in "
            + java.util.Arrays.toString(lengths));
      }
      total += l;
    }
    if (total != dataset.size()) {
      throw new IllegalArgumentException("random_split: lengths " + java.util.Arrays.toString(lengths)
          + " sum to " + total + " but the dataset has " + dataset.size() + " examples");
    }
    int[] perm = permutation(dataset.size(), new SplittableRandom(seed));
    List<Subset<T>> out = new ArrayList<>(lengths.length);
    int at = 0;
    for (int l : lengths) {
      out.add(new Subset<>(dataset, java.util.Arrays.copyOfRange(perm, at, at + l)));
      at += l;
    }
    return out;
  }

  /**
   * Splits {@code dataset} by fractions that sum to 1 ({@code [0.8, 0.2]}): each part gets {@code
   * floor(fraction * size)} examples and the remainder is dealt one at a time to the parts in order,
   * as PyTorch does.
   *
   * @throws IllegalArgumentException if a fraction is outside [0, 1] or they do not sum to 1
   */
  static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, double[] fractions, long seed) {
    double sum = 0;
    for (double f : fractions) {
      if (!(f >= 0 && f <= 1)) {
        throw new IllegalArgumentException("random_split: fraction " + f + " is not in [0, 1]");
      }
      sum += f;
    }
    if (Math.abs(sum - 1) > 1e-9 || fractions.length == 0) {
      throw new IllegalArgumentException("random_split: fractions "
          + java.util.Arrays.toString(fractions) + " do not sum to 1");
    }
    int n = dataset.size();
    int[] lengths = new int[fractions.length];
    int used = 0;
    for (int i = 0; i < fractions.length; i++) {
      lengths[i] = (int) Math.floor(fractions[i] * n);
      used += lengths[i];
    }
    for (int i = 0; used < n; i = (i + 1) % lengths.length, used++) {
      lengths[i]++;
    }
    return randomSplit(dataset, lengths, seed);
  }

  /** Returns a uniformly random permutation of {@code 0..n-1} (Fisher-Yates). */
  private static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
