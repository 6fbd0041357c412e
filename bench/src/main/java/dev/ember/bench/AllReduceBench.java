package dev.ember.bench;

import dev.ember.Tensor;
import dev.ember.distributed.Distributed;
import dev.ember.distributed.ReduceOp;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code Distributed.allReduce} (float32 sum) latency and bandwidth from 4 B to 64 MiB, run under
 * {@code mpirun -np 2} by {@code bench/run-distributed} beside Open MPI's own {@code MPI_Allreduce}
 * from C ({@code bench/mpi/allreduce.c}), timed the same way: after a warm-up, 5 barrier-aligned
 * repetitions of a loop, the median time per call. Not JMH: JMH's forked JVMs cannot join an MPI
 * job. Prints {@code EMBER_ALLREDUCE bytes microseconds} lines on rank 0 (the default: each call first
 * checks that every rank makes the same call), then {@code EMBER_ALLREDUCE_UNCHECKED bytes
 * microseconds} lines with that check off ({@link Distributed#setCheckCalls}).
 */
public final class AllReduceBench {
  private AllReduceBench() {}

  /** Runs the sweeps; no arguments. */
  public static void main(String[] args) {
    Distributed.init("mpi");
    // Compile the call path first (C2 needs ~10,000 calls): else the first size measures the JIT.
    Tensor small = Tensor.zeros(1);
    for (int i = 0; i < 20_000; i++) {
      Distributed.allReduce(small, ReduceOp.SUM);
    }
    sweep("EMBER_ALLREDUCE");
    Distributed.setCheckCalls(false);
    sweep("EMBER_ALLREDUCE_UNCHECKED");
    Distributed.destroy();
  }

  /** Times every size from 4 B to 64 MiB; prints {@code label bytes microseconds} on rank 0. */
  private static void sweep(String label) {
    for (long bytes = 4; bytes <= (64L << 20); bytes *= 4) {
      Tensor t = Tensor.zeros((int) (bytes / 4));
      int iters = bytes <= 65536 ? 500 : bytes <= (4L << 20) ? 20 : 3;
      for (int w = 0; w < iters / 5 + 1; w++) {
        Distributed.allReduce(t, ReduceOp.SUM);
      }
      double[] reps = new double[5];
      for (int r = 0; r < reps.length; r++) {
        Distributed.barrier();
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) {
          Distributed.allReduce(t, ReduceOp.SUM);
        }
        reps[r] = (System.nanoTime() - t0) / 1e3 / iters;
      }
      Arrays.sort(reps);
      if (Distributed.rank() == 0) {
        System.out.printf(Locale.ROOT, "%s %d %.2f%n", label, bytes, reps[2]);
        System.out.flush();
      }
      t.close();
    }
  }
}
