package dev.ember.bench;

import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.distributed.Distributed;
import dev.ember.distributed.DistributedDataParallel;
import dev.ember.nn.Linear;
import dev.ember.nn.Module;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.optim.Optimizer;
import dev.ember.optim.SGD;
import java.util.Arrays;
import java.util.Locale;

/**
 * W2 (MLP 784-512-512-10, SGD momentum 0.9) with {@link DistributedDataParallel}: the global batch
 * of 128 split over the ranks, so {@code mpirun -np 1} and {@code -np 2} do the same work per step.
 * Run by {@code bench/run-distributed}; after 20 warm-up steps, the median of 5 loops of 20 steps,
 * barrier-aligned. Prints {@code DDP_W2 ranks bucket-cap-MiB buckets ms-per-step wait-ms-per-step} on
 * rank 0, where the wait is the time backward spent, after autograd finished, waiting for the
 * gradient all-reduces ({@link DistributedDataParallel#communicationWaitNanos()}): the communication
 * that overlap did not hide. Not JMH: JMH's forked JVMs cannot join an MPI job.
 */
public final class DdpStepBench {
  private DdpStepBench() {}

  /**
   * Runs the measurement.
   *
   * @param args optionally the bucket cap in MiB (default 25, PyTorch's: W2's 2.6 MiB of gradients
   *     in one bucket, started when backward has produced them all, so nothing overlaps)
   */
  public static void main(String[] args) {
    double capMib = args.length > 0 ? Double.parseDouble(args[0]) : 25;
    Distributed.init("mpi");
    int world = Distributed.worldSize();
    int perRank = 128 / world;
    Tensor.manualSeed(42 + Distributed.rank());
    Tensor x = Tensor.randn(perRank, 784);
    Tensor y = Tensor.randint(0, 10, perRank);
    Module model = new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(),
        new Linear(512, 10));
    DistributedDataParallel ddp = new DistributedDataParallel(model,
        DistributedDataParallel.options().withBucketCapMb(capMib));
    Optimizer opt = new SGD(model.parameters(), SGD.options(0.01).withMomentum(0.9));
    Runnable step = () -> {
      try (TensorScope scope = TensorScope.open()) {
        opt.zeroGrad();
        ddp.call(x).crossEntropy(y).backward();
        opt.step();
      }
    };
    for (int i = 0; i < 20; i++) {
      step.run();
    }
    double[] reps = new double[5];
    double[] waits = new double[5];
    for (int r = 0; r < reps.length; r++) {
      Distributed.barrier();
      long wait0 = ddp.communicationWaitNanos();
      long t0 = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        step.run();
      }
      reps[r] = (System.nanoTime() - t0) / 1e6 / 20;
      waits[r] = (ddp.communicationWaitNanos() - wait0) / 1e6 / 20;
    }
    Arrays.sort(reps);
    Arrays.sort(waits);
    if (Distributed.rank() == 0) {
      System.out.printf(Locale.ROOT, "DDP_W2 %d %s %d %.2f %.2f%n", world, capMib, ddp.bucketCount(),
          reps[2], waits[2]);
    }
    Distributed.destroy();
  }
}
