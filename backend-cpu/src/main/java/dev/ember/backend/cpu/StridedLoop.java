package dev.ember.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Walks the elements of up to four strided operands of one shape in row-major order, handing the
 * innermost dimension to a body as one run of {@code n} elements with per-operand strides. Dims
 * that are contiguous across all operands are merged first, so a contiguous tensor is one run.
 * Large iterations are split across the cores when the caller says the body is thread-safe.
 *
 * <p><b>Splitting.</b> A parallel loop is cut into one piece per thread ({@link #runPieces}) that
 * the calling thread and the pool's workers claim from a shared counter, so a worker that wakes late
 * (a busy machine, OpenBLAS threads still spinning) finds its piece taken by one that did not,
 * instead of holding the loop back with its fixed half; the caller, already running, usually takes
 * the first piece ({@link #CALLER_RUNS}).
 */
final class StridedLoop {
  /**
   * Below this many elements a loop runs on the calling thread: smaller splits lose more to waking
   * workers (and to OpenBLAS threads still spinning after a GEMM) than they gain.
   */
  static final long PARALLEL_THRESHOLD = Long.getLong("ember.cpu.parallelThreshold", 1L << 18);
  /**
   * The threshold for loops whose elements cost about ten times a copy's (exp, tanh, sigmoid, GELU,
   * log on the vector kernels): 32,768 elements, PyTorch's grain size.
   */
  static final long COSTLY_PARALLEL_THRESHOLD = Long.getLong("ember.cpu.costlyParallelThreshold",
      Math.max(1, PARALLEL_THRESHOLD / 8));
  static final int THREADS = Integer.getInteger("ember.cpu.threads",
      Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8)));
  private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;
  /**
   * Pieces per thread of a split loop. One: with pieces of about 16k elements (up to 64) ReLU on 800k
   * floats measured 195-250 against 165-183 us and exp on 1M 867 against 687-730 us (JMH, quiet box).
   */
  private static final int PIECES_PER_THREAD = Integer.getInteger("ember.cpu.piecesPerThread", 1);
  /**
   * Whether the calling thread claims pieces beside the pool's workers ({@code -Dember.cpu.callerRuns=false}
   * leaves them to the workers while the caller parks). On by default: the caller takes the first
   * piece before the worker it woke is running, so it loses no wake-up of its own, and it works on the
   * same rows as oneDNN's OpenMP master (the calling thread too), so less data moves between the two
   * cores. Measured in one JVM, alternating the two settings second by second (2 vCPUs, Zen 2): W2's
   * step 4.8-5.3 against 5.5-6.3 ms and W3's 8.8-9.2 against 10.1-11.2 while the host ran the two vCPUs
   * apart (cache-line round trip 400-570 ns; {@code dev.ember.bench.CoreDistance}), about the same while
   * it ran them close (60-70 ns); tanh on 1M floats 930-980 against 1,070-1,320 us, the mean of 1M
   * floats forward + backward 164-181 against 236-298. (At load 3-7 in an earlier round the caller
   * measured worse, a busy caller competing with the worker it had just woken.)
   */
  static final boolean CALLER_RUNS = !"false".equalsIgnoreCase(System.getProperty("ember.cpu.callerRuns"));
  /**
   * How long a caller that ran pieces itself spins for the last piece before it parks ({@code
   * -Dember.cpu.callerSpinMicros}): its own piece done, the worker's is about as long, and being
   * woken from park costs another wake-up (10-20 us on this VM).
   */
  static final long CALLER_SPIN_NANOS = 1000L * Long.getLong("ember.cpu.callerSpinMicros", 50);

  /** The innermost run: element k of operand j is at {@code oj + k * sj}. */
  @FunctionalInterface
  interface Body {
    void run(int o0, int s0, int o1, int s1, int o2, int s2, int n);
  }

  /** The innermost run over four operands. */
  @FunctionalInterface
  interface Body4 {
    void run(int o0, int s0, int o1, int s1, int o2, int s2, int o3, int s3, int n);
  }

  private interface Runs {
    void run(long[] pos, int[] innerStrides, int n);
  }

  private StridedLoop() {}

  /** Iterates over {@code shape}; {@code strides[j]} and {@code offsets[j]} describe operand j. */
  static void forEach(int[] shape, int[][] strides, long[] offsets, Body body) {
    iterate(shape, strides, offsets, Long.MAX_VALUE, adapt(strides.length, body), body);
  }

  /** Like {@link #forEach} but may run pieces on several threads: the body must be thread-safe. */
  static void forEachParallel(int[] shape, int[][] strides, long[] offsets, Body body) {
    forEachParallel(shape, strides, offsets, PARALLEL_THRESHOLD, body);
  }

  /**
   * Like {@link #forEachParallel(int[], int[][], long[], Body)}, split from {@code threshold}
   * elements on ({@link #COSTLY_PARALLEL_THRESHOLD} for bodies that cost much more than a copy).
   */
  static void forEachParallel(int[] shape, int[][] strides, long[] offsets, long threshold, Body body) {
    iterate(shape, strides, offsets, threshold, adapt(strides.length, body), body);
  }

  /** Iterates four operands over {@code shape}, possibly in parallel (thread-safe body). */
  static void forEach4(int[] shape, int[][] strides, long[] offsets, Body4 body) {
    iterate(shape, strides, offsets, PARALLEL_THRESHOLD, (p, s, n) -> body.run((int) p[0], s[0], (int) p[1], s[1],
        (int) p[2], s[2], (int) p[3], s[3], n), null);
  }

  private static Runs adapt(int ops, Body body) {
    return (p, s, n) -> body.run((int) p[0], s[0], ops > 1 ? (int) p[1] : 0, ops > 1 ? s[1] : 0,
        ops > 2 ? (int) p[2] : 0, ops > 2 ? s[2] : 0, n);
  }

  /**
   * A loop's dims after merging: the first {@code rank} entries of {@code shape} and of each
   * operand's {@code strides} are the kept dims (at least one), outermost first.
   */
  record Merged(int[] shape, int[][] strides, int rank) {}

  /**
   * Drops size-1 dims and merges dim d into the previous kept dim when every operand steps over it
   * exactly as a run, so a contiguous tensor becomes one dim.
   */
  static Merged merge(int[] shape, int[][] strides) {
    int ops = strides.length;
    int rank = shape.length;
    int[] sh = new int[Math.max(rank, 1)];
    int[][] st = new int[ops][Math.max(rank, 1)];
    int r = 0;
    for (int d = 0; d < rank; d++) {
      if (shape[d] == 1) {
        continue;
      }
      if (r > 0) {
        // A merged run must still count its elements in an int: a broadcast view may have more.
        boolean merge = (long) sh[r - 1] * shape[d] <= Integer.MAX_VALUE;
        for (int j = 0; j < ops && merge; j++) {
          merge = st[j][r - 1] == strides[j][d] * shape[d];
        }
        if (merge) {
          sh[r - 1] *= shape[d];
          for (int j = 0; j < ops; j++) {
            st[j][r - 1] = strides[j][d];
          }
          continue;
        }
      }
      sh[r] = shape[d];
      for (int j = 0; j < ops; j++) {
        st[j][r] = strides[j][d];
      }
      r++;
    }
    if (r == 0) {
      sh[0] = 1;
      r = 1;
    }
    return new Merged(sh, st, r);
  }

  /** Iterates; splits across threads from {@code threshold} elements ({@link Long#MAX_VALUE}: never). */
  private static void iterate(int[] shape, int[][] strides, long[] offsets, long threshold, Runs body,
      Body direct) {
    int ops = strides.length;
    int rank = shape.length;
    long total = 1;
    for (int d : shape) {
      total *= d;
    }
    if (total == 0) {
      return;
    }
    Merged m = merge(shape, strides);
    int[] sh = m.shape();
    int[][] st = m.strides();
    int r = m.rank();
    int inner = sh[r - 1];
    int[] innerStrides = new int[ops];
    for (int j = 0; j < ops; j++) {
      innerStrides[j] = st[j][r - 1];
    }
    long outer = total / inner;
    if (POOL == null || total < threshold) {
      if (direct != null && r == 2) {
        // One outer dim (the common case after merging): call the body straight, without the
        // generic counter walk and its adapter, which cost more than a short run's work.
        long p0 = offsets[0];
        long p1 = ops > 1 ? offsets[1] : 0;
        long p2 = ops > 2 ? offsets[2] : 0;
        int d0 = st[0][0];
        int d1 = ops > 1 ? st[1][0] : 0;
        int d2 = ops > 2 ? st[2][0] : 0;
        int s0 = innerStrides[0];
        int s1 = ops > 1 ? innerStrides[1] : 0;
        int s2 = ops > 2 ? innerStrides[2] : 0;
        for (int it = 0; it < sh[0]; it++, p0 += d0, p1 += d1, p2 += d2) {
          direct.run((int) p0, s0, (int) p1, s1, (int) p2, s2, inner);
        }
        return;
      }
      walk(sh, st, r, offsets, 0, outer, inner, innerStrides, body);
      return;
    }
    final int rr = r;
    int wanted = THREADS * PIECES_PER_THREAD;
    if (outer >= THREADS) {
      int pieces = (int) Math.min(outer, wanted);
      runPieces(pieces, t -> walk(sh, st, rr, offsets, outer * t / pieces, outer * (t + 1) / pieces, inner,
          innerStrides, body));
    } else {
      // One long run (or a few): split the runs themselves.
      int pieces = wanted;
      runPieces(pieces, t -> {
        int from = (int) ((long) inner * t / pieces);
        int to = (int) ((long) inner * (t + 1) / pieces);
        for (long o = 0; o < outer; o++) {
          long[] pos = position(sh, st, rr, offsets, o);
          for (int j = 0; j < pos.length; j++) {
            pos[j] += (long) from * innerStrides[j];
          }
          body.run(pos, innerStrides, to - from);
        }
      });
    }
  }

  /** Piece {@code t} of a split loop. */
  @FunctionalInterface
  interface Piece {
    void run(int t);
  }

  /**
   * Runs {@code piece.run(t)} for every t in {@code [0, pieces)}, each exactly once, on the calling
   * thread and the pool's workers ({@link #CALLER_RUNS}), and returns when all
   * have finished. Pieces are claimed from a shared counter, so a worker that starts after the last
   * piece was claimed does nothing. The first exception a piece throws is rethrown here once every
   * claimed piece has finished.
   */
  static void runPieces(int pieces, Piece piece) {
    runPieces(pieces, piece, CALLER_RUNS);
  }

  /**
   * {@link #runPieces(int, Piece)}, the calling thread claiming pieces too when {@code callerRuns}
   * (false: it parks until the workers are done; the tests run both).
   */
  static void runPieces(int pieces, Piece piece, boolean callerRuns) {
    if (POOL == null || pieces < 2 || inPool()) {
      // A split inside a piece (a parallel kernel called from a parallel one) runs where it is: the
      // other workers are busy with the outer loop, and waiting for them could deadlock.
      for (int t = 0; t < pieces; t++) {
        piece.run(t);
      }
      return;
    }
    SplitRun run = new SplitRun(pieces, piece, Thread.currentThread());
    for (int w = Math.min(THREADS, pieces) - (callerRuns ? 1 : 0); w > 0; w--) {
      POOL.execute(run);
    }
    if (callerRuns) {
      run.run();
    }
    run.await(callerRuns ? CALLER_SPIN_NANOS : 0);
  }

  /**
   * Runs {@code piece.run(t)} for every t in {@code [0, pieces)} in one contiguous share of the range
   * per thread ({@link #runPieces} over the shares), the calling thread's first. oneDNN's OpenMP threads
   * write an elementwise result in contiguous shares too, the calling thread the first, so a loop over
   * such a result reads each share on the core that wrote it; pieces claimed one by one spread over
   * both shares (a sum of 1M floats in 16 chunks: sigmoid forward + backward 961-1,086 against 726-766
   * us with the two vCPUs on cores apart; docs/benchmarks.md, "eighth round").
   */
  static void runInShares(int pieces, Piece piece) {
    int shares = Math.min(pieces, THREADS);
    runPieces(shares, t -> {
      for (int p = (int) ((long) pieces * t / shares), end = (int) ((long) pieces * (t + 1) / shares); p < end; p++) {
        piece.run(p);
      }
    });
  }

  /** Whether the current thread is one of {@link #POOL}'s workers. */
  private static boolean inPool() {
    return Thread.currentThread() instanceof java.util.concurrent.ForkJoinWorkerThread w && w.getPool() == POOL;
  }

  /** The shared state of one {@link #runPieces} call; each pool worker given it runs {@link #run}. */
  private static final class SplitRun implements Runnable {
    private final int pieces;
    private final Piece piece;
    private final Thread caller;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile Throwable failure;

    SplitRun(int pieces, Piece piece, Thread caller) {
      this.pieces = pieces;
      this.piece = piece;
      this.caller = caller;
    }

    /** Claims and runs pieces until none are left. */
    @Override
    public void run() {
      for (int t = next.getAndIncrement(); t < pieces; t = next.getAndIncrement()) {
        try {
          piece.run(t);
        } catch (Throwable e) {
          if (failure == null) {
            failure = e;
          }
        } finally {
          if (finished.incrementAndGet() == pieces) {
            LockSupport.unpark(caller);
          }
        }
      }
    }

    /**
     * Waits (on the calling thread) until every piece has finished, spinning up to {@code spinNanos}
     * before it parks, then rethrows a failure.
     */
    void await(long spinNanos) {
      long deadline = spinNanos > 0 ? System.nanoTime() + spinNanos : 0;
      for (int spins = 0; finished.get() < pieces; spins++) {
        // 64 spins, then (with a spin time) the clock read every 64 spins until the deadline, then park.
        boolean spin = spins < 64 || deadline != 0 && ((spins & 63) != 0 || System.nanoTime() < deadline);
        if (spin) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      Throwable e = failure;
      if (e instanceof RuntimeException r) {
        throw r;
      }
      if (e instanceof Error err) {
        throw err;
      }
      if (e != null) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A range of rows {@code [from, to)}. */
  @FunctionalInterface
  interface Rows {
    void run(long from, long to);
  }

  /**
   * Runs {@code body} over rows {@code [0, rows)} of {@code rowLength} elements each, split across
   * the threads when there are {@link #PARALLEL_THRESHOLD} elements or more (row kernels: softmax,
   * layer norm).
   */
  static void forRows(long rows, long rowLength, Rows body) {
    if (POOL == null || rows < 2 || rows * rowLength < PARALLEL_THRESHOLD) {
      body.run(0, rows);
      return;
    }
    int pieces = (int) Math.min(rows, (long) THREADS * PIECES_PER_THREAD);
    runPieces(pieces, t -> body.run(rows * t / pieces, rows * (t + 1) / pieces));
  }

  /** A body over the independent items {@code [from, to)} of a range. */
  interface RangeBody {
    void run(int from, int to);
  }

  /**
   * Runs {@code body} over {@code [0, n)}, split into one piece per thread when the work (elements
   * touched) reaches {@link #PARALLEL_THRESHOLD}; the body must be thread-safe across pieces.
   */
  static void forRange(int n, long work, RangeBody body) {
    long perItem = n == 0 ? 0 : (work + n - 1) / n;
    forRows(n, perItem, (from, to) -> body.run((int) from, (int) to));
  }

  /** Returns the operands' positions at the start of outer run {@code o}. */
  private static long[] position(int[] sh, int[][] st, int r, long[] offsets, long o) {
    long[] pos = offsets.clone();
    long rem = o;
    for (int d = r - 2; d >= 0; d--) {
      long c = rem % sh[d];
      rem /= sh[d];
      for (int j = 0; j < pos.length; j++) {
        pos[j] += c * st[j][d];
      }
    }
    return pos;
  }

  private static void walk(int[] sh, int[][] st, int r, long[] offsets, long from, long to, int inner,
      int[] innerStrides, Runs body) {
    int ops = offsets.length;
    long[] pos = position(sh, st, r, offsets, from);
    int[] counter = new int[r];
    long rem = from;
    for (int d = r - 2; d >= 0; d--) {
      counter[d] = (int) (rem % sh[d]);
      rem /= sh[d];
    }
    for (long it = from; it < to; it++) {
      body.run(pos, innerStrides, inner);
      for (int d = r - 2; d >= 0; d--) {
        counter[d]++;
        for (int j = 0; j < ops; j++) {
          pos[j] += st[j][d];
        }
        if (counter[d] < sh[d]) {
          break;
        }
        for (int j = 0; j < ops; j++) {
          pos[j] -= (long) st[j][d] * sh[d];
        }
        counter[d] = 0;
      }
    }
  }
}
