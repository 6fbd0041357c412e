package dev.ember.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import dev.ember.data.DataLoader;
import dev.ember.data.TensorDataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PyTorch's DistributedSampler semantics; needs no MPI (ranks given explicitly). */
class DistributedSamplerTest {
  private static int[] concat(int n, int replicas, boolean shuffle, boolean dropLast, long epoch) {
    List<Integer> all = new ArrayList<>();
    for (int r = 0; r < replicas; r++) {
      for (int i : new DistributedSampler(n, replicas, r, shuffle, 3, dropLast).indices(epoch)) {
        all.add(i);
      }
    }
    return all.stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void withoutShuffleRanksTakeEveryWorldSizethIndexAndPadFromTheStart() {
    // PyTorch: 10 indices on 4 replicas -> 3 each, padded with [0, 1]; rank r takes r, r+4, r+8.
    assertArrayEquals(new int[] {0, 4, 8}, new DistributedSampler(10, 4, 0, false, 0, false).indices());
    assertArrayEquals(new int[] {1, 5, 9}, new DistributedSampler(10, 4, 1, false, 0, false).indices());
    assertArrayEquals(new int[] {2, 6, 0}, new DistributedSampler(10, 4, 2, false, 0, false).indices());
    assertArrayEquals(new int[] {3, 7, 1}, new DistributedSampler(10, 4, 3, false, 0, false).indices());
    // dropLast: floor(10 / 4) = 2 each, the tail dropped.
    assertArrayEquals(new int[] {1, 5}, new DistributedSampler(10, 4, 1, false, 0, true).indices());
    assertEquals(2, new DistributedSampler(10, 4, 1, false, 0, true).size());
    // Padding longer than the dataset repeats it: 2 indices on 5 replicas.
    assertArrayEquals(new int[] {0}, new DistributedSampler(2, 5, 4, false, 0, false).indices());
    assertEquals(0, new DistributedSampler(0, 2, 1, true, 0, false).indices().length);
  }

  @Test
  void shufflingIsOnePermutationSharedByTheRanksAndChangesWithTheEpoch() {
    int[] e0 = concat(12, 3, true, false, 0);
    int[] sorted = e0.clone();
    Arrays.sort(sorted);
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, sorted,
        "the shards are disjoint and cover the dataset");
    assertNotEquals(Arrays.toString(e0), Arrays.toString(concat(12, 3, true, false, 1)));
    assertArrayEquals(e0, concat(12, 3, true, false, 0), "same seed and epoch, same order");
    DistributedSampler s = new DistributedSampler(12, 3, 1, true, 3, false);
    s.setEpoch(1);
    assertArrayEquals(s.indices(1), s.indices());
  }

  @Test
  void badRanksRaise() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DistributedSampler(10, 2, 2, true, 0, false));
    assertTrue(e.getMessage().contains("invalid rank 2"), e.getMessage());
  }

  @Test
  void aDataLoaderReadsItsShard() {
    long[] y = new long[9];
    for (int i = 0; i < 9; i++) {
      y[i] = i;
    }
    TensorDataset ds = new TensorDataset(Tensor.of(y, 9), Tensor.of(y, 9));
    DistributedSampler s = new DistributedSampler(9, 2, 1, false, 0, false);
    try (DataLoader<Tensor[]> loader = DataLoader.builder(ds).batchSize(2).sampler(s).build()) {
      List<Long> seen = new ArrayList<>();
      for (Tensor[] b : loader) {
        for (long v : b[1].toLongArray()) {
          seen.add(v);
        }
      }
      assertEquals(List.of(1L, 3L, 5L, 7L, 0L), seen);
    }
  }

  @Test
  void collectivesBeforeInitSayWhatToDo() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Distributed.allReduce(Tensor.ones(2)));
    assertTrue(e.getMessage().startsWith("allReduce: the default process group is not initialized;"
        + " call Distributed.init(\"mpi\") first"), e.getMessage());
    assertTrue(e.getMessage().contains("mpirun -np N"), e.getMessage());
    assertThrows(IllegalStateException.class, Distributed::rank);
    assertThrows(IllegalStateException.class, () -> new DistributedSampler(10));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> Distributed.init("gloo"));
    assertTrue(unknown.getMessage().contains("\"mpi\""), unknown.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> Distributed.init("mpi", java.time.Duration.ZERO));
    assertTrue(zero.getMessage().contains("timeout must be positive"), zero.getMessage());
    assertThrows(IllegalStateException.class, () -> Distributed.setCheckCalls(false));
    assertFalse(Distributed.isInitialized());
  }
}
