package dev.ember.distributed;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.ember.DType;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The world communicator of an initialized Open MPI job: rank, size, the datatype and operation
 * handles, and the two ways Ember waits for MPI, both bounded by the timeout.
 *
 * <p>Blocking collectives call the blocking {@code MPI_*} function between {@link #enter} and
 * {@link #leave}; a watchdog thread aborts the job ({@code MPI_Abort}) if one has not returned
 * within the timeout, printing the rank and the operation. Asynchronous operations ({@code MPI_I*})
 * are finished by {@link #await}, which polls {@code MPI_Test} with the same deadline: it spins for
 * 2 ms, then yields, then parks 100 µs at a time, so an oversubscribed machine (more ranks than
 * cores) keeps making progress. A launcher that ends the job (another rank died) makes a shutdown
 * hook print which operation this rank was waiting in.
 */
final class MpiProcessGroup {
  final int rank;
  final int size;
  final Pointer comm;
  final int threadLevel;
  volatile long timeoutNanos;
  /** How long {@link #await} polls without yielding the core: 2 ms. */
  private static final long SPIN_NANOS = 2_000_000L;
  /** The staging buffers of this rank's collectives. */
  final BufferPool buffers = new BufferPool();
  private final java.util.ArrayDeque<Memory> freeRequests = new java.util.ArrayDeque<>();
  private final Map<DType, Pointer> datatypes = new EnumMap<>(DType.class);
  private final Map<ReduceOp, Pointer> ops = new EnumMap<>(ReduceOp.class);
  private final Pointer logicalOr;
  private final Pointer logicalAnd;
  /** What this rank is blocked in (null when in no MPI call), and since when: the watchdog's view. */
  private volatile Supplier<String> blockedIn;
  private volatile long blockedSince;
  /** Whether collectives first check that every rank calls the same one on the same shape. */
  volatile boolean checkCalls;
  /** The fingerprint all-reduce's two int64s, reused. */
  private final Memory fingerprint = new Memory(16);
  /** How many bytes of each rank's description a mismatch report gathers. */
  private static final int DESCRIPTION_BYTES = 240;
  /** How often the watchdog looks: 50 ms. */
  private static final long WATCHDOG_PERIOD_NANOS = 50_000_000L;

  private MpiProcessGroup(int rank, int size, int threadLevel, long timeoutNanos) {
    this.rank = rank;
    this.size = size;
    this.threadLevel = threadLevel;
    this.timeoutNanos = timeoutNanos;
    this.comm = Mpi.handle("ompi_mpi_comm_world");
    datatypes.put(DType.FLOAT32, Mpi.handle("ompi_mpi_float"));
    datatypes.put(DType.FLOAT64, Mpi.handle("ompi_mpi_double"));
    datatypes.put(DType.INT64, Mpi.handle("ompi_mpi_int64_t"));
    datatypes.put(DType.INT32, Mpi.handle("ompi_mpi_int32_t"));
    datatypes.put(DType.BOOL, Mpi.handle("ompi_mpi_c_bool"));
    ops.put(ReduceOp.SUM, Mpi.handle("ompi_mpi_op_sum"));
    ops.put(ReduceOp.AVG, Mpi.handle("ompi_mpi_op_sum"));
    ops.put(ReduceOp.MAX, Mpi.handle("ompi_mpi_op_max"));
    ops.put(ReduceOp.MIN, Mpi.handle("ompi_mpi_op_min"));
    ops.put(ReduceOp.PRODUCT, Mpi.handle("ompi_mpi_op_prod"));
    logicalOr = Mpi.handle("ompi_mpi_op_lor");
    logicalAnd = Mpi.handle("ompi_mpi_op_land");
  }

  /** Starts the watchdog thread and the shutdown hook that report a stuck or ended collective. */
  private void startWatchdog() {
    Thread watchdog = new Thread(() -> {
      while (true) {
        LockSupport.parkNanos(WATCHDOG_PERIOD_NANOS);
        Supplier<String> what = blockedIn;
        long since = blockedSince;
        if (what != null && System.nanoTime() - since > timeoutNanos) {
          abort(what.get() + " did not complete within " + timeoutNanos / 1_000_000_000.0 + " s:"
              + " another rank failed, exited or is not calling it", 3);
        }
      }
    }, "ember-distributed-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Supplier<String> what = blockedIn;
      if (what != null) {
        System.err.println("ember distributed: rank " + rank + " of " + size + ": ended while waiting"
            + " in " + what.get() + " (the launcher ends the job when another rank fails or dies)");
        System.err.flush();
      }
    }, "ember-distributed-shutdown"));
  }

  /**
   * Marks this rank as blocked in {@code what} until {@link #leave()}: past the timeout the watchdog
   * aborts the job naming the rank and {@code what}.
   */
  void enter(Supplier<String> what) {
    blockedSince = System.nanoTime();
    blockedIn = what;
  }

  /** Ends what {@link #enter} began. */
  void leave() {
    blockedIn = null;
  }

  /**
   * Raises a {@link DistributedException} on every rank if the ranks are not all making the same
   * call ({@code fingerprint}: a hash of the collective, its op, root, dtype and shape) when {@link
   * #checkCalls} is on: one all-reduce of 16 bytes (the maximum of the fingerprint and of its
   * negation), and on a mismatch an all-gather of every rank's {@code what}, so the error names
   * each rank's call. Without it MPI would hang, fail with a truncation error, or reduce garbage.
   */
  void checkSameCall(long fingerprint, Supplier<String> what) {
    if (!checkCalls || size == 1) {
      return;
    }
    long h = fingerprint & 0x3fff_ffff_ffff_ffffL;
    this.fingerprint.setLong(0, h);
    this.fingerprint.setLong(8, -h);
    blocking(what, () -> Mpi.MPI_Allreduce(Mpi.IN_PLACE, this.fingerprint, 2, datatype(DType.INT64),
        ops.get(ReduceOp.MAX), comm));
    if (this.fingerprint.getLong(0) == -this.fingerprint.getLong(8)) {
      return;
    }
    Memory mine = new Memory(DESCRIPTION_BYTES);
    mine.clear();
    byte[] text = what.get().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    mine.write(0, text, 0, Math.min(text.length, DESCRIPTION_BYTES - 1));
    Memory all = new Memory((long) DESCRIPTION_BYTES * size);
    Pointer bytes = Mpi.handle("ompi_mpi_byte");
    blocking(what, () -> Mpi.MPI_Allgather(mine, DESCRIPTION_BYTES, bytes, all, DESCRIPTION_BYTES,
        bytes, comm));
    StringBuilder calls = new StringBuilder();
    for (int r = 0; r < size; r++) {
      calls.append(r == 0 ? "" : "; ").append("rank ").append(r).append(": ")
          .append(all.getString((long) r * DESCRIPTION_BYTES));
    }
    throw new DistributedException(what.get() + " on rank " + rank + " of " + size + ": the ranks"
        + " are not making the same collective call (every rank must call the same collectives in"
        + " the same order on tensors of the same shape and dtype): " + calls);
  }

  /** Runs a blocking MPI call between {@link #enter} and {@link #leave}; raises on an error code. */
  void blocking(Supplier<String> what, java.util.function.IntSupplier call) {
    enter(what);
    int rc;
    try {
      rc = call.getAsInt();
    } finally {
      leave();
    }
    if (rc != 0) {
      check(rc, what.get());
    }
  }

  /**
   * Initializes MPI ({@code MPI_Init_thread}, asking for {@code MPI_THREAD_MULTIPLE} so an abort may
   * come from any thread) and returns the world group.
   */
  static MpiProcessGroup init(long timeoutNanos) {
    String failure = Mpi.load();
    if (failure != null) {
      throw new DistributedException("init(\"mpi\"): " + failure);
    }
    int[] flag = new int[1];
    Mpi.MPI_Finalized(flag);
    if (flag[0] != 0) {
      throw new DistributedException("init(\"mpi\"): MPI was already finalized in this process"
          + " (destroy() was called); MPI cannot be initialized twice");
    }
    Mpi.MPI_Initialized(flag);
    int[] provided = new int[1];
    if (flag[0] == 0) {
      int rc = Mpi.MPI_Init_thread(null, null, Mpi.THREAD_MULTIPLE, provided);
      if (rc != 0) {
        throw new DistributedException("init(\"mpi\"): MPI_Init_thread failed: " + Mpi.errorString(rc));
      }
    } else {
      provided[0] = -1;
    }
    Pointer world = Mpi.handle("ompi_mpi_comm_world");
    int[] r = new int[1];
    int[] n = new int[1];
    Mpi.MPI_Comm_rank(world, r);
    Mpi.MPI_Comm_size(world, n);
    MpiProcessGroup g = new MpiProcessGroup(r[0], n[0], provided[0], timeoutNanos);
    g.startWatchdog();
    return g;
  }

  /** Returns the MPI datatype of {@code dtype}; float16 and bfloat16 have none and raise. */
  Pointer datatype(DType dtype) {
    Pointer t = datatypes.get(dtype);
    if (t == null) {
      throw new UnsupportedOperationException("distributed: dtype " + dtype + " has no MPI datatype;"
          + " communicate it as float32 (.to(DType.FLOAT32))");
    }
    return t;
  }

  /**
   * Returns the MPI operation for {@code op} on {@code dtype}: on bool, sum and max are a logical or,
   * product and min a logical and.
   */
  Pointer op(ReduceOp op, DType dtype) {
    if (dtype == DType.BOOL) {
      return op == ReduceOp.SUM || op == ReduceOp.MAX ? logicalOr : logicalAnd;
    }
    return ops.get(op);
  }

  /** Returns the address of a direct buffer, for MPI. */
  static Pointer address(ByteBuffer direct) {
    return Native.getDirectBufferPointer(direct);
  }

  /**
   * Returns storage for one {@code MPI_Request} handle, reused from completed operations: JNA's
   * {@code Memory} is finalizable, too costly to make per call.
   */
  Memory newRequest() {
    Memory m = freeRequests.isEmpty() ? new Memory(Native.POINTER_SIZE) : freeRequests.pop();
    m.setPointer(0, null);
    return m;
  }

  /** Gives back the storage of a completed request. */
  void releaseRequest(Memory request) {
    if (freeRequests.size() < 64) {
      freeRequests.push(request);
    }
  }

  /** Raises if an MPI call returned an error code (Open MPI aborts first by default). */
  void check(int rc, String what) {
    if (rc != 0) {
      throw new DistributedException(what + " on rank " + rank + " failed: " + Mpi.errorString(rc));
    }
  }

  /**
   * Waits until {@code request} completes, polling {@code MPI_Test}; past the timeout prints why to
   * stderr and aborts the job.
   *
   * @param what the operation, for the timeout message ("allReduce of float32[1000]")
   */
  void await(Memory request, String what) {
    int[] flag = new int[1];
    long start = System.nanoTime();
    enter(() -> what);
    try {
      while (true) {
        check(Mpi.MPI_Test(request, flag, Mpi.STATUS_IGNORE), what);
        if (flag[0] != 0) {
          return;
        }
        long waited = System.nanoTime() - start;
        if (waited > timeoutNanos) {
          abort(what + " did not complete within " + timeoutNanos / 1_000_000_000.0 + " s: another"
              + " rank failed, exited or is not calling it", 3);
        }
        if (waited < SPIN_NANOS) {
          Thread.onSpinWait();
        } else if (waited < 20_000_000L) {
          Thread.yield();
        } else {
          LockSupport.parkNanos(100_000L);
        }
      }
    } finally {
      leave();
    }
  }

  /** Returns whether {@code request} completed, driving MPI's progress once. */
  boolean test(Memory request, String what) {
    int[] flag = new int[1];
    check(Mpi.MPI_Test(request, flag, Mpi.STATUS_IGNORE), what);
    return flag[0] != 0;
  }

  /**
   * Prints {@code ember distributed: rank R: why} to stderr and calls {@code MPI_Abort}, which ends
   * every rank of the job; throws if MPI_Abort returns.
   */
  void abort(String why, int code) {
    String message = "ember distributed: rank " + rank + " of " + size + ": " + why + "; aborting the job";
    System.err.println(message);
    System.err.flush();
    System.out.flush();
    Mpi.MPI_Abort(comm, code);
    throw new DistributedException(message);
  }

  /** Calls {@code MPI_Finalize}. */
  void finalizeMpi() {
    check(Mpi.MPI_Finalize(), "destroy");
  }

  /** Returns Open MPI's version line, e.g. "Open MPI v4.1.4, package: ...". */
  static String libraryVersion() {
    Memory text = new Memory(8192);
    int[] length = new int[1];
    if (Mpi.MPI_Get_library_version(text, length) != 0) {
      return "unknown";
    }
    String s = text.getString(0).trim();
    int comma = s.indexOf(',');
    return comma > 0 ? s.substring(0, comma) : s;
  }
}
