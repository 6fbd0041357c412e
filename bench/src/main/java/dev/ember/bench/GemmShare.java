package dev.ember.bench;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Times the GEMMs of one W2, W3 or W4 training step alone, at the shapes and layouts Ember's step runs
 * them (Linear: {@code x W^T}, {@code g^T x}, {@code g W}; convolution as im2col: {@code W [O, K] @ cols
 * [K, N*oh*ow]} and its two backward products; W4's attention: 64 per-head products per call), to
 * estimate the share of a step spent in BLAS. Native BLAS time does not show in JFR's Java samples, so
 * the profile in {@code docs/benchmarks.md} takes it from here.
 *
 * <p>Each product's result is freed as soon as it is made (a {@link TensorScope} per call), as PyTorch
 * frees an unreferenced result and as a training step's scopes do: left open, every call gets fresh
 * memory and pays its page faults, about 0.35 ms per MiB of result here, which made the weight
 * gradients (the largest results of W2) look twice as slow as the forward products of equal work.
 *
 * <p>Usage: {@code java -cp ... dev.ember.bench.GemmShare [W2|W3|W4 ...]}; prints the median milliseconds
 * of each product over 50 repetitions (after 200 untimed ones, so Ember's Java side is compiled) times
 * how often a step runs it, and their sum per step, then, in the same JVM, the median of 60 training
 * steps (after 20 untimed ones) and the share of those steps' wall time spent in garbage collection
 * (from the collectors' MXBeans).
 */
public final class GemmShare {
  private GemmShare() {}

  private static long gcMillis() {
    long sum = 0;
    for (var b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, b.getCollectionTime());
    }
    return sum;
  }

  /** The products of one step of {@code w}: {m, k, n, transA, transB, batch, times per step}. */
  private static int[][] shapes(String w) {
    return switch (w) {
      case "W2" -> new int[][] {
          {128, 784, 512, 0, 1, 1, 1}, {128, 512, 512, 0, 1, 1, 1}, {128, 512, 10, 0, 1, 1, 1}, // forward x W^T
          {512, 128, 784, 1, 0, 1, 1}, {512, 128, 512, 1, 0, 1, 1}, {10, 128, 512, 1, 0, 1, 1}, // weight grads g^T x
          {128, 512, 512, 0, 0, 1, 1}, {128, 10, 512, 0, 0, 1, 1}};                         // input grads g W
      case "W3" -> new int[][] {
          {16, 9, 50176, 0, 0, 1, 1}, {32, 144, 12544, 0, 0, 1, 1}, {64, 1568, 10, 0, 1, 1, 1},  // forward
          {16, 50176, 9, 0, 1, 1, 1}, {32, 12544, 144, 0, 1, 1, 1}, {10, 64, 1568, 1, 0, 1, 1},  // weight grads
          {144, 32, 12544, 1, 0, 1, 1}, {64, 10, 1568, 0, 0, 1, 1}};                             // input grads
      case "W4" -> new int[][] {
          // per layer (4): qkv, attention proj, MLP fc and proj, forward x W^T
          {1024, 128, 384, 0, 1, 1, 4}, {1024, 128, 128, 0, 1, 1, 4}, {1024, 128, 512, 0, 1, 1, 4},
          {1024, 512, 128, 0, 1, 1, 4},
          {1024, 384, 128, 0, 0, 1, 4}, {1024, 128, 128, 0, 0, 1, 4}, {1024, 512, 128, 0, 0, 1, 4},  // g W
          {1024, 128, 512, 0, 0, 1, 4},
          {384, 1024, 128, 1, 0, 1, 4}, {128, 1024, 128, 1, 0, 1, 4}, {512, 1024, 128, 1, 0, 1, 4},  // g^T x
          {128, 1024, 512, 1, 0, 1, 4},
          {1024, 128, 65, 0, 1, 1, 1}, {1024, 65, 128, 0, 0, 1, 1}, {65, 1024, 128, 1, 0, 1, 1},     // lm head
          // attention, 16 x 4 heads: q k^T, att v; backward g k, q^T g, g v^T, att^T g
          {64, 32, 64, 0, 1, 64, 4}, {64, 64, 32, 0, 0, 64, 8}, {32, 64, 64, 1, 0, 64, 4},
          {64, 32, 64, 0, 1, 64, 4}, {64, 64, 32, 1, 0, 64, 4}};
      default -> throw new IllegalArgumentException("GemmShare: unknown workload " + w + " (W2, W3 or W4)");
    };
  }

  /** Runs the timing; see the class comment. */
  public static void main(String[] args) {
    List<String> ws = args.length == 0 ? List.of("W2", "W3") : List.of(args);
    Tensor.manualSeed(Workloads.SEED);
    for (String w : ws) {
      // {m, k, n, transA, transB, batch, per step}: C[m, n] = op(A)[m, k] @ op(B)[k, n], batch times;
      // trans = the operand is a transposed view.
      int[][] shapes = shapes(w);
      double total = 0;
      List<String> parts = new ArrayList<>();
      try (GradMode off = GradMode.noGrad()) {
        for (int[] s : shapes) {
          int batch = s[5];
          Tensor a = (s[3] == 1 ? Tensor.randn(batch, s[1], s[0]).transpose(1, 2) : Tensor.randn(batch, s[0], s[1]));
          Tensor b = (s[4] == 1 ? Tensor.randn(batch, s[2], s[1]).transpose(1, 2) : Tensor.randn(batch, s[1], s[2]));
          if (batch == 1) {
            a = a.squeeze(0);
            b = b.squeeze(0);
          }
          for (int i = 0; i < 200; i++) {
            try (TensorScope scope = TensorScope.open()) {
              a.matmul(b);
            }
          }
          double[] t = new double[50];
          for (int i = 0; i < t.length; i++) {
            try (TensorScope scope = TensorScope.open()) {
              long t0 = System.nanoTime();
              a.matmul(b);
              t[i] = (System.nanoTime() - t0) / 1e6;
            }
          }
          java.util.Arrays.sort(t);
          double med = t[t.length / 2];
          total += med * s[6];
          parts.add(String.format(Locale.ROOT, "%s[%d x %d]%s @ [%d x %d]%s %.3f ms%s",
              batch > 1 ? batch + " x " : "", s[0], s[1], s[3] == 1 ? "(T)" : "", s[1], s[2],
              s[4] == 1 ? "(T)" : "", med, s[6] > 1 ? " (x" + s[6] + " per step)" : ""));
        }
      }
      System.out.printf(Locale.ROOT, "%s GEMMs per step: %.2f ms%n", w, total);
      parts.forEach(p -> System.out.println("  " + p));
      Workloads.Step step = Workloads.build(w, dev.ember.Device.CPU);
      for (int i = 0; i < 20; i++) {
        step.run();
      }
      double[] t = new double[60];
      long gc0 = gcMillis();
      long w0 = System.nanoTime();
      for (int i = 0; i < t.length; i++) {
        long t0 = System.nanoTime();
        step.run();
        t[i] = (System.nanoTime() - t0) / 1e6;
      }
      double wall = (System.nanoTime() - w0) / 1e6;
      double gc = gcMillis() - gc0;
      java.util.Arrays.sort(t);
      double med = t[t.length / 2];
      System.out.printf(Locale.ROOT, "%s step median %.2f ms (min %.2f): GEMMs %.0f%% of the median step; "
          + "GC %.0f ms of %.0f ms (%.1f%%)%n", w, med, t[0], 100 * total / med, gc, wall, 100 * gc / wall);
    }
  }
}
