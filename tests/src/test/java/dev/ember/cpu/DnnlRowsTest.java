package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Float32 softmax and layer norm forward run on oneDNN from 65,536 elements (the CPU backend's {@code
 * DnnlRows}) and on the Java row kernels below: a [520, 130] input (67,600 elements,
 * row length 130 = 16 vectors of 8 and a tail of 2) goes to oneDNN whole, and row by row in slices of
 * 10 rows (1300 elements) to the Java kernels; the two must agree, down to the NaN rows and exact
 * zeros of -inf masks. {@code DnnlFallbackCheck} runs these ops with oneDNN off.
 */
class DnnlRowsTest {
  private static final int ROWS = 520;
  private static final int COLS = 130;

  /**
   * Runs {@code op} on {@code x} whole and in slices of 10 rows (the Java kernels); returns both, and
   * checks that oneDNN ran the whole input {@code dnnlRuns} times and never a slice.
   */
  private static double[][] bothPaths(UnaryOperator<Tensor> op, Tensor x, int dnnlRuns) {
    long before = CpuBackend.dnnlRowOps();
    double[] whole = op.apply(x).toDoubleArray();
    assertEquals(before + dnnlRuns, CpuBackend.dnnlRowOps(), "oneDNN runs for the whole input");
    double[] sliced = new double[whole.length];
    for (int r = 0; r < ROWS; r += 10) {
      double[] part = op.apply(x.narrow(0, r, 10).clone()).toDoubleArray();
      System.arraycopy(part, 0, sliced, r * COLS, part.length);
    }
    assertEquals(before + dnnlRuns, CpuBackend.dnnlRowOps(), "slices of 1300 elements stay on the Java kernels");
    return new double[][] {sliced, whole};
  }

  /** NaN where {@code expected} is NaN, the same infinity, else within {@code tol} relative (at least 1). */
  private static void assertAgree(double[] expected, double[] actual, double tol, String what) {
    for (int i = 0; i < expected.length; i++) {
      String at = what + " at row " + i / COLS + ", column " + i % COLS + ": expected " + expected[i] + ", got "
          + actual[i];
      if (Double.isNaN(expected[i]) || Double.isInfinite(expected[i])) {
        assertEquals(expected[i], actual[i], 0, at);
      } else {
        assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), at);
      }
    }
  }

  private static Tensor input(int seed) {
    Tensor.manualSeed(seed);
    return Tensor.randn(ROWS, COLS).mul(4).to(DType.FLOAT32);
  }

  @Test
  void softmaxAgreesWithTheJavaKernelAndLogSoftmaxStaysThere() {
    Tensor x = input(21);
    double[][] soft = bothPaths(t -> t.softmax(-1), x, 1);
    assertAgree(soft[0], soft[1], 2e-6, "softmax");
    for (int i = 0; i < soft[0].length; i++) {
      assertEquals(soft[0][i], soft[1][i], 1e-5 * soft[0][i], "softmax relative to its value at " + i);
    }
    double[] four = x.reshape(2, 5, 52, COLS).softmax(-1).toDoubleArray();   // leading dims flatten into rows
    assertAgree(soft[1], four, 0, "softmax of [2, 5, 52, 130]");
    // log-softmax stays in Java (oneDNN's log of a row sum of 1 is 1.4e-6, not 0): the same values
    double[][] log = bothPaths(t -> t.logSoftmax(-1), x, 0);
    assertAgree(log[0], log[1], 2e-6, "log_softmax");
  }

  @Test
  void masksAndHugeLogitsGiveTheJavaKernelsAnswers() {
    double[] v = input(22).toDoubleArray();
    for (int j = 0; j < COLS; j++) {
      if (j % 3 == 0) {
        v[3 * COLS + j] = Double.NEGATIVE_INFINITY;   // row 3: a third masked, as an attention mask
      }
      if (j != 129) {
        v[13 * COLS + j] = Double.NEGATIVE_INFINITY;  // row 13: one unmasked entry, in the vector tail
      }
      v[17 * COLS + j] *= 1e37;                       // row 17: huge logits
    }
    Tensor x = Tensor.of(v, ROWS, COLS).to(DType.FLOAT32);
    double[][] soft = bothPaths(t -> t.softmax(-1), x, 1);
    assertAgree(soft[0], soft[1], 2e-6, "softmax");
    for (int j = 0; j < COLS; j += 3) {
      assertEquals(0.0, soft[1][3 * COLS + j], 0, "a masked entry is exactly 0");
    }
    assertEquals(1.0, soft[1][13 * COLS + 129], 0, "the one unmasked entry takes everything");
  }

  @Test
  void rowsOfNaNAsInPyTorch() {
    double inf = Double.POSITIVE_INFINITY;
    // a NaN at a row's start, inside a vector, at the tail's start and at its end; an all -inf row;
    // a +inf at a vector start and in the tail: oneDNN runs, its result holds a NaN and it declines,
    // and the Java kernel gives every such row as NaN; the other rows are untouched. Rows 400 and 518
    // lie in the last share of oneDNN's NaN check (one share per thread).
    int[][] cases = {{7, 0}, {7, 40}, {7, 128}, {7, 129}, {5, -1}, {9, 8}, {11, 129}, {400, 64}, {518, 129},
        {518, -1}};
    for (int[] c : cases) {
      double[] v = input(27).toDoubleArray();
      for (int j = 0; j < COLS; j++) {
        if (c[1] < 0) {
          v[c[0] * COLS + j] = Double.NEGATIVE_INFINITY;
        }
      }
      if (c[1] >= 0) {
        v[c[0] * COLS + c[1]] = c[0] == 7 || c[0] == 400 ? Double.NaN : inf;
      }
      Tensor x = Tensor.of(v, ROWS, COLS).to(DType.FLOAT32);
      double[][] soft = bothPaths(t -> t.softmax(-1), x, 1);
      assertAgree(soft[0], soft[1], 2e-6, "softmax, row " + c[0] + " column " + c[1]);
      for (int j = 0; j < COLS; j++) {
        assertTrue(Double.isNaN(soft[1][c[0] * COLS + j]), "row " + c[0] + " is NaN at column " + j);
      }
      assertTrue(Double.isFinite(soft[1][(c[0] + 1) * COLS]), "the next row is finite");
    }
  }

  @Test
  void logSoftmaxEdgeRowsMatchTheComposition() {
    // the Java log-softmax kernel (one and two threads: 70 x 130 and 300 x 130 floats) against the
    // composition of primitives: masks, a row of -inf, NaN, +inf and huge logits
    for (int rows : new int[] {70, 300}) {
      Tensor.manualSeed(28);
      double[] v = Tensor.randn(rows, COLS).mul(4).toDoubleArray();
      for (int j = 0; j < COLS; j++) {
        if (j % 3 == 0) {
          v[3 * COLS + j] = Double.NEGATIVE_INFINITY;
        }
        v[5 * COLS + j] = Double.NEGATIVE_INFINITY;
        v[17 * COLS + j] *= 1e37;
      }
      v[7 * COLS + 40] = Double.NaN;
      v[9 * COLS + 129] = Double.POSITIVE_INFINITY;
      Tensor x = Tensor.of(v, rows, COLS).to(DType.FLOAT32);
      double[] fused = x.logSoftmax(-1).toDoubleArray();
      boolean was = dev.ember.internal.FusedPrimitives.setEnabled(false);
      double[] composed;
      try {
        composed = x.logSoftmax(-1).toDoubleArray();
      } finally {
        dev.ember.internal.FusedPrimitives.setEnabled(was);
      }
      assertAgree(composed, fused, 2e-6, "log_softmax of " + rows + " rows");
      for (int row : new int[] {5, 7, 9}) {
        assertTrue(Double.isNaN(fused[row * COLS + 1]), "log_softmax of row " + row + " is NaN");
      }
      assertEquals(Double.NEGATIVE_INFINITY, fused[3 * COLS], "a masked log-probability is -inf");
    }
  }

  @Test
  void layerNormWithAndWithoutItsAffineParametersAgreeWithTheJavaKernels() {
    Tensor x = input(23).add(3);
    Tensor.manualSeed(24);
    Tensor w = Tensor.randn(COLS).to(DType.FLOAT32);
    Tensor b = Tensor.randn(COLS).to(DType.FLOAT32);
    Tensor[][] params = {{w, b}, {w, null}, {null, b}, {null, null}};
    for (Tensor[] p : params) {
      String what = "layer_norm weight=" + (p[0] != null) + " bias=" + (p[1] != null);
      double[][] y = bothPaths(t -> dev.ember.nn.functional.F.layerNorm(t, new int[] {COLS}, p[0], p[1], 1e-5), x, 1);
      assertAgree(y[0], y[1], 5e-6, what);
    }
    double[] v = x.toDoubleArray();
    v[4 * COLS + 17] = Double.NaN;
    v[6 * COLS + 129] = Double.POSITIVE_INFINITY;
    v[8 * COLS] = Double.NEGATIVE_INFINITY;
    Tensor odd = Tensor.of(v, ROWS, COLS).to(DType.FLOAT32);
    double[][] y = bothPaths(t -> dev.ember.nn.functional.F.layerNorm(t, new int[] {COLS}, w, b, 1e-5), odd, 1);
    assertAgree(y[0], y[1], 5e-6, "layer_norm with a NaN, +inf and -inf");
    for (int row : new int[] {4, 6, 8}) {
      assertTrue(Double.isNaN(y[1][row * COLS + 1]), "layer_norm of row " + row + " is NaN");
    }
    // the saved statistics the Java backward reads: the mean and 1 / sqrt(var + eps) of each row
    Tensor out = Tensor.empty(ROWS, COLS);
    Tensor mean = Tensor.empty(ROWS);
    Tensor rstd = Tensor.empty(ROWS);
    long before = CpuBackend.dnnlRowOps();
    assertTrue(x.backend().layerNorm(x.strided(), w.strided(), b.strided(), 1e-5, out.strided(), mean.strided(),
        rstd.strided()));
    assertEquals(before + 1, CpuBackend.dnnlRowOps());
    Tensor xd = x.to(DType.FLOAT64);
    double[] mu = xd.mean(1, false).toDoubleArray();
    double[] var = xd.sub(xd.mean(1, true)).square().mean(1, false).toDoubleArray();
    double[] gotMean = mean.toDoubleArray();
    double[] gotRstd = rstd.toDoubleArray();
    for (int r = 0; r < ROWS; r++) {
      assertEquals(mu[r], gotMean[r], 1e-5 * Math.max(1, Math.abs(mu[r])), "mean of row " + r);
      double expected = 1 / Math.sqrt(var[r] + 1e-5);
      assertEquals(expected, gotRstd[r], 1e-5 * expected, "rstd of row " + r);
    }
  }
}
