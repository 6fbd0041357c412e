package dev.ember.bench;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.nn.functional.F;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Splits the time of {@code F.linear(x, w, b)} and of its forward + backward ({@code out.sum().backward()},
 * gradients to x, w and b) into its pieces at one shape, the way {@code OpsBenchmark}'s {@code linear} case
 * runs them: the whole op, the product through Ember's matmul, the bias add, the two backward products fed
 * the gradient as backward sees it (the scalar's gradient broadcast to [N, out], stride 0) and fed a
 * contiguous one, the bias gradient's column sum, an allocation of the result, and oneDNN's {@code
 * dnnl_sgemm} on raw buffers for the three products. Pieces are run round-robin in blocks of 10 calls, each
 * call in its own {@link TensorScope}; prints the median and minimum microseconds per call of each, wall
 * time and the calling thread's CPU time (the figure to compare on a loaded machine with {@code
 * OMP_NUM_THREADS=1}, where oneDNN runs on the calling thread).
 *
 * <p>Usage: {@code java -cp ... dev.ember.bench.LinearProbe [N K M] [rounds=30]} (default 1024 128 384,
 * OpsBenchmark's {@code linear:1024x128x384}: x [N, K], w [M, K], b [M]).
 */
public final class LinearProbe {
  private LinearProbe() {}

  /** Runs the probe; see the class comment. */
  public static void main(String[] args) {
    int n = args.length >= 3 ? Integer.parseInt(args[0]) : 1024;
    int k = args.length >= 3 ? Integer.parseInt(args[1]) : 128;
    int m = args.length >= 3 ? Integer.parseInt(args[2]) : 384;
    int rounds = args.length >= 4 ? Integer.parseInt(args[3]) : 30;
    Tensor.manualSeed(0);
    Tensor x = TensorScope.disown(Tensor.randn(n, k)).requiresGrad(true);
    Tensor w = TensorScope.disown(Tensor.randn(m, k)).requiresGrad(true);
    Tensor b = TensorScope.disown(Tensor.randn(m)).requiresGrad(true);
    Tensor xd = x.detach();
    Tensor wd = w.detach();
    Tensor bd = b.detach();
    Tensor y = TensorScope.disown(xd.matmul(wd.t()));
    Tensor gc = TensorScope.disown(Tensor.ones(n, m));
    Tensor ge = TensorScope.disown(Tensor.ones()).expand(n, m);
    FloatPointer px = new FloatPointer((long) n * k);
    FloatPointer pw = new FloatPointer((long) m * k);
    FloatPointer pg = new FloatPointer((long) n * m);
    FloatPointer po = new FloatPointer((long) Math.max(n * m, Math.max(n * k, m * k)));
    for (FloatPointer p : List.of(px, pw, pg, po)) {
      for (long i = 0; i < p.capacity(); i++) {
        p.put(i, (float) Math.sin(i));
      }
    }
    Map<String, Runnable> pieces = new LinkedHashMap<>();
    pieces.put("fwd: F.linear, no grad", () -> {
      try (GradMode off = GradMode.noGrad()) {
        F.linear(x, w, b);
      }
    });
    pieces.put("fwdbwd: F.linear(...).sum().backward()", () -> {
      x.setGrad(null);
      w.setGrad(null);
      b.setGrad(null);
      F.linear(x, w, b).sum().backward();
    });
    pieces.put("fwd with grad, F.linear", () -> F.linear(x, w, b));
    pieces.put("F.linear(x, w, b).backward(g), only b needs grad", () -> {
      b.setGrad(null);
      F.linear(xd, wd, b).backward(gc);
    });
    pieces.put("y.sum() (the benchmark's loss)", () -> y.sum());
    pieces.put("x @ w^T (Ember matmul)", () -> xd.matmul(wd.t()));
    pieces.put("y + b (bias add)", () -> y.add(bd));
    pieces.put("Tensor.empty(N, M)", () -> Tensor.empty(n, m));
    pieces.put("g @ w, g broadcast (stride 0)", () -> ge.mm(wd));
    pieces.put("g^T @ x, g broadcast (stride 0)", () -> ge.t().mm(xd));
    pieces.put("g @ w, g contiguous", () -> gc.mm(wd));
    pieces.put("g^T @ x, g contiguous", () -> gc.t().mm(xd));
    pieces.put("g.sum(0), g broadcast", () -> ge.sum(new int[] {0}, true));
    pieces.put("g.sum(0), g contiguous", () -> gc.sum(new int[] {0}, true));
    pieces.put("g.contiguous(), g broadcast", () -> ge.contiguous());
    pieces.put("Tensor.full(1, N, M)", () -> Tensor.full(1.0, n, m));
    pieces.put("dnnl_sgemm N,T  x w^T  [N,K]x[K,M]", () -> sgemm('N', 'T', n, m, k, px, k, pw, k, po, m));
    pieces.put("dnnl_sgemm N,N  g w    [N,M]x[M,K]", () -> sgemm('N', 'N', n, k, m, pg, m, pw, k, po, k));
    pieces.put("dnnl_sgemm T,N  g^T x  [M,N]x[N,K]", () -> sgemm('T', 'N', m, k, n, pg, m, px, k, po, k));
    Map<String, List<Double>> times = new LinkedHashMap<>();
    Map<String, List<Double>> cpuTimes = new LinkedHashMap<>();
    Map<String, long[]> faults = new LinkedHashMap<>();
    pieces.keySet().forEach(p -> faults.put(p, new long[1]));
    pieces.keySet().forEach(p -> times.put(p, new ArrayList<>()));
    pieces.keySet().forEach(p -> cpuTimes.put(p, new ArrayList<>()));
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int r = -5; r < rounds; r++) {
      for (Map.Entry<String, Runnable> e : pieces.entrySet()) {
        for (int i = 0; i < 10; i++) {
          try (TensorScope scope = TensorScope.open()) {
            long f0 = minorFaults();
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            e.getValue().run();
            long t = System.nanoTime() - t0;
            long c = threads.getCurrentThreadCpuTime() - c0;
            if (r >= 0) {
              times.get(e.getKey()).add(t / 1e3);
              cpuTimes.get(e.getKey()).add(c / 1e3);
              faults.get(e.getKey())[0] += minorFaults() - f0;
            }
          }
        }
      }
    }
    System.out.printf(Locale.ROOT, "linear [%d, %d] x [%d, %d]^T + [%d], us per call: wall median (min), calling thread's CPU median (min), minor page faults per call%n",
        n, k, m, k, m);
    times.forEach((name, t) -> {
      double[] a = t.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double[] c = cpuTimes.get(name).stream().mapToDouble(Double::doubleValue).sorted().toArray();
      System.out.printf(Locale.ROOT, "  %-42s %8.1f (%7.1f)   %8.1f (%7.1f)   %6.1f%n", name, a[a.length / 2], a[0],
          c[c.length / 2], c[0], (double) faults.get(name)[0] / a.length);
    });
  }

  /** The process's minor page faults so far (field 10 of /proc/self/stat), or 0 where it cannot be read. */
  private static long minorFaults() {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
      return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
  }

  private static void sgemm(char ta, char tb, int m, int n, int k, FloatPointer a, int lda, FloatPointer b, int ldb,
      FloatPointer c, int ldc) {
    int status = dnnl.dnnl_sgemm((byte) ta, (byte) tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc);
    if (status != dnnl.dnnl_success) {
      throw new IllegalStateException("LinearProbe: dnnl_sgemm failed with status " + status);
    }
  }
}
