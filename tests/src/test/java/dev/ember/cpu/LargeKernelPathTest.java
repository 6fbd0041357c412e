package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.UnaryOp;
import dev.ember.backend.cpu.CpuBackend;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Large elementwise ops run on ND4J's native kernels, small ones in Java loops: both paths must
 * agree. Each op runs on a tensor above the ND4J threshold and, piece by piece, on slices below it.
 */
class LargeKernelPathTest {
  private static void agree(String name, UnaryOperator<Tensor> op, Tensor x, double tol) {
    int n = (int) x.numel();
    Tensor whole = op.apply(x);
    double worst = 0;
    for (int start = 0; start < n; start += 1000) {
      int len = Math.min(1000, n - start);
      double[] small = op.apply(x.narrow(0, start, len).clone()).toDoubleArray();
      double[] large = whole.narrow(0, start, len).toDoubleArray();
      for (int i = 0; i < len; i++) {
        double scale = Math.max(1, Math.abs(small[i]));
        worst = Math.max(worst, Math.abs(small[i] - large[i]) / scale);
      }
    }
    assertEquals(0, worst, tol, name + ": Java and ND4J paths differ by " + worst);
  }

  @Test
  void nd4jKernelsLoad() {
    assertTrue(CpuBackend.nd4jKernelsAvailable(), "ND4J's natives should load on this platform");
  }

  /**
   * Near 0, where expm1, log1p, tanh, sin and erf are about x, the large path keeps their relative
   * accuracy: within 4 ulps of the small (Java) path, element by element. libnd4j's expm1 and log1p
   * are exp(x) - 1 and log(1 + x) (log1p(1e-9) gave 0 in float32) and its float64 tanh gave 0 for
   * tanh(1e-45), so those stay in Java; {@link #nativeAndJavaPathsAgree}'s tolerance, relative to
   * max(1, |y|), cannot see this.
   */
  @Test
  void smallArgumentsKeepTheirRelativeAccuracyOnTheLargePath() {
    java.util.Random random = new java.util.Random(5);
    double[] values = new double[300_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (random.nextBoolean() ? 1 : -1) * Math.pow(10, -12 + 10 * random.nextDouble());
    }
    java.util.Map<String, UnaryOperator<Tensor>> ops = new java.util.LinkedHashMap<>();
    ops.put("expm1", Tensor::expm1);
    ops.put("log1p", Tensor::log1p);
    ops.put("tanh", Tensor::tanh);
    ops.put("sin", Tensor::sin);
    ops.put("erf", Tensor::erf);
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = Tensor.of(values).to(t);
      for (var e : ops.entrySet()) {
        double[] large = e.getValue().apply(x).toDoubleArray();
        for (int start = 0; start < values.length; start += 30_000) {
          double[] small = e.getValue().apply(x.narrow(0, start, 1000).clone()).toDoubleArray();
          for (int i = 0; i < small.length; i++) {
            double ulp = t == DType.FLOAT32 ? Math.ulp((float) small[i]) : Math.ulp(small[i]);
            assertTrue(Math.abs(large[start + i] - small[i]) <= 4 * ulp, e.getKey() + " " + t + " at x = "
                + values[start + i] + ": large path " + large[start + i] + ", small path " + small[i]);
          }
        }
      }
    }
  }

  @Test
  void nativeAndJavaPathsAgree() {
    Tensor.manualSeed(11);
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      double tol = t == DType.FLOAT32 ? 2e-6 : 1e-13;
      Tensor x = Tensor.randn(300_000).to(t);
      Tensor positive = x.abs().add(0.01);
      agree("exp " + t, Tensor::exp, x, tol);
      agree("expm1 " + t, Tensor::expm1, x, tol);
      agree("tanh " + t, Tensor::tanh, x, tol);
      agree("sigmoid " + t, Tensor::sigmoid, x, tol);
      agree("sin " + t, Tensor::sin, x, tol);
      agree("cos " + t, Tensor::cos, x, tol);
      agree("erf " + t, Tensor::erf, x, tol);
      agree("log " + t, Tensor::log, positive, tol);
      agree("log1p " + t, Tensor::log1p, positive, tol);
      agree("sqrt " + t, Tensor::sqrt, positive, tol);
      agree("rsqrt " + t, Tensor::rsqrt, positive, tol);
      Tensor rows = x.reshape(-1, 600);
      Tensor fusedSoftmax = rows.softmax(-1);
      Tensor fusedLog = rows.logSoftmax(-1);
      for (int r = 0; r < rows.size(0); r += 97) {
        Tensor row = rows.narrow(0, r, 1).clone();
        double[] expected = row.softmax(-1).toDoubleArray();
        double[] expectedLog = row.logSoftmax(-1).toDoubleArray();
        double[] got = fusedSoftmax.narrow(0, r, 1).toDoubleArray();
        double[] gotLog = fusedLog.narrow(0, r, 1).toDoubleArray();
        for (int i = 0; i < expected.length; i++) {
          assertEquals(expected[i], got[i], tol * Math.max(1, expected[i]), "softmax " + t);
          assertEquals(expectedLog[i], gotLog[i], tol * 10 * Math.max(1, Math.abs(expectedLog[i])), "log_softmax " + t);
        }
      }
      Tensor extreme = rows.sign().mul(400);
      for (double v : extreme.logSoftmax(-1).toDoubleArray()) {
        assertTrue(Double.isFinite(v), "log_softmax at +-400 must stay finite (" + t + ")");
      }
      for (double v : extreme.softmax(-1).toDoubleArray()) {
        assertTrue(Double.isFinite(v) && v >= 0 && v <= 1, "softmax at +-400 must stay in [0, 1] (" + t + ")");
      }
      for (UnaryOp op : new UnaryOp[] {UnaryOp.GELU, UnaryOp.GELU_GRAD, UnaryOp.GELU_TANH, UnaryOp.GELU_TANH_GRAD}) {
        agree(op + " " + t, v -> Dispatch.unary(op, v), x, tol);
      }
    }
  }
}
