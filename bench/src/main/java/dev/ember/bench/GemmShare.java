package dev.ember.bench;

import dev.ember.GradMode;
import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Times the GEMMs of one W2 or W3 training step alone, at the shapes Ember's step runs them (Linear:
 * {@code x W^T}, {@code g^T x}, {@code g W}; convolution as im2col: {@code W [O, K] @ cols [K, N*oh*ow]}
 * and its two backward products), to estimate the share of a step spent in BLAS. Native BLAS time
 * does not show in JFR's Java samples, so the profile in {@code docs/benchmarks.md} takes it from here.
 *
 * <p>Usage: {@code java -cp ... dev.ember.bench.GemmShare [W2|W3 ...]}; prints the median milliseconds
 * of each product over 50 repetitions and their sum per step, then, in the same JVM, the median of 60
 * training steps (after 20 untimed ones) and the share of those steps' wall time spent in garbage
 * collection (from the collectors' MXBeans).
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

  /** Runs the timing; see the class comment. */
  public static void main(String[] args) {
    List<String> ws = args.length == 0 ? List.of("W2", "W3") : List.of(args);
    Tensor.manualSeed(Workloads.SEED);
    for (String w : ws) {
      // {m, k, n, transA, transB}: C[m, n] = op(A)[m, k] @ op(B)[k, n]; trans = operand is a transposed view.
      int[][] shapes = w.equals("W2")
          ? new int[][] {
              {128, 784, 512, 0, 1}, {128, 512, 512, 0, 1}, {128, 512, 10, 0, 1}, // forward x W^T
              {512, 128, 784, 1, 0}, {512, 128, 512, 1, 0}, {10, 128, 512, 1, 0}, // weight grads g^T x
              {128, 512, 512, 0, 0}, {128, 10, 512, 0, 0}}                         // input grads g W
          : new int[][] {
              {16, 9, 50176, 0, 0}, {32, 144, 12544, 0, 0}, {64, 1568, 10, 0, 1},  // forward
              {16, 50176, 9, 0, 1}, {32, 12544, 144, 0, 1}, {10, 64, 1568, 1, 0},  // weight grads
              {144, 32, 12544, 1, 0}, {64, 10, 1568, 0, 0}};                       // input grads
      double total = 0;
      List<String> parts = new ArrayList<>();
      try (GradMode off = GradMode.noGrad()) {
        for (int[] s : shapes) {
          Tensor a = s[3] == 1 ? Tensor.randn(s[1], s[0]).t() : Tensor.randn(s[0], s[1]);
          Tensor b = s[4] == 1 ? Tensor.randn(s[2], s[1]).t() : Tensor.randn(s[1], s[2]);
          for (int i = 0; i < 10; i++) {
            a.matmul(b);
          }
          double[] t = new double[50];
          for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            a.matmul(b);
            t[i] = (System.nanoTime() - t0) / 1e6;
          }
          java.util.Arrays.sort(t);
          double med = t[t.length / 2];
          total += med;
          parts.add(String.format(Locale.ROOT, "[%d x %d]%s @ [%d x %d]%s %.3f ms", s[0], s[1],
              s[3] == 1 ? "(T)" : "", s[1], s[2], s[4] == 1 ? "(T)" : "", med));
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
