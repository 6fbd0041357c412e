package dev.ember.distributed;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.ember.DType;
import dev.ember.Tensor;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The default process group and its collectives ({@code torch.distributed}), on Open MPI.
 *
 * <pre>{@code
 * // mpirun -np 4 java -cp ... Train
 * Distributed.init("mpi");                 // rank and world size come from the launcher
 * Tensor t = Tensor.ones(3).mul(Distributed.rank());
 * Distributed.allReduce(t, ReduceOp.SUM);  // every rank: [6, 6, 6]
 * Distributed.destroy();
 * }</pre>
 *
 * <p>Collectives work in place on tensors of every dtype (float32, float64, int64, int32, bool),
 * any shape (0-d and empty included), any strides and device. MPI reads and writes a contiguous CPU
 * tensor's own memory (no copy); other tensors (strided views, CUDA tensors: NCCL is not bound) are
 * staged through a direct host buffer ({@link #info()} says so). Every rank must call the same
 * collectives in the same order with tensors of the same shape and dtype, as in PyTorch; each
 * collective checks that first and raises a {@link DistributedException} naming every rank's call
 * on a mismatch ({@link #setCheckCalls}). The {@code *Async} forms return a {@link Work}; the
 * tensors must not be touched until its {@link Work#waitFor()} returned.
 *
 * <p><b>Failures never hang.</b> A collective that does not complete within the timeout (default
 * 1800 s as PyTorch; {@link #init(String, Duration)}, {@code -Dember.distributed.timeout=SECONDS}
 * or {@code EMBER_DIST_TIMEOUT}) prints which rank and operation waited and aborts the job. An
 * exception no thread catches on any rank prints the rank and the exception and calls {@code
 * MPI_Abort}, so the other ranks end at once instead of waiting for it; a rank that is killed is
 * seen by the launcher, which ends the job and names the rank.
 *
 * <p>Not thread-safe: call collectives from one thread per rank.
 */
public final class Distributed {
  private static final long DEFAULT_TIMEOUT_SECONDS = 1800;
  private static final Supplier<String> BARRIER = () -> "barrier";
  private static volatile MpiProcessGroup group;
  private static boolean destroyed;

  private Distributed() {}

  /**
   * Joins the job the launcher started ({@code mpirun}, {@code srun --mpi=pmix}, or a lone process
   * as a world of one) and makes it the default process group; idempotent. The collective timeout
   * comes from {@code -Dember.distributed.timeout} or {@code EMBER_DIST_TIMEOUT} (seconds), else
   * 1800 s.
   *
   * @param backend {@code "mpi"} (the only backend for now)
   * @throws DistributedException if libmpi cannot be loaded or MPI fails to start, or after {@link
   *     #destroy()}
   */
  public static void init(String backend) {
    init(backend, null);
  }

  /**
   * Joins the job as {@link #init(String)} does, with a collective timeout (PyTorch's {@code
   * init_process_group(timeout=...)}): a collective, barrier or {@link Work#waitFor()} that has
   * not completed after {@code timeout} prints the rank and the operation and aborts the job.
   *
   * @param timeout how long one collective may wait; null for the default (settings, else 1800 s)
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public static synchronized void init(String backend, Duration timeout) {
    if (!"mpi".equals(backend)) {
      throw new IllegalArgumentException("init: unknown backend \"" + backend + "\"; Ember supports"
          + " \"mpi\" (Open MPI, CPU and host-staged CUDA tensors)");
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("init: timeout must be positive, got " + timeout);
    }
    if (group != null) {
      return;
    }
    if (destroyed) {
      throw new DistributedException("init(\"mpi\"): the process group was destroyed; MPI cannot be"
          + " initialized twice in one process");
    }
    long nanos = timeout != null ? timeout.toNanos() : timeoutFromSettings() * 1_000_000_000L;
    MpiProcessGroup g = MpiProcessGroup.init(nanos);
    g.checkCalls = checkCallsFromSettings();
    installAbortOnUncaughtException(g);
    group = g;
  }

  /** Returns whether {@link #init} succeeded and {@link #destroy()} was not called. */
  public static boolean isInitialized() {
    return group != null;
  }

  /**
   * Returns why {@code init("mpi")} would fail (libmpi missing), or null if libmpi loads. Lets a
   * test or a program skip distributed work with the reason.
   */
  public static String unavailableReason() {
    return Mpi.load();
  }

  /** Returns this process's rank, 0 to {@code worldSize() - 1}. */
  public static int rank() {
    return group("rank").rank;
  }

  /** Returns the number of processes in the job. */
  public static int worldSize() {
    return group("worldSize").size;
  }

  /**
   * Sets how long a collective may wait before the job is aborted; returns nothing.
   *
   * @throws IllegalArgumentException if not positive
   */
  public static void setTimeout(double seconds) {
    if (!(seconds > 0)) {
      throw new IllegalArgumentException("setTimeout: seconds must be positive, got " + seconds);
    }
    group("setTimeout").timeoutNanos = (long) (seconds * 1e9);
  }

  /**
   * Turns on or off the check that every rank makes the same collective call (collective, op or
   * root, dtype, shape) before each collective: one 16-byte all-reduce per call (a few µs; nothing
   * for {@link DistributedDataParallel}'s gradient buckets, which are checked once at construction).
   * On by default; {@code -Dember.distributed.checkCalls=false} or {@code EMBER_DIST_CHECK_CALLS=0}
   * turns it off at init. Without it a mismatch makes MPI hang until the timeout, fail with a
   * truncation error, or reduce garbage.
   */
  public static void setCheckCalls(boolean on) {
    group("setCheckCalls").checkCalls = on;
  }

  /**
   * Returns one line describing the process group: backend, library, rank, size, thread level, how
   * tensors move (contiguous CPU tensors in place; the others, CUDA tensors included, staged through
   * a host buffer, since NCCL is not bound), the timeout and whether calls are checked.
   */
  public static String info() {
    MpiProcessGroup g = group;
    if (g == null) {
      String why = Mpi.load();
      return why == null ? "distributed: not initialized (Open MPI available: " + Mpi.libraryPath() + ")"
          : "distributed: not initialized; " + why;
    }
    return "distributed: backend mpi (" + MpiProcessGroup.libraryVersion() + ", " + Mpi.libraryPath()
        + "), rank " + g.rank + " of " + g.size + ", thread level " + g.threadLevel
        + ", contiguous CPU tensors in place (MPI on their own memory), other tensors staged through a"
        + " host buffer (CUDA tensors too: NCCL is not bound), timeout " + g.timeoutNanos / 1e9
        + " s, call checks " + (g.checkCalls ? "on" : "off");
  }

  /** Blocks until every rank reached this barrier. */
  public static void barrier() {
    MpiProcessGroup g = group("barrier");
    g.blocking(BARRIER, () -> Mpi.MPI_Barrier(g.comm));
  }

  /**
   * Leaves the job ({@code MPI_Finalize}); every rank must call it. Later collectives raise and
   * MPI cannot be initialized again in this process. Idempotent.
   */
  public static synchronized void destroy() {
    MpiProcessGroup g = group;
    if (g == null) {
      return;
    }
    group = null;
    destroyed = true;
    g.finalizeMpi();
  }

  // --------------------------------------------------------------------------------- collectives

  /**
   * Reduces {@code t} over all ranks with {@code op}, in place on every rank. A contiguous CPU
   * tensor is handed to {@code MPI_Allreduce} as it is ({@code MPI_IN_PLACE} on its own memory, no
   * copy); other tensors are staged through a host buffer.
   */
  public static void allReduce(Tensor t, ReduceOp op) {
    MpiProcessGroup g = group("allReduce");
    checkReduce("allReduce", t, op);
    Supplier<String> what = () -> "allReduce(" + op + ") of " + t.dtype() + t.shape();
    g.checkSameCall(fingerprint(1, op.ordinal(), t), what);
    Staging.Region region = Staging.Region.of("allReduce", t, true, g.buffers);
    try {
      g.blocking(what, () -> Mpi.MPI_Allreduce(Mpi.IN_PLACE, region.address(), (int) t.numel(),
          g.datatype(t.dtype()), g.op(op, t.dtype()), g.comm));
      if (op == ReduceOp.AVG) {
        Staging.divide(region.buffer(), 0, t.numel(), t.dtype(), g.size);
      }
      region.writeBack(t);
    } finally {
      region.release(g.buffers);
    }
  }

  /** Sums {@code t} over all ranks, in place on every rank. */
  public static void allReduce(Tensor t) {
    allReduce(t, ReduceOp.SUM);
  }

  /**
   * Starts {@link #allReduce(Tensor, ReduceOp)} ({@code MPI_Iallreduce}) and returns its handle;
   * {@code t} holds the result once {@link Work#waitFor()} returned.
   *
   * @throws IllegalArgumentException for {@link ReduceOp#AVG} on an integer or bool tensor
   */
  public static Work allReduceAsync(Tensor t, ReduceOp op) {
    MpiProcessGroup g = group("allReduce");
    checkReduce("allReduce", t, op);
    String what = "allReduce(" + op + ") of " + t.dtype() + t.shape();
    g.checkSameCall(fingerprint(1, op.ordinal(), t), () -> what);
    Staging.Region region = Staging.Region.of("allReduce", t, true, g.buffers);
    return start(g, what, request -> Mpi.MPI_Iallreduce(Mpi.IN_PLACE, region.address(),
        (int) t.numel(), g.datatype(t.dtype()), g.op(op, t.dtype()), g.comm, request), () -> {
          if (op == ReduceOp.AVG) {
            Staging.divide(region.buffer(), 0, t.numel(), t.dtype(), g.size);
          }
          region.writeBack(t);
        }, () -> region.release(g.buffers));
  }

  /**
   * Copies rank {@code src}'s {@code t} into {@code t} on every rank ({@code MPI_Bcast}; in place
   * for a contiguous CPU tensor, else staged).
   */
  public static void broadcast(Tensor t, int src) {
    MpiProcessGroup g = group("broadcast");
    checkTensor("broadcast", t);
    checkRank("broadcast", "src", src, g);
    Supplier<String> what = () -> "broadcast from rank " + src + " of " + t.dtype() + t.shape();
    g.checkSameCall(fingerprint(2, src, t), what);
    Staging.Region region = Staging.Region.of("broadcast", t, g.rank == src, g.buffers);
    try {
      g.blocking(what, () -> Mpi.MPI_Bcast(region.address(), (int) t.numel(), g.datatype(t.dtype()),
          src, g.comm));
      if (g.rank != src) {
        region.writeBack(t);
      }
    } finally {
      region.release(g.buffers);
    }
  }

  /** Starts {@link #broadcast} ({@code MPI_Ibcast}) and returns its handle. */
  public static Work broadcastAsync(Tensor t, int src) {
    MpiProcessGroup g = group("broadcast");
    checkTensor("broadcast", t);
    checkRank("broadcast", "src", src, g);
    String what = "broadcast from rank " + src + " of " + t.dtype() + t.shape();
    g.checkSameCall(fingerprint(2, src, t), () -> what);
    Staging.Region region = Staging.Region.of("broadcast", t, g.rank == src, g.buffers);
    return start(g, what, request -> Mpi.MPI_Ibcast(region.address(), (int) t.numel(),
        g.datatype(t.dtype()), src, g.comm, request), () -> {
          if (g.rank != src) {
            region.writeBack(t);
          }
        }, () -> region.release(g.buffers));
  }

  /**
   * Gathers every rank's {@code input} into {@code outputs}: {@code outputs.get(r)} receives rank
   * {@code r}'s tensor.
   *
   * @param outputs {@code worldSize()} tensors of {@code input}'s shape and dtype
   */
  public static void allGather(List<Tensor> outputs, Tensor input) {
    allGatherAsync(outputs, input).waitFor();
  }

  /** Starts {@link #allGather} ({@code MPI_Iallgather}) and returns its handle. */
  public static Work allGatherAsync(List<Tensor> outputs, Tensor input) {
    MpiProcessGroup g = group("allGather");
    checkTensor("allGather", input);
    checkList("allGather", "outputs", outputs, input, g);
    String what = "allGather of " + input.dtype() + input.shape();
    g.checkSameCall(fingerprint(3, 0, input), () -> what);
    int bytes = Staging.byteSize("allGather", input, 1);
    Staging.byteSize("allGather", input, g.size);
    ByteBuffer send = g.buffers.acquire(bytes);
    ByteBuffer recv = g.buffers.acquire(bytes * g.size);
    Staging.copyIn(input, send, 0);
    Pointer type = g.datatype(input.dtype());
    int count = (int) input.numel();
    return start(g, what, request -> Mpi.MPI_Iallgather(MpiProcessGroup.address(send), count, type,
        MpiProcessGroup.address(recv), count, type, g.comm, request), () -> {
          for (int r = 0; r < g.size; r++) {
            Staging.copyOut(recv, r * bytes, outputs.get(r));
          }
        }, send, recv);
  }

  /**
   * Reduces {@code inputs} over all ranks with {@code op} and leaves the {@code r}-th reduced tensor
   * on rank {@code r}, in {@code output}.
   *
   * @param inputs {@code worldSize()} tensors of {@code output}'s shape and dtype
   */
  public static void reduceScatter(Tensor output, List<Tensor> inputs, ReduceOp op) {
    reduceScatterAsync(output, inputs, op).waitFor();
  }

  /** Starts {@link #reduceScatter} ({@code MPI_Ireduce_scatter_block}) and returns its handle. */
  public static Work reduceScatterAsync(Tensor output, List<Tensor> inputs, ReduceOp op) {
    MpiProcessGroup g = group("reduceScatter");
    checkReduce("reduceScatter", output, op);
    checkList("reduceScatter", "inputs", inputs, output, g);
    String what = "reduceScatter(" + op + ") of " + output.dtype() + output.shape();
    g.checkSameCall(fingerprint(4, op.ordinal(), output), () -> what);
    int bytes = Staging.byteSize("reduceScatter", output, 1);
    Staging.byteSize("reduceScatter", output, g.size);
    ByteBuffer send = g.buffers.acquire(bytes * g.size);
    ByteBuffer recv = g.buffers.acquire(bytes);
    for (int r = 0; r < g.size; r++) {
      Staging.copyIn(inputs.get(r), send, r * bytes);
    }
    DType dtype = output.dtype();
    return start(g, what, request -> Mpi.MPI_Ireduce_scatter_block(MpiProcessGroup.address(send),
        MpiProcessGroup.address(recv), (int) output.numel(), g.datatype(dtype), g.op(op, dtype), g.comm,
        request), () -> {
          if (op == ReduceOp.AVG) {
            Staging.divide(recv, 0, output.numel(), dtype, g.size);
          }
          Staging.copyOut(recv, 0, output);
        }, send, recv);
  }

  /** Sends {@code t} to rank {@code dst}, which must {@link #recv} it; blocks until sent. */
  public static void send(Tensor t, int dst) {
    isend(t, dst).waitFor();
  }

  /** Starts {@link #send} ({@code MPI_Isend}) and returns its handle. */
  public static Work isend(Tensor t, int dst) {
    MpiProcessGroup g = group("send");
    checkTensor("send", t);
    checkRank("send", "dst", dst, g);
    Staging.Region region = Staging.Region.of("send", t, true, g.buffers);
    return start(g, "send of " + t.dtype() + t.shape() + " to rank " + dst, request -> Mpi.MPI_Isend(
        region.address(), (int) t.numel(), g.datatype(t.dtype()), dst, 0, g.comm, request),
        () -> { }, () -> region.release(g.buffers));
  }

  /** Receives into {@code t} what rank {@code src} {@link #send sent}; blocks until received. */
  public static void recv(Tensor t, int src) {
    irecv(t, src).waitFor();
  }

  /** Starts {@link #recv} ({@code MPI_Irecv}) and returns its handle. */
  public static Work irecv(Tensor t, int src) {
    MpiProcessGroup g = group("recv");
    checkTensor("recv", t);
    checkRank("recv", "src", src, g);
    Staging.Region region = Staging.Region.of("recv", t, false, g.buffers);
    return start(g, "recv of " + t.dtype() + t.shape() + " from rank " + src, request -> Mpi.MPI_Irecv(
        region.address(), (int) t.numel(), g.datatype(t.dtype()), src, 0, g.comm, request),
        () -> region.writeBack(t), () -> region.release(g.buffers));
  }

  // ------------------------------------------------------------------------------------ internals

  /** Returns the default group, or raises naming {@code op} and how to initialize it. */
  static MpiProcessGroup group(String op) {
    MpiProcessGroup g = group;
    if (g == null) {
      throw new IllegalStateException(op + ": the default process group is not initialized; call"
          + " Distributed.init(\"mpi\") first, in every process, and launch them with"
          + " `mpirun -np N java ...` (or srun --mpi=pmix); see docs/distributed.md"
          + (destroyed ? " (it was destroyed by Distributed.destroy())" : ""));
    }
    return g;
  }

  /** One non-blocking MPI call: fills the request it is given and returns MPI's status code. */
  interface Start {
    int call(Memory request);
  }

  /** Starts an operation and returns a handle that runs {@code onComplete} once, after it completed. */
  static Work start(MpiProcessGroup g, String what, Start call, Runnable onComplete,
      ByteBuffer... staging) {
    return start(g, what, call, onComplete, () -> {
      for (ByteBuffer b : staging) {
        g.buffers.release(b);
      }
    });
  }

  /**
   * Starts an operation and returns a handle that runs {@code onComplete}, then {@code release}
   * (which frees what MPI used), once, after it completed; runs {@code release} at once if the
   * operation fails to start.
   */
  static Work start(MpiProcessGroup g, String what, Start call, Runnable onComplete, Runnable release) {
    Memory request = g.newRequest();
    int rc = call.call(request);
    if (rc != 0) {
      release.run();
      g.check(rc, what);
    }
    return new Work() {
      private boolean done;

      @Override
      public void waitFor() {
        if (!done) {
          g.await(request, what);
          complete();
        }
      }

      @Override
      public boolean isCompleted() {
        if (!done && g.test(request, what)) {
          complete();
        }
        return done;
      }

      private void complete() {
        done = true;
        g.releaseRequest(request);
        try {
          onComplete.run();
        } finally {
          release.run();
        }
      }
    };
  }

  /**
   * Returns a hash of one collective call (which collective, its op or root, the tensor's dtype
   * and shape), for {@link MpiProcessGroup#checkSameCall}.
   */
  private static long fingerprint(int collective, int code, Tensor t) {
    long h = collective * 0x9E3779B97F4A7C15L + code;
    h = (h ^ t.dtype().ordinal()) * 0x100000001B3L;
    int[] shape = t.shapeArray();
    h = (h ^ shape.length) * 0x100000001B3L;
    for (int d : shape) {
      h = (h ^ d) * 0x100000001B3L;
    }
    return h ^ (h >>> 29);
  }

  private static void checkTensor(String op, Tensor t) {
    if (t == null) {
      throw new IllegalArgumentException(op + ": null tensor");
    }
  }

  private static void checkReduce(String op, Tensor t, ReduceOp reduce) {
    checkTensor(op, t);
    if (reduce == null) {
      throw new IllegalArgumentException(op + ": null ReduceOp");
    }
    if (reduce == ReduceOp.AVG && !t.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": ReduceOp.AVG needs a floating-point tensor, got "
          + t.dtype() + t.shape() + "; use SUM and divide");
    }
  }

  private static void checkRank(String op, String role, int r, MpiProcessGroup g) {
    if (r < 0 || r >= g.size) {
      throw new IllegalArgumentException(op + ": " + role + " rank " + r + " is outside the world of "
          + g.size + " ranks");
    }
  }

  private static void checkList(String op, String role, List<Tensor> list, Tensor like,
      MpiProcessGroup g) {
    if (list == null || list.size() != g.size) {
      throw new IllegalArgumentException(op + ": " + role + " must hold one tensor per rank ("
          + g.size + "), got " + (list == null ? "null" : list.size()));
    }
    for (int r = 0; r < list.size(); r++) {
      Tensor t = list.get(r);
      if (t == null || t.dtype() != like.dtype() || !Arrays.equals(t.shapeArray(), like.shapeArray())) {
        throw new IllegalArgumentException(op + ": " + role + "[" + r + "] is "
            + (t == null ? "null" : t.dtype() + "" + t.shape()) + " but must be " + like.dtype()
            + like.shape() + " like the rank's tensor");
      }
    }
  }

  private static boolean checkCallsFromSettings() {
    String s = System.getProperty("ember.distributed.checkCalls", System.getenv("EMBER_DIST_CHECK_CALLS"));
    if (s == null || s.isBlank()) {
      return true;
    }
    return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "0", "false", "off", "no" -> false;
      case "1", "true", "on", "yes" -> true;
      default -> throw new IllegalArgumentException("init: ember.distributed.checkCalls /"
          + " EMBER_DIST_CHECK_CALLS must be true or false, got \"" + s + "\"");
    };
  }

  private static long timeoutFromSettings() {
    String s = System.getProperty("ember.distributed.timeout", System.getenv("EMBER_DIST_TIMEOUT"));
    if (s == null || s.isBlank()) {
      return DEFAULT_TIMEOUT_SECONDS;
    }
    try {
      long v = Long.parseLong(s.trim());
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new IllegalArgumentException("init: ember.distributed.timeout / EMBER_DIST_TIMEOUT must be a"
        + " positive number of seconds, got \"" + s + "\"");
  }

  /**
   * Makes an exception that no code catches, on any thread, print the rank and abort the job, so
   * the other ranks fail at once instead of waiting in their next collective.
   */
  private static void installAbortOnUncaughtException(MpiProcessGroup g) {
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
      if (previous != null) {
        previous.uncaughtException(thread, error);
      } else {
        System.err.print("Exception in thread \"" + thread.getName() + "\" ");
        error.printStackTrace();
      }
      if (group != null) {
        g.abort("uncaught " + error.getClass().getSimpleName() + " in thread \"" + thread.getName()
            + "\": " + error.getMessage(), 1);
      }
    });
  }
}
