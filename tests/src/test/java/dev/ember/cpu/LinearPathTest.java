package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A float32 Linear with a bias on the CPU (where oneDNN loads; {@code DnnlFallbackCheck} covers it off):
 * the forward runs as one oneDNN matmul with a bias argument, bit for bit the product (oneDNN's sgemm, the
 * composed path) plus the bias, for the products {@code Blas} sends to oneDNN, and stays composed for the
 * small ones it keeps on OpenBLAS; the bias gradient, summed in blocks of rows on oneDNN and then across
 * blocks in double, stays within a few float32 roundings of the exact sum for batches with and without
 * a divisor up to their square root.
 */
class LinearPathTest {
  @AfterEach
  void switchBackOn() {
    FusedPrimitives.setEnabled(true);
  }

  private static Tensor composed(Tensor x, Tensor w, Tensor b) {
    FusedPrimitives.setEnabled(false);
    try {
      return F.linear(x, w, b);
    } finally {
      FusedPrimitives.setEnabled(true);
    }
  }

  @Test
  void forwardIsTheProductPlusTheBiasBitForBit() {
    assertTrue(CpuBackend.dnnlAvailable(), CpuBackend.dnnlUnavailableReason());
    Tensor.manualSeed(4);
    int[][] shapes = {{1024, 128, 384}, {128, 784, 512}, {128, 512, 10}, {3, 40, 24}, {1, 17, 5}, {256, 33, 65}};
    try (GradMode off = GradMode.noGrad()) {
      for (int[] s : shapes) {
        Tensor x = Tensor.randn(s[0], s[1]);
        Tensor w = Tensor.randn(s[2], s[1]);
        Tensor b = Tensor.randn(s[2]);
        long before = FusedPrimitives.calls();
        Tensor fused = F.linear(x, w, b);
        assertEquals(before + 1, FusedPrimitives.calls(), java.util.Arrays.toString(s) + ": not fused");
        Tensor want = composed(x, w, b);
        float[] got = fused.toFloatArray();
        float[] exp = want.toFloatArray();
        for (int i = 0; i < got.length; i++) {
          assertEquals(Float.floatToIntBits(exp[i]), Float.floatToIntBits(got[i]),
              java.util.Arrays.toString(s) + " element " + i + ": " + got[i] + " vs " + exp[i]);
        }
      }
    }
  }

  @Test
  void smallProductsAndFloat64StayComposed() {
    Tensor.manualSeed(5);
    long before = FusedPrimitives.calls();
    try (GradMode off = GradMode.noGrad()) {
      F.linear(Tensor.randn(32, 16), Tensor.randn(8, 16), Tensor.randn(8));   // 4k multiply-adds, 32 rows
      F.linear(Tensor.randn(64, 96).to(DType.FLOAT64), Tensor.randn(80, 96).to(DType.FLOAT64),
          Tensor.randn(80).to(DType.FLOAT64));
    }
    assertEquals(before, FusedPrimitives.calls());
  }

  @Test
  void biasGradientIsCloseToTheExactSum() {
    Tensor.manualSeed(6);
    for (int n : new int[] {1, 2, 3, 4, 12, 97, 128, 1000, 1024, 4096}) {
      Tensor x = Tensor.randn(n, 64);
      Tensor w = Tensor.randn(40, 64);
      Tensor b = Tensor.randn(40).requiresGrad(true);
      // 1 + noise: large column sums, where float32 accumulation order shows.
      Tensor g = Tensor.randn(n, 40).mul(0.1).add(1);
      F.linear(x, w, b).backward(g);
      double[] gv = g.toDoubleArray();
      double[] got = b.grad().toDoubleArray();
      for (int j = 0; j < 40; j++) {
        double exact = 0;
        for (int i = 0; i < n; i++) {
          exact += gv[i * 40 + j];
        }
        assertEquals(exact, got[j], 4e-7 * Math.abs(exact) + 1e-6, "n = " + n + ", column " + j);
      }
    }
  }
}
