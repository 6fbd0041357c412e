package dev.ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
  /** x[i] = [i, 10i, 100i] (float32), y[i] = i (int64). */
  private static TensorDataset ramp(int n) {
    float[] x = new float[n * 3];
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      x[3 * i] = i;
      x[3 * i + 1] = 10 * i;
      x[3 * i + 2] = 100 * i;
      y[i] = i;
    }
    return new TensorDataset(Tensor.of(x, n, 3), Tensor.of(y, n));
  }

  private static List<long[]> labelsOf(Iterable<Tensor[]> batches) {
    List<long[]> out = new ArrayList<>();
    for (Tensor[] b : batches) {
      out.add(b[1].toLongArray());
    }
    return out;
  }

  @Test
  void tensorDatasetIndexesAlongDimZero() {
    TensorDataset ds = ramp(4);
    Tensor[] e = ds.get(2);
    assertArrayEquals(new float[] {2, 20, 200}, e[0].toFloatArray());
    assertEquals(0, e[1].dim());
    assertEquals(2, e[1].item());
    assertThrows(IndexOutOfBoundsException.class, () -> ds.get(4));
    assertThrows(IllegalArgumentException.class,
        () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4)));
    assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.scalar(1)));
    assertThrows(IllegalArgumentException.class, TensorDataset::new);
  }

  @Test
  void batchesInOrderWithAPartialLastBatchUnlessDropped() {
    TensorDataset ds = ramp(10);
    try (DataLoader<Tensor[]> loader = DataLoader.of(ds, 4)) {
      assertEquals(3, loader.size());
      List<Tensor[]> batches = new ArrayList<>();
      loader.forEach(batches::add);
      assertEquals(3, batches.size());
      assertArrayEquals(new int[] {4, 3}, batches.get(0)[0].shapeArray());
      assertEquals(DType.FLOAT32, batches.get(0)[0].dtype());
      assertEquals(DType.INT64, batches.get(0)[1].dtype());
      assertArrayEquals(new float[] {4, 40, 400, 5, 50, 500, 6, 60, 600, 7, 70, 700},
          batches.get(1)[0].toFloatArray());
      assertArrayEquals(new long[] {8, 9}, batches.get(2)[1].toLongArray());
    }
    try (DataLoader<Tensor[]> loader = DataLoader.builder(ds).batchSize(4).dropLast(true).build()) {
      assertEquals(2, loader.size());
      assertEquals(2, labelsOf(loader).size());
    }
  }

  @Test
  void shuffleIsAPermutationFixedBySeedAndEpoch() {
    TensorDataset ds = ramp(50);
    DataLoader<Tensor[]> a = DataLoader.builder(ds).batchSize(8).shuffle(true).seed(7).build();
    DataLoader<Tensor[]> b = DataLoader.builder(ds).batchSize(8).shuffle(true).seed(7).prefetch(0).build();
    DataLoader<Tensor[]> c = DataLoader.builder(ds).batchSize(8).shuffle(true).seed(8).build();
    List<long[]> a0 = labelsOf(a);
    List<long[]> a1 = labelsOf(a);
    List<long[]> b0 = labelsOf(b);
    List<long[]> c0 = labelsOf(c);
    assertEquals(2, a.epoch());
    assertTrue(sameBatches(a0, b0), "same seed, same epoch: same batches, threaded or not");
    assertFalse(sameBatches(a0, a1), "a new epoch reshuffles");
    assertFalse(sameBatches(a0, c0), "another seed, another order");
    Set<Long> seen = new HashSet<>();
    a0.forEach(l -> Arrays.stream(l).forEach(seen::add));
    assertEquals(50, seen.size(), "every example exactly once");
    // Resuming: setEpoch(1) replays epoch 1.
    b.setEpoch(1);
    assertTrue(sameBatches(a1, labelsOf(b)));
    assertArrayEquals(a.order(1), b.order(1));
    a.close();
    b.close();
    c.close();
  }

  private static boolean sameBatches(List<long[]> x, List<long[]> y) {
    if (x.size() != y.size()) {
      return false;
    }
    for (int i = 0; i < x.size(); i++) {
      if (!Arrays.equals(x.get(i), y.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Test
  void fastGatherEqualsStackingExamples() {
    TensorDataset ds = ramp(12);
    int[] idx = {5, 0, 11, 3};
    Tensor[] fast = ds.getBatch(idx);
    List<Tensor[]> examples = new ArrayList<>();
    for (int i : idx) {
      examples.add(ds.get(i));
    }
    Tensor[] stacked = DataLoader.stack(examples);
    for (int k = 0; k < 2; k++) {
      assertEquals(stacked[k].shape(), fast[k].shape());
      assertEquals(stacked[k].dtype(), fast[k].dtype());
      assertArrayEquals(stacked[k].toDoubleArray(), fast[k].toDoubleArray());
    }
    // A subset of a TensorDataset batches the same way as its examples.
    Subset<Tensor[]> sub = new Subset<>(ds, new int[] {9, 8, 7});
    Dataset<Tensor[]> plain = new Dataset<>() {
      @Override
      public int size() {
        return sub.size();
      }

      @Override
      public Tensor[] get(int i) {
        return sub.get(i);
      }
    };
    try (DataLoader<Tensor[]> l1 = DataLoader.of(sub, 2); DataLoader<Tensor[]> l2 = DataLoader.of(plain, 2)) {
      assertTrue(sameBatches(labelsOf(l1), labelsOf(l2)));
      assertArrayEquals(new long[] {9, 8}, labelsOf(l1).get(0));
    }
  }

  @Test
  void customCollateReceivesTheExamplesOfABatch() {
    Dataset<String> words = new Dataset<>() {
      private final String[] w = {"a", "b", "c", "d", "e"};

      @Override
      public int size() {
        return w.length;
      }

      @Override
      public String get(int i) {
        return w[i];
      }
    };
    try (DataLoader<String> loader = DataLoader.builder(words, (List<String> l) -> String.join("", l))
        .batchSize(2).build()) {
      List<String> out = new ArrayList<>();
      loader.forEach(out::add);
      assertEquals(List.of("ab", "cd", "e"), out);
    }
  }

  @Test
  void loadingOverlapsTheConsumerAndIsBounded() throws InterruptedException {
    AtomicInteger loaded = new AtomicInteger();
    CountDownLatch threeLoaded = new CountDownLatch(3);
    Dataset<Integer> counting = new Dataset<>() {
      @Override
      public int size() {
        return 100;
      }

      @Override
      public Integer get(int i) {
        loaded.incrementAndGet();
        threeLoaded.countDown();
        return i;
      }
    };
    try (DataLoader<Integer> loader = DataLoader.builder(counting, (List<Integer> l) -> l.get(0))
        .batchSize(1).prefetch(2).build()) {
      DataLoader.BatchIterator<Integer> it = loader.iterator();
      assertEquals(0, it.next());
      // While the consumer "trains", the worker loads ahead, but only up to the queue's bound.
      assertTrue(threeLoaded.await(5, TimeUnit.SECONDS), "the worker loads ahead");
      Thread.sleep(200);
      int ahead = loaded.get();
      assertTrue(ahead >= 3 && ahead <= 4, "bounded prefetch, loaded " + ahead);
      it.close();
      assertFalse(it.hasNext());
    }
  }

  @Test
  void loadingErrorsReachTheConsumer() {
    Dataset<Integer> failing = new Dataset<>() {
      @Override
      public int size() {
        return 10;
      }

      @Override
      public Integer get(int i) {
        if (i == 5) {
          throw new IllegalStateException("broken example " + i);
        }
        return i;
      }
    };
    for (int prefetch : new int[] {0, 2}) {
      try (DataLoader<Integer> loader = DataLoader.builder(failing, (List<Integer> l) -> l.get(0))
          .batchSize(2).prefetch(prefetch).build()) {
        DataLoader.BatchIterator<Integer> it = loader.iterator();
        assertEquals(0, it.next());
        assertEquals(2, it.next());
        IllegalStateException e = assertThrows(IllegalStateException.class, it::next);
        assertEquals("broken example 5", e.getMessage());
      }
    }
  }

  @Test
  void closingStopsWorkersAndRejectsNewIterators() throws InterruptedException {
    TensorDataset ds = ramp(1000);
    DataLoader<Tensor[]> loader = DataLoader.builder(ds).batchSize(1).prefetch(1).build();
    DataLoader.BatchIterator<Tensor[]> it = loader.iterator();
    it.next();
    long before = workerThreads();
    assertTrue(before >= 1, "a worker runs");
    loader.close();
    assertFalse(it.hasNext());
    assertThrows(IllegalStateException.class, loader::iterator);
    for (int i = 0; i < 50 && workerThreads() >= before; i++) {
      Thread.sleep(20);
    }
    assertTrue(workerThreads() < before, "the worker stopped");
  }

  private static long workerThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("ember-dataloader-") && t.isAlive()).count();
  }

  @Test
  void randomSplitIsDisjointCompleteAndSeeded() {
    TensorDataset ds = ramp(23);
    List<Subset<Tensor[]>> parts = Dataset.randomSplit(ds, new int[] {15, 5, 3}, 42);
    assertEquals(List.of(15, 5, 3), parts.stream().map(Subset::size).toList());
    Set<Integer> all = new HashSet<>();
    for (Subset<Tensor[]> p : parts) {
      for (int i : p.indices()) {
        assertTrue(all.add(i));
      }
    }
    assertEquals(23, all.size());
    assertArrayEquals(parts.get(0).indices(), Dataset.randomSplit(ds, new int[] {15, 5, 3}, 42).get(0).indices());
    assertNotEquals(Arrays.toString(parts.get(0).indices()),
        Arrays.toString(Dataset.randomSplit(ds, new int[] {15, 5, 3}, 43).get(0).indices()));
    Subset<Tensor[]> first = parts.get(0);
    assertEquals(first.indices()[2], (long) first.get(2)[1].item());
    List<Subset<Tensor[]>> byFraction = Dataset.randomSplit(ds, new double[] {0.8, 0.2}, 1);
    assertEquals(List.of(19, 4), byFraction.stream().map(Subset::size).toList());
    assertThrows(IllegalArgumentException.class, () -> Dataset.randomSplit(ds, new int[] {20, 2}, 1));
    assertThrows(IllegalArgumentException.class, () -> Dataset.randomSplit(ds, new double[] {0.5, 0.4}, 1));
    assertSame(ds, first.dataset());
  }

  @Test
  void aSamplerOrdersEachEpochAndGetsTheLoadersEpoch() {
    List<Long> epochsSeen = new ArrayList<>();
    Sampler reversedEvenIndices = new Sampler() {
      @Override
      public int size() {
        return 5;
      }

      @Override
      public int[] indices(long epoch) {
        epochsSeen.add(epoch);
        return new int[] {8, 6, 4, 2, 0};
      }
    };
    try (DataLoader<Tensor[]> loader = DataLoader.builder(ramp(10)).batchSize(2)
        .sampler(reversedEvenIndices).prefetch(0).build()) {
      assertEquals(3, loader.size());
      List<long[]> labels = labelsOf(loader);
      assertArrayEquals(new long[] {8, 6}, labels.get(0));
      assertArrayEquals(new long[] {4, 2}, labels.get(1));
      assertArrayEquals(new long[] {0}, labels.get(2));
      labelsOf(loader);
      assertEquals(List.of(0L, 1L), epochsSeen);
    }
  }

  @Test
  void aSamplerIsCheckedAndExcludesShuffle() {
    Sampler outOfRange = new Sampler() {
      @Override
      public int size() {
        return 1;
      }

      @Override
      public int[] indices(long epoch) {
        return new int[] {10};
      }
    };
    IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
        () -> DataLoader.builder(ramp(10)).sampler(outOfRange).shuffle(true).build());
    assertTrue(both.getMessage().contains("mutually exclusive"), both.getMessage());
    try (DataLoader<Tensor[]> loader = DataLoader.builder(ramp(10)).sampler(outOfRange).build()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> loader.order(0));
      assertTrue(e.getMessage().contains("index 10 outside the dataset of 10"), e.getMessage());
    }
  }
}
