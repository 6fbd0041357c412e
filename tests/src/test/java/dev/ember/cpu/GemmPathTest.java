package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * float32 matrix products of at least 2^18 multiply-adds (or fewer than 16 result rows) on the CPU run on
 * oneDNN's sgemm, other small ones on OpenBLAS, and batches of several products as one call of oneDNN's matmul primitive whatever their size
 * (this suite runs where oneDNN's natives load;
 * {@code DnnlFallbackCheck} covers OpenBLAS) and agree with float64 products (OpenBLAS dgemm) in every
 * layout {@code Blas} maps to GEMM flags: plain, transposed views on either side, batched, row pitches
 * wider than the row (a narrowed view), and dimensions of 1.
 */
class GemmPathTest {
  /** Blas.DNNL_MIN_MACS: smaller products stay on OpenBLAS... */
  private static final long MIN_MACS = 1L << 18;
  /** ...unless they have fewer result rows than Blas.DNNL_SKINNY_ROWS. */
  private static final int SKINNY_ROWS = 16;
  private static final int[][] SIZES = {{1, 1, 1}, {1, 7, 5}, {6, 1, 4}, {5, 3, 1}, {15, 40, 30}, {16, 40, 30},
      {17, 33, 9}, {64, 32, 64}, {65, 70, 64}, {1, 512, 512}};

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
    long batchesBefore = CpuBackend.dnnlBatchedMatmuls();
    Tensor got = b == 1 ? a[1].squeeze(0).matmul(bm[1].squeeze(0)) : a[1].matmul(bm[1]);
    boolean onDnnl = (long) m * n * k >= MIN_MACS || m < SKINNY_ROWS;
    if (b > 1) {
      assertEquals(batchesBefore + 1, CpuBackend.dnnlBatchedMatmuls(), what + ": not one oneDNN matmul call");
      assertEquals(before + b, CpuBackend.dnnlGemms(), what);
    } else {
      assertEquals(onDnnl ? before + b : before, CpuBackend.dnnlGemms(), what + (onDnnl ? ": not on oneDNN" : ": small, on oneDNN"));
      assertEquals(batchesBefore, CpuBackend.dnnlBatchedMatmuls(), what + ": a single product as a batch");
    }
    Tensor want = b == 1 ? a[0].squeeze(0).matmul(bm[0].squeeze(0)) : a[0].matmul(bm[0]);
    assertClose(want, got, k, what);
  }

  /**
   * One operand shared by every batch entry (batch stride 0 after broadcasting [1, ., .] against
   * [3, ., .]), in each layout of the other: oneDNN's matmul broadcasts it.
   */
  @Test
  void sharedOperandBroadcastsOverTheBatch() {
    Tensor.manualSeed(6);
    try (GradMode off = GradMode.noGrad()) {
      for (boolean sharedLeft : new boolean[] {true, false}) {
        for (int layout = 0; layout < 4; layout++) {
          boolean transA = layout == 1 || layout == 3;
          boolean transB = layout == 2 || layout == 3;
          Tensor[] a = operand(sharedLeft ? 1 : 3, 17, 9, transA, false);
          Tensor[] bm = operand(sharedLeft ? 3 : 1, 9, 33, transB, false);
          String what = "shared " + (sharedLeft ? "left" : "right") + " transA=" + transA + " transB=" + transB;
          long batchesBefore = CpuBackend.dnnlBatchedMatmuls();
          Tensor got = a[1].matmul(bm[1]);
          assertEquals(batchesBefore + 1, CpuBackend.dnnlBatchedMatmuls(), what + ": not one oneDNN matmul call");
          assertEquals(dev.ember.Shape.of(3, 17, 33), got.shape(), what);
          assertClose(a[0].matmul(bm[0]), got, 9, what);
        }
      }
    }
  }

  /** Attention's per-head products, forward and backward, through bmm at W4's shapes. */
  @Test
  void attentionShapedBatchesAndTheirGradients() {
    Tensor.manualSeed(7);
    Tensor q = Tensor.randn(2, 4, 64, 32).requiresGrad(true);
    Tensor k = Tensor.randn(2, 4, 64, 32).requiresGrad(true);
    long batchesBefore = CpuBackend.dnnlBatchedMatmuls();
    Tensor s = q.matmul(k.transpose(-2, -1));
    s.mul(s).sum().backward();
    // forward q k^T, then 2 s k and 2 s^T q
    assertEquals(batchesBefore + 3, CpuBackend.dnnlBatchedMatmuls(), "q k^T and both gradients");
    Tensor q64 = q.detach().to(DType.FLOAT64);
    Tensor k64 = k.detach().to(DType.FLOAT64);
    Tensor s64 = q64.matmul(k64.transpose(-2, -1));
    assertClose(s64, s, 32, "q k^T");
    assertClose(s64.mul(2).matmul(k64), q.grad(), 64 * 32, "q gradient");
    assertClose(s64.mul(2).transpose(-2, -1).matmul(q64), k.grad(), 64 * 32, "k gradient");
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
