package dev.ember.data;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Shaping;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Batches of a dataset, optionally shuffled, loaded ahead on a background thread while the
 * training step runs ({@code torch.utils.data.DataLoader}).
 *
 * <pre>{@code
 * try (DataLoader<Tensor[]> loader = DataLoader.builder(train)
 *     .batchSize(64).shuffle(true).seed(42).dropLast(true).build()) {
 *   for (int epoch = 0; epoch < 10; epoch++) {
 *     for (Tensor[] batch : loader) {           // batch[0]: [64, 1, 28, 28], batch[1]: [64]
 *       ...
 *     }
 *   }
 * }
 * }</pre>
 *
 * <p><b>Order.</b> Each call of {@link #iterator()} runs one epoch and then advances {@link
 * #epoch()}. With shuffling, the order is a permutation determined only by the seed and the epoch
 * number, so a resumed run that calls {@link #setEpoch} sees the same batches as an uninterrupted
 * one. Without a seed the loader draws one from {@link Generator#global()} when built, so {@code
 * Tensor.manualSeed(s)} makes it reproducible too.
 *
 * <p><b>Collation.</b> The default collate function stacks each field of the examples along a new
 * dim 0 ({@link #stack}); for a {@link TensorDataset}, or a {@link Subset} of one, it gathers the
 * batch with one {@code indexSelect} per tensor instead, with the same result.
 *
 * <p><b>Background loading.</b> With {@code prefetch(n)}, {@code n > 0} (default 2), a daemon
 * thread builds up to {@code n} batches ahead into a bounded queue, so loading overlaps the
 * training step; {@code prefetch(0)} loads each batch in the caller's thread. An exception thrown
 * while loading is rethrown by the iterator's {@code next()} at that batch. An iterator left
 * unfinished stops its thread when closed, when the loader is closed, or when it is garbage
 * collected.
 *
 * @param <B> the type of one batch, {@code Tensor[]} by default
 * @since 0.1
 */
public final class DataLoader<B> implements Iterable<B>, AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Dataset<?> dataset;
  private final Function<List<Object>, B> collate;
  private final boolean defaultCollate;
  private final int batchSize;
  private final boolean shuffle;
  private final long seed;
  private final boolean dropLast;
  private final int prefetch;
  private final Sampler sampler;
  private final Set<Worker> live = ConcurrentHashMap.newKeySet();
  private long epoch;
  private volatile boolean closed;

  @SuppressWarnings("unchecked")
  private DataLoader(Builder<?, B> b) {
    this.dataset = b.dataset;
    this.collate = (Function<List<Object>, B>) (Function<?, ?>) b.collate;
    this.defaultCollate = b.collate == null;
    this.batchSize = b.batchSize;
    this.shuffle = b.shuffle;
    this.seed = b.seedSet ? b.seed : mix(Generator.global().seed(), Generator.global().reserve(1));
    this.dropLast = b.dropLast;
    this.prefetch = b.prefetch;
    this.sampler = b.sampler;
  }

  /**
   * Returns a builder for a loader whose batches are the examples' tensors stacked along a new dim
   * 0 (the default collate function).
   */
  public static Builder<Tensor[], Tensor[]> builder(Dataset<Tensor[]> dataset) {
    return new Builder<>(dataset, null);
  }

  /**
   * Returns a builder for a loader whose batches are made by {@code collate} from the list of a
   * batch's examples.
   */
  public static <T, B> Builder<T, B> builder(Dataset<T> dataset, Function<List<T>, B> collate) {
    if (collate == null) {
      throw new IllegalArgumentException("dataloader: null collate function");
    }
    return new Builder<>(dataset, collate);
  }

  /**
   * Returns a loader of {@code dataset} in order, {@code batchSize} examples per batch (the last one
   * possibly smaller), stacked, with background loading.
   */
  public static DataLoader<Tensor[]> of(Dataset<Tensor[]> dataset, int batchSize) {
    return builder(dataset).batchSize(batchSize).build();
  }

  /**
   * Stacks examples field by field: returns {@code {stack(e[0][0], e[1][0], ...), stack(e[0][1],
   * ...), ...}}, each along a new dim 0. The default collate function.
   *
   * @throws IllegalArgumentException if the list is empty, the examples have different numbers of
   *     fields, or a field's shapes differ
   */
  public static Tensor[] stack(List<Tensor[]> examples) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("collate: no examples to stack");
    }
    int fields = examples.get(0).length;
    Tensor[] out = new Tensor[fields];
    for (int k = 0; k < fields; k++) {
      List<Tensor> column = new ArrayList<>(examples.size());
      for (Tensor[] e : examples) {
        if (e.length != fields) {
          throw new IllegalArgumentException("collate: examples have " + fields + " and " + e.length
              + " fields");
        }
        column.add(e[k]);
      }
      out[k] = Shaping.stack(column, 0);
    }
    return out;
  }

  /** Returns the number of batches in one epoch. */
  public int size() {
    int n = sampler != null ? sampler.size() : dataset.size();
    return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  /** Returns the batch size. */
  public int batchSize() {
    return batchSize;
  }

  /** Returns the seed the shuffled order is derived from. */
  public long seed() {
    return seed;
  }

  /** Returns the epoch the next {@link #iterator()} will run. */
  public synchronized long epoch() {
    return epoch;
  }

  /** Sets the epoch the next {@link #iterator()} will run, e.g. when resuming from a checkpoint. */
  public synchronized void setEpoch(long newEpoch) {
    if (newEpoch < 0) {
      throw new IllegalArgumentException("dataloader: negative epoch " + newEpoch);
    }
    this.epoch = newEpoch;
  }

  /**
   * Returns the order in which epoch {@code e} visits the examples: the sampler's indices for {@code
   * e} if one was set, else {@code 0..size-1}, or with shuffling a permutation determined by the seed
   * and {@code e}.
   *
   * @throws IllegalStateException if the sampler returns the wrong number of indices or one outside
   *     the dataset
   */
  public int[] order(long e) {
    if (sampler != null) {
      int[] idx = sampler.indices(e);
      if (idx.length != sampler.size()) {
        throw new IllegalStateException("dataloader: the sampler returned " + idx.length
            + " indices for epoch " + e + " but its size() is " + sampler.size());
      }
      for (int i : idx) {
        if (i < 0 || i >= dataset.size()) {
          throw new IllegalStateException("dataloader: the sampler returned index " + i
              + " outside the dataset of " + dataset.size() + " examples");
        }
      }
      return idx;
    }
    int n = dataset.size();
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    if (shuffle) {
      SplittableRandom rng = new SplittableRandom(mix(seed, e));
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = p[i];
        p[i] = p[j];
        p[j] = t;
      }
    }
    return p;
  }

  /**
   * Returns an iterator over the batches of epoch {@link #epoch()} and advances the epoch. Close it
   * (or finish it) to stop its loading thread early.
   *
   * @throws IllegalStateException if the loader is closed
   */
  @Override
  public BatchIterator<B> iterator() {
    long e;
    synchronized (this) {
      e = epoch++;
    }
    return iterator(e);
  }

  /**
   * Returns an iterator over the batches of epoch {@code e}, leaving {@link #epoch()} unchanged.
   *
   * @throws IllegalStateException if the loader is closed
   */
  public BatchIterator<B> iterator(long e) {
    if (closed) {
      throw new IllegalStateException("dataloader: iterator() after close()");
    }
    return new BatchIterator<>(this, e);
  }

  /** Stops every unfinished iterator's loading thread; later {@link #iterator()} calls fail. */
  @Override
  public void close() {
    closed = true;
    for (Worker w : live) {
      w.run();
    }
  }

  private B load(int[] order, int batch) {
    int from = batch * batchSize;
    int to = Math.min(from + batchSize, order.length);
    int[] idx = Arrays.copyOfRange(order, from, to);
    if (defaultCollate) {
      Tensor[] fast = gather(dataset, idx);
      if (fast != null) {
        @SuppressWarnings("unchecked")
        B b = (B) fast;
        return b;
      }
      List<Tensor[]> examples = new ArrayList<>(idx.length);
      for (int i : idx) {
        examples.add((Tensor[]) dataset.get(i));
      }
      @SuppressWarnings("unchecked")
      B b = (B) stack(examples);
      return b;
    }
    List<Object> examples = new ArrayList<>(idx.length);
    for (int i : idx) {
      examples.add(dataset.get(i));
    }
    return collate.apply(examples);
  }

  /** Gathers a batch directly from a TensorDataset (possibly through Subsets), else null. */
  private static Tensor[] gather(Dataset<?> ds, int[] idx) {
    Dataset<?> d = ds;
    int[] at = idx;
    while (d instanceof Subset<?> s) {
      int[] mapped = new int[at.length];
      for (int i = 0; i < at.length; i++) {
        mapped[i] = s.baseIndex(at[i]);
      }
      at = mapped;
      d = s.dataset();
    }
    return d instanceof TensorDataset t ? t.getBatch(at) : null;
  }

  static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  // ------------------------------------------------------------------------------------ iteration

  /**
   * One epoch's batches. Not thread-safe: consume it from one thread. Closing it stops its loading
   * thread; closing is idempotent.
   *
   * @param <B> the type of one batch
   */
  public static final class BatchIterator<B> implements Iterator<B>, AutoCloseable {
    private final DataLoader<B> loader;
    private final int[] order;
    private final int batches;
    private final Worker worker;
    private final Cleaner.Cleanable cleanable;
    private int next;

    private BatchIterator(DataLoader<B> loader, long epoch) {
      this.loader = loader;
      this.order = loader.order(epoch);
      this.batches = loader.size();
      if (loader.prefetch > 0 && batches > 0) {
        this.worker = new Worker(loader, order, batches);
        loader.live.add(worker);
        // The worker references only its own state, never this iterator, so an abandoned iterator
        // can be collected and its thread stopped.
        this.cleanable = CLEANER.register(this, worker);
        worker.start();
      } else {
        this.worker = null;
        this.cleanable = null;
      }
    }

    @Override
    public boolean hasNext() {
      if (next >= batches) {
        return false;
      }
      return worker == null || !worker.closed;
    }

    @Override
    public B next() {
      if (!hasNext()) {
        throw new NoSuchElementException("dataloader: no more batches in this epoch");
      }
      int k = next++;
      if (worker == null) {
        return loader.load(order, k);
      }
      Object item = worker.take();
      if (next >= batches) {
        close();
      }
      if (item instanceof Failure f) {
        close();
        throw f.rethrow();
      }
      @SuppressWarnings("unchecked")
      B b = (B) item;
      return b;
    }

    /** Returns how many batches this epoch has. */
    public int batches() {
      return batches;
    }

    @Override
    public void close() {
      if (cleanable != null) {
        cleanable.clean();
      }
    }
  }

  /** A loading failure, carried through the queue to the consumer. */
  private record Failure(Throwable error, int batch) {
    RuntimeException rethrow() {
      if (error instanceof RuntimeException r) {
        throw r;
      }
      if (error instanceof Error e) {
        throw e;
      }
      return new IllegalStateException("dataloader: loading batch " + batch + " failed: " + error, error);
    }
  }

  /** The background thread and its queue; also the iterator's cleaning action. */
  private static final class Worker implements Runnable {
    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private final Set<Worker> live;
    private volatile boolean closed;

    Worker(DataLoader<?> loader, int[] order, int batches) {
      this.queue = new ArrayBlockingQueue<>(loader.prefetch);
      this.live = loader.live;
      this.thread = new Thread(() -> produce(loader, order, batches),
          "ember-dataloader-" + THREADS.incrementAndGet());
      this.thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void produce(DataLoader<?> loader, int[] order, int batches) {
      try {
        for (int k = 0; k < batches && !closed; k++) {
          Object item;
          try {
            item = loader.load(order, k);
          } catch (Throwable t) {
            item = new Failure(t, k);
          }
          while (!closed && !queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
            // The queue is full: the consumer is busy with the training step. Retry until there is
            // room or the iterator is closed.
          }
          if (item instanceof Failure) {
            return;
          }
        }
      } catch (InterruptedException e) {
        // close() interrupts a worker blocked on the queue; just stop.
      } finally {
        live.remove(this);
      }
    }

    Object take() {
      try {
        while (true) {
          Object item = queue.poll(100, TimeUnit.MILLISECONDS);
          if (item != null) {
            return item;
          }
          if (closed) {
            throw new IllegalStateException("dataloader: iterator used after close()");
          }
          if (!thread.isAlive() && queue.isEmpty()) {
            throw new IllegalStateException("dataloader: loading thread died without a batch");
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("dataloader: interrupted while waiting for a batch", e);
      }
    }

    /** Stops the thread and drops queued batches; runs at most once through the Cleaner. */
    @Override
    public void run() {
      closed = true;
      thread.interrupt();
      queue.clear();
      live.remove(this);
    }
  }

  // ------------------------------------------------------------------------------------ builder

  /**
   * Configures a {@link DataLoader}. Defaults: batch size 1, no shuffling, keep the last partial
   * batch, prefetch 2 batches on a background thread.
   *
   * @param <T> the type of one example
   * @param <B> the type of one batch
   */
  public static final class Builder<T, B> {
    private final Dataset<T> dataset;
    private final Function<List<T>, B> collate;
    private int batchSize = 1;
    private boolean shuffle;
    private long seed;
    private boolean seedSet;
    private boolean dropLast;
    private int prefetch = 2;
    private Sampler sampler;

    private Builder(Dataset<T> dataset, Function<List<T>, B> collate) {
      if (dataset == null) {
        throw new IllegalArgumentException("dataloader: null dataset");
      }
      this.dataset = dataset;
      this.collate = collate;
    }

    /**
     * Sets the number of examples per batch; returns {@code this}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<T, B> batchSize(int size) {
      if (size <= 0) {
        throw new IllegalArgumentException("dataloader: batch size must be positive, got " + size);
      }
      this.batchSize = size;
      return this;
    }

    /** Sets whether each epoch visits the examples in a fresh random order; returns {@code this}. */
    public Builder<T, B> shuffle(boolean on) {
      this.shuffle = on;
      return this;
    }

    /** Sets the seed the shuffled orders derive from; returns {@code this}. */
    public Builder<T, B> seed(long s) {
      this.seed = s;
      this.seedSet = true;
      return this;
    }

    /** Sets whether to drop a last batch smaller than the batch size; returns {@code this}. */
    public Builder<T, B> dropLast(boolean on) {
      this.dropLast = on;
      return this;
    }

    /**
     * Sets how many batches the background thread may prepare ahead; 0 loads in the caller's thread.
     * Returns {@code this}.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder<T, B> prefetch(int batches) {
      if (batches < 0) {
        throw new IllegalArgumentException("dataloader: prefetch must be >= 0, got " + batches);
      }
      this.prefetch = batches;
      return this;
    }

    /**
     * Sets the sampler that orders each epoch's examples (e.g. a {@code DistributedSampler});
     * returns {@code this}. Excludes {@link #shuffle}, as in PyTorch.
     */
    public Builder<T, B> sampler(Sampler s) {
      if (s == null) {
        throw new IllegalArgumentException("dataloader: null sampler");
      }
      this.sampler = s;
      return this;
    }

    /**
     * Returns the loader.
     *
     * @throws IllegalArgumentException if both a sampler and shuffling were set
     */
    public DataLoader<B> build() {
      if (sampler != null && shuffle) {
        throw new IllegalArgumentException("dataloader: sampler option is mutually exclusive with shuffle"
            + " (let the sampler shuffle, e.g. a RandomSampler)");
      }
      return new DataLoader<>(this);
    }
  }
}
