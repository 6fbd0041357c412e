package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * float32 matrix products of at least 2^18 multiply-adds on the CPU run on oneDNN's sgemm, smaller ones on
 * OpenBLAS (this suite runs where oneDNN's natives load;
 * {@code DnnlFallbackCheck} covers OpenBLAS) and agree with float64 products (OpenBLAS dgemm) in every
 * layout {@code Blas} maps to GEMM flags: plain, transposed views on either side, batched, row pitches
 * wider than the row (a narrowed view), and dimensions of 1.
 */
class GemmPathTest {
  /** Blas.DNNL_MIN_MACS: smaller products stay on OpenBLAS. */
  private static final long MIN_MACS = 1L << 18;
  private static final int[][] SIZES = {{1, 1, 1}, {1, 7, 5}, {6, 1, 4}, {5, 3, 1}, {17, 33, 9}, {64, 32, 64},
      {65, 70, 64}, {1, 512, 512}};

  private static void assertClose(Tensor want64, Tensor got32, int k, String what) {
    double[] w = want64.toDoubleArray();
    double[] g = got32.toDoubleArray();
    assertEquals(w.length, g.length, what);
    for (int i = 0; i < w.length; i++) {
      assertEquals(w[i], g[i], 1e-5 * k * (1 + Math.abs(w[i])), what + " at " + i);
    }
  }

  /** The [b, rows, cols] operand in one layout: a transposed view, a narrowed view (wider pitch) or plain. */
  private static Tensor[] operand(int b, int rows, int cols, boolean trans, boolean widePitch) {
    Tensor base = trans ? Tensor.randn(b, cols, rows) : widePitch ? Tensor.randn(b, rows, cols + 3) : Tensor.randn(b, rows, cols);
    Tensor[] both = {base.to(DType.FLOAT64), base.to(DType.FLOAT32)};
    for (int i = 0; i < 2; i++) {
      both[i] = trans ? both[i].transpose(1, 2) : widePitch ? both[i].narrow(2, 2, cols) : both[i];
    }
    return both;
  }

  /** a [b, m, k] @ b [b, k, n] in float64 and float32 for one layout of each operand. */
  private static void check(int b, int m, int k, int n, boolean transA, boolean transB, boolean widePitch) {
    Tensor[] a = operand(b, m, k, transA, widePitch);
    Tensor[] bm = operand(b, k, n, transB, widePitch);
    String what = String.format("[%d, %d, %d] @ [%d, %d, %d] transA=%b transB=%b widePitch=%b", b, m, k, b, k, n,
        transA, transB, widePitch);
    long before = CpuBackend.dnnlGemms();
    Tensor got = b == 1 ? a[1].squeeze(0).matmul(bm[1].squeeze(0)) : a[1].matmul(bm[1]);
    boolean large = (long) m * n * k >= MIN_MACS;
    assertEquals(large ? before + b : before, CpuBackend.dnnlGemms(), what + (large ? ": not on oneDNN" : ": small, on oneDNN"));
    Tensor want = b == 1 ? a[0].squeeze(0).matmul(bm[0].squeeze(0)) : a[0].matmul(bm[0]);
    assertClose(want, got, k, what);
  }

  @Test
  void everyLayoutMatchesFloat64() {
    Tensor.manualSeed(5);
    try (GradMode off = GradMode.noGrad()) {
      for (int[] s : SIZES) {
        for (int batch : new int[] {1, 3}) {
          for (int layout = 0; layout < 5; layout++) {
            check(batch, s[0], s[1], s[2], layout == 1 || layout == 3, layout == 2 || layout == 3, layout == 4);
          }
        }
      }
    }
  }

  @Test
  void linearForwardAndBackwardUseIt() {
    Tensor x = Tensor.randn(80, 70).requiresGrad(true);
    Tensor w = Tensor.randn(60, 70).requiresGrad(true);
    long before = CpuBackend.dnnlGemms();
    dev.ember.ops.Linalg.linear(x, w, null).sum().backward();
    assertEquals(before + 3, CpuBackend.dnnlGemms(), "x w^T, g w and g^T x");
    Tensor ones = Tensor.ones(80, 60);
    assertClose(ones.to(DType.FLOAT64).matmul(w.detach().to(DType.FLOAT64)), x.grad(), 60, "input gradient");
    assertClose(ones.to(DType.FLOAT64).t().matmul(x.detach().to(DType.FLOAT64)), w.grad(), 80, "weight gradient");
  }
}
