package dev.ember.distributed;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.nn.Conv2d;
import dev.ember.nn.Flatten;
import dev.ember.nn.Linear;
import dev.ember.nn.MaxPool2d;
import dev.ember.nn.ReLU;
import dev.ember.nn.Module;
import dev.ember.nn.Sequential;
import dev.ember.nn.Tanh;
import dev.ember.optim.Adam;
import dev.ember.optim.Optimizer;
import dev.ember.optim.SGD;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The checks one rank runs under {@code mpirun -np N}: {@link DistributedLaunchTest} launches it and
 * asserts on the exit code and output. Modes: {@code collectives}, {@code ddp}, {@code all},
 * {@code fault-throw} (rank 1 throws), {@code fault-hang} (rank 1 never joins), {@code fault-kill}
 * (rank 1 kills itself with SIGKILL in the middle of all-reduces). Prints one {@code OK}
 * line per passed group on rank 0; exits 1 after printing every failure.
 */
public final class DistributedChecks {
  private static final DType[] DTYPES = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.BOOL};
  private static final int[][] SHAPES = {{}, {0}, {1}, {7}, {3, 5}, {1001}};
  private final List<String> failures = new ArrayList<>();
  private int checks;
  private int rank;
  private int world;

  private DistributedChecks() {}

  /** Runs the mode named by {@code args[0]}. */
  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "all";
    Distributed.init("mpi");
    DistributedChecks c = new DistributedChecks();
    c.rank = Distributed.rank();
    c.world = Distributed.worldSize();
    switch (mode) {
      case "collectives" -> c.collectives();
      case "ddp" -> c.ddp();
      case "all" -> {
        c.collectives();
        c.ddp();
      }
      case "fault-throw" -> faultThrow();
      case "fault-hang" -> faultHang();
      case "fault-kill" -> faultKill();
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
    if (!c.failures.isEmpty()) {
      for (String f : c.failures) {
        System.out.println("FAIL rank " + c.rank + ": " + f);
      }
      System.out.flush();
      // Exit without finalize: mpirun reports the rank and ends the others.
      Runtime.getRuntime().halt(1);
    }
    Distributed.barrier();
    if (c.rank == 0) {
      System.out.println("OK all " + c.checks + " checks passed on " + c.world + " ranks");
    }
    Distributed.destroy();
  }

  // ---------------------------------------------------------------------------------- collectives

  /** The value rank {@code r} holds at element {@code i} (with a {@code salt} per input). */
  private static double value(int r, int i, int salt, DType dtype) {
    int k = ((r * 5 + i * 3 + salt * 7) % 13 + 13) % 13;
    return switch (dtype) {
      case BOOL -> (r + i + salt) % 3 == 0 ? 1 : 0;
      case INT64, INT32 -> k - 6;
      default -> (k - 6) * 0.25;
    };
  }

  /** Rank {@code r}'s tensor; {@code [3, 5]} is a non-contiguous transposed view. */
  private static Tensor make(int r, int salt, DType dtype, int[] shape) {
    long n = 1;
    for (int s : shape) {
      n *= s;
    }
    double[] v = new double[(int) n];
    for (int i = 0; i < n; i++) {
      v[i] = value(r, i, salt, dtype);
    }
    if (shape.length == 2) {
      // Fill a [5, 3] tensor so that its transpose holds v row-major.
      double[] w = new double[v.length];
      for (int i = 0; i < shape[0]; i++) {
        for (int j = 0; j < shape[1]; j++) {
          w[j * shape[0] + i] = v[i * shape[1] + j];
        }
      }
      return Tensor.of(w).to(dtype).reshape(shape[1], shape[0]).t();
    }
    return Tensor.of(v).to(dtype).reshape(shape);
  }

  private static double reduce(ReduceOp op, DType dtype, double[] xs) {
    ReduceOp effective = op;
    if (dtype == DType.BOOL) {
      effective = op == ReduceOp.SUM || op == ReduceOp.MAX ? ReduceOp.MAX : ReduceOp.MIN;
    }
    double acc = xs[0];
    for (int q = 1; q < xs.length; q++) {
      acc = switch (effective) {
        case SUM, AVG -> acc + xs[q];
        case MAX -> Math.max(acc, xs[q]);
        case MIN -> Math.min(acc, xs[q]);
        case PRODUCT -> acc * xs[q];
      };
    }
    return effective == ReduceOp.AVG ? acc / xs.length : acc;
  }

  private void expect(String what, Tensor actual, int[] shape, IntFunction<Double> expected) {
    checks++;
    if (!java.util.Arrays.equals(actual.shapeArray(), shape)) {
      failures.add(what + ": shape " + actual.shape() + " expected " + java.util.Arrays.toString(shape));
      return;
    }
    double[] a = actual.toDoubleArray();
    for (int i = 0; i < a.length; i++) {
      double e = expected.apply(i);
      if (Math.abs(a[i] - e) > 1e-6 * Math.max(1, Math.abs(e))) {
        failures.add(what + ": element " + i + " is " + a[i] + ", expected " + e);
        return;
      }
    }
  }

  private void collectives() {
    for (DType dtype : DTYPES) {
      for (int[] shape : SHAPES) {
        String sig = dtype + java.util.Arrays.toString(shape);
        for (ReduceOp op : ReduceOp.values()) {
          if (op == ReduceOp.AVG && !dtype.isFloatingPoint()) {
            continue;
          }
          Tensor t = make(rank, 0, dtype, shape);
          Distributed.allReduce(t, op);
          expect("allReduce " + op + " " + sig, t, shape, i -> {
            double[] xs = new double[world];
            for (int q = 0; q < world; q++) {
              xs[q] = value(q, i, 0, dtype);
            }
            return reduce(op, dtype, xs);
          });
        }
        int src = world - 1;
        Tensor b = make(rank, 0, dtype, shape);
        Distributed.broadcast(b, src);
        expect("broadcast " + sig, b, shape, i -> value(src, i, 0, dtype));

        List<Tensor> gathered = new ArrayList<>();
        for (int q = 0; q < world; q++) {
          gathered.add(Tensor.zeros(make(0, 0, dtype, shape).shape(), dtype, dev.ember.Device.CPU));
        }
        Distributed.allGather(gathered, make(rank, 0, dtype, shape));
        for (int q = 0; q < world; q++) {
          int from = q;
          expect("allGather " + sig + " from rank " + q, gathered.get(q), shape,
              i -> value(from, i, 0, dtype));
        }

        ReduceOp rsOp = dtype.isFloatingPoint() ? ReduceOp.AVG : ReduceOp.MAX;
        List<Tensor> inputs = new ArrayList<>();
        for (int q = 0; q < world; q++) {
          inputs.add(make(rank, q, dtype, shape));
        }
        Tensor out = make(rank, 99, dtype, shape);
        Distributed.reduceScatter(out, inputs, rsOp);
        expect("reduceScatter " + rsOp + " " + sig, out, shape, i -> {
          double[] xs = new double[world];
          for (int q = 0; q < world; q++) {
            xs[q] = value(q, i, rank, dtype);
          }
          return reduce(rsOp, dtype, xs);
        });

        int next = (rank + 1) % world;
        int prev = (rank + world - 1) % world;
        Work sent = Distributed.isend(make(rank, 5, dtype, shape), next);
        Tensor received = make(rank, 6, dtype, shape);
        Distributed.recv(received, prev);
        sent.waitFor();
        expect("send/recv " + sig, received, shape, i -> value(prev, i, 5, dtype));
      }
    }
    // Several async all-reduces in flight, awaited in reverse order.
    List<Tensor> ts = new ArrayList<>();
    List<Work> works = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      Tensor t = make(rank, k, DType.FLOAT64, new int[] {257});
      ts.add(t);
      works.add(Distributed.allReduceAsync(t, ReduceOp.SUM));
    }
    for (int k = 2; k >= 0; k--) {
      works.get(k).waitFor();
      int salt = k;
      expect("allReduceAsync #" + k, ts.get(k), new int[] {257}, i -> {
        double s = 0;
        for (int q = 0; q < world; q++) {
          s += value(q, i, salt, DType.FLOAT64);
        }
        return s;
      });
    }
    checks++;
    try {
      Distributed.allReduce(Tensor.of(new long[] {1, 2}), ReduceOp.AVG);
      failures.add("allReduce AVG on int64 did not raise");
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().contains("AVG")) {
        failures.add("allReduce AVG on int64 raised without naming AVG: " + e.getMessage());
      }
    }
    mismatchedCalls();
    checks++;
    String info = Distributed.info();
    if (!info.contains("contiguous CPU tensors in place") || !info.contains("NCCL is not bound")
        || !info.contains("rank " + rank + " of " + world)) {
      failures.add("info() does not say how tensors move: " + info);
    }
    Distributed.barrier();
    if (rank == 0) {
      System.out.println("OK collectives (" + checks + " checks)");
    }
  }

  /**
   * Ranks that call a collective on different shapes, or different collectives, get a {@link
   * DistributedException} on every rank naming each rank's call; the group stays usable.
   */
  private void mismatchedCalls() {
    checks++;
    Tensor mine = Tensor.ones(rank == 0 ? 4 : 5);
    try {
      Distributed.allReduce(mine, ReduceOp.SUM);
      failures.add("allReduce of float32[4] on rank 0 and float32[5] elsewhere did not raise");
    } catch (DistributedException e) {
      String m = e.getMessage();
      if (!m.contains("rank 0: allReduce(SUM) of float32[4]") || !m.contains("rank 1: allReduce(SUM) of float32[5]")
          || !m.contains("same shape")) {
        failures.add("the shape-mismatch error does not name both ranks' calls: " + m);
      } else if (rank == 0) {
        System.out.println("OK mismatch: " + m);
      }
    }
    checks++;
    Tensor t = Tensor.ones(3);
    try {
      if (rank == 0) {
        Distributed.broadcast(t, 0);
      } else {
        Distributed.allReduce(t, ReduceOp.SUM);
      }
      failures.add("broadcast on rank 0 and allReduce elsewhere did not raise");
    } catch (DistributedException e) {
      if (!e.getMessage().contains("rank 0: broadcast from rank 0 of float32[3]")
          || !e.getMessage().contains("rank 1: allReduce(SUM) of float32[3]")) {
        failures.add("the collective-mismatch error does not name both ranks' calls: " + e.getMessage());
      }
    }
    checks++;
    Tensor after = Tensor.ones(2);
    Distributed.allReduce(after, ReduceOp.SUM);
    if (after.toDoubleArray()[0] != world) {
      failures.add("allReduce after a mismatch gave " + after.toDoubleArray()[0] + ", expected " + world);
    }
  }

  // ------------------------------------------------------------------------------------------ DDP

  private static Module mlp() {
    return new Sequential(new Linear(6, 16), new Tanh(), new Linear(16, 8), new Tanh(), new Linear(8, 3))
        .to(DType.FLOAT64);
  }

  private static Tensor mse(Tensor out, Tensor target) {
    Tensor d = out.sub(target);
    return d.mul(d).mean();
  }

  /** A small CNN: [N, 1, 8, 8] -> [N, 3], float64. */
  private static Module cnn() {
    return new Sequential(new Conv2d(1, 4, 3, 1, 1), new ReLU(), new MaxPool2d(2), new Flatten(),
        new Linear(4 * 4 * 4, 3)).to(DType.FLOAT64);
  }

  private void ddp() throws Exception {
    Tensor.manualSeed(7);
    Tensor x = Tensor.randn(24, 6).to(DType.FLOAT64);
    Tensor y = Tensor.randn(24, 3).to(DType.FLOAT64);
    ddpEquivalence("MLP SGD-momentum", DistributedChecks::mlp,
        ps -> new SGD(ps, SGD.options(0.05).withMomentum(0.9)), x, y);
    Tensor.manualSeed(8);
    Tensor images = Tensor.randn(24, 1, 8, 8).to(DType.FLOAT64);
    Tensor targets = Tensor.randn(24, 3).to(DType.FLOAT64);
    ddpEquivalence("CNN Adam", DistributedChecks::cnn, ps -> new Adam(ps, 0.01), images, targets);
    unusedParameters();
    severalInputs();
  }

  /**
   * Trains {@code make}'s model 20 steps on the whole batch in this process and, through DDP, on
   * this rank's shard; checks the parameters agree (rel 1e-6).
   */
  private void ddpEquivalence(String name, Supplier<Module> make, Function<List<Tensor>, Optimizer> optimizer,
      Tensor x, Tensor y) throws Exception {
    int batch = x.size(0);
    int steps = 20;
    Tensor.manualSeed(1234);
    Module reference = make.get();
    // Ranks other than 0 start from other weights: the wrapper must broadcast rank 0's.
    Tensor.manualSeed(rank == 0 ? 1234 : 99 + rank);
    Module local = make.get();
    DistributedDataParallel ddp = new DistributedDataParallel(local,
        DistributedDataParallel.options().withBucketCapBytes(512));
    checks++;
    if (ddp.bucketCount() < 3) {
      failures.add("ddp " + name + ": expected several buckets with a 512-byte cap, got "
          + ddp.bucketCount());
    }
    Optimizer refOpt = optimizer.apply(reference.parameters());
    Optimizer opt = optimizer.apply(local.parameters());
    int per = batch / world;
    Tensor xs = x.narrow(0, rank * per, per);
    Tensor ys = y.narrow(0, rank * per, per);
    for (int step = 0; step < steps; step++) {
      refOpt.zeroGrad();
      mse(reference.call(x), y).backward();
      refOpt.step();

      opt.zeroGrad();
      if (step % 5 == 3) {
        // Gradient accumulation: half the shard without sync, the other half synced.
        int half = per / 2;
        try (AutoCloseable unsynced = ddp.noSync()) {
          mse(ddp.call(xs.narrow(0, 0, half)), ys.narrow(0, 0, half)).mul(0.5).backward();
        }
        mse(ddp.call(xs.narrow(0, half, half)), ys.narrow(0, half, half)).mul(0.5).backward();
      } else {
        mse(ddp.call(xs), ys).backward();
      }
      opt.step();
    }
    List<Tensor> expected = reference.parameters();
    List<Tensor> actual = local.parameters();
    double worst = 0;
    for (int k = 0; k < expected.size(); k++) {
      double[] e = expected.get(k).toDoubleArray();
      double[] a = actual.get(k).toDoubleArray();
      for (int i = 0; i < e.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(Math.abs(e[i]), 1e-3));
      }
    }
    checks++;
    if (!(worst <= 1e-6)) {
      failures.add("ddp " + name + ": parameters after " + steps + " steps differ from one process on the whole"
          + " batch by rel " + worst);
    }
    Distributed.barrier();
    if (rank == 0 && worst <= 1e-6) {
      System.out.println("OK ddp: " + world + " ranks x " + per + " rows match 1 process x " + batch
          + " rows after " + steps + " steps, " + name + " (worst rel " + worst + ", " + ddp.bucketCount()
          + " buckets)");
    }
  }

  /** A module with a parameter its forward never uses. */
  private static final class HalfUsed extends Module {
    private final Linear used;

    HalfUsed() {
      used = registerModule("used", new Linear(4, 2));
      registerModule("unused", new Linear(4, 2));
    }

    @Override
    public Tensor forward(Tensor input) {
      return used.call(input);
    }
  }

  private void unusedParameters() {
    DistributedDataParallel strict = new DistributedDataParallel(new HalfUsed());
    checks++;
    try {
      strict.call(Tensor.ones(3, 4)).sum().backward();
      failures.add("ddp: an unused parameter did not raise");
    } catch (IllegalStateException e) {
      if (!e.getMessage().contains("unused.weight") || !e.getMessage().contains("unused.bias")) {
        failures.add("ddp: the unused-parameter error does not name them: " + e.getMessage());
      }
    }
    HalfUsed m = new HalfUsed();
    DistributedDataParallel lenient = new DistributedDataParallel(m,
        DistributedDataParallel.options().withFindUnusedParameters(true));
    lenient.call(Tensor.ones(3, 4).mul(rank + 1)).sum().backward();
    checks++;
    // d(sum(W x + b))/dW = sum over rows of x: rank r has rows of (r + 1); averaged: 3 (mean of r+1).
    double meanScale = (world + 1) / 2.0;
    Tensor g = m.namedParameters().get("used.weight").grad();
    double got = g.toDoubleArray()[0];
    if (Math.abs(got - 3 * meanScale) > 1e-5) {
      failures.add("ddp findUnusedParameters: used.weight grad " + got + ", expected " + 3 * meanScale);
    }
    Tensor unusedGrad = m.namedParameters().get("unused.weight").grad();
    if (unusedGrad == null || unusedGrad.abs().sum().toDoubleArray()[0] != 0) {
      failures.add("ddp findUnusedParameters: unused.weight grad should be zeros, got " + unusedGrad);
    }
  }

  /** minGPT's shape: {@code (out, loss) = model(x, target)}. */
  private static final class TwoInOut extends Module {
    private final Linear fc = registerModule("fc", new Linear(4, 1));

    @Override
    public dev.ember.nn.Outputs forward(Tensor... in) {
      Tensor out = fc.call(in[0]);
      return dev.ember.nn.Outputs.of(out, mse(out, in[1]));
    }
  }

  private void severalInputs() {
    TwoInOut m = new TwoInOut();
    DistributedDataParallel ddp = new DistributedDataParallel(m);
    Tensor x = Tensor.ones(3, 4).mul(rank + 1);
    dev.ember.nn.Outputs outs = ddp.call(x, Tensor.zeros(3, 1));
    checks++;
    if (outs.size() != 2 || outs.get(0).size(0) != 3 || outs.get(1).dim() != 0) {
      failures.add("ddp: call(x, target) should return (out [3, 1], loss []), got " + outs);
      return;
    }
    outs.get(1).sum().backward();
    // Every rank's bias gradient is 2 * mean(out); all ranks must agree after the all-reduce.
    double mine = m.namedParameters().get("fc.bias").grad().toDoubleArray()[0];
    Tensor gathered = Tensor.of(new double[] {mine});
    Distributed.allReduce(gathered, ReduceOp.MAX);
    checks++;
    if (Math.abs(gathered.toDoubleArray()[0] - mine) > 1e-6) {
      failures.add("ddp: several-input call left per-rank gradients (" + mine + " vs max "
          + gathered.toDoubleArray()[0] + ")");
    }
  }

  // ---------------------------------------------------------------------------------------- faults

  private static void faultThrow() {
    Distributed.barrier();
    if (Distributed.rank() == 1) {
      throw new IllegalStateException("injected failure on purpose");
    }
    Tensor t = Tensor.ones(4);
    for (int i = 0; i < 1000; i++) {
      Distributed.allReduce(t, ReduceOp.MAX);
    }
    System.out.println("rank " + Distributed.rank() + " finished although rank 1 failed");
  }

  /**
   * Rank 1 kills itself with SIGKILL (no handler, no abort, no last words) while the ranks are in a
   * loop of 1 MiB all-reduces; the others must end, not wait for it.
   */
  private static void faultKill() throws Exception {
    Distributed.barrier();
    if (Distributed.rank() == 1) {
      Thread killer = new Thread(() -> {
        try {
          Thread.sleep(300);
          new ProcessBuilder("kill", "-KILL", String.valueOf(ProcessHandle.current().pid())).start()
              .waitFor();
        } catch (Exception e) {
          System.out.println("could not kill rank 1: " + e);
        }
      });
      killer.setDaemon(true);
      killer.start();
    }
    Tensor t = Tensor.ones(1 << 18);
    for (int i = 0; i < 200_000; i++) {
      Distributed.allReduce(t, ReduceOp.MAX);
    }
    System.out.println("rank " + Distributed.rank() + " finished although rank 1 was killed");
  }

  private static void faultHang() throws InterruptedException {
    Distributed.barrier();
    if (Distributed.rank() == 1) {
      Thread.sleep(120_000);
    }
    Distributed.allReduce(Tensor.ones(4), ReduceOp.SUM);
    System.out.println("rank " + Distributed.rank() + " finished although rank 1 never joined");
  }
}
