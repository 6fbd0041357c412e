package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.spi.UnaryBackwardOp;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Large contiguous float32 add/sub/mul/div, relu, exp and sigmoid run on oneDNN's binary and eltwise
 * primitives, small ones in Java loops: the binary ops and relu must agree bit for bit (NaN, the
 * infinities and signed zeros included), exp and sigmoid with double-precision math within
 * VectorMathTest's tolerance. Each op runs on a
 * tensor above the threshold and, in 1,000-element slices, below it. {@code DnnlFallbackCheck}
 * covers {@code -Dember.cpu.dnnl=false}.
 */
class DnnlElementwiseTest {
  private static final int N = 300_000;

  /** {@code N} float32 values: normal ones, with NaN, the infinities, signed zeros and denormals sprinkled in. */
  private static Tensor values(long seed, double scale) {
    Tensor.manualSeed(seed);
    double[] v = Tensor.randn(N).mul(scale).toDoubleArray();
    double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 1e-45, -1e-45,
        3e-39, Float.MAX_VALUE, -Float.MAX_VALUE};
    for (int i = 0; i < N; i += 997) {
      v[i] = special[(i / 997) % special.length];
    }
    return Tensor.of(v, N).to(DType.FLOAT32);
  }

  /** Asserts that {@code got} equals {@code want} bit for bit as floats (any NaN equals any NaN). */
  private static void assertSameFloats(String what, double[] want, double[] got) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      float w = (float) want[i];
      float g = (float) got[i];
      if (!(Float.isNaN(w) && Float.isNaN(g)) && Float.floatToRawIntBits(w) != Float.floatToRawIntBits(g)) {
        throw new AssertionError(what + " at " + i + ": Java path " + w + ", oneDNN path " + g);
      }
    }
  }

  /** {@code op(a, b)} on the whole tensors (oneDNN) and slice by slice (Java), bit for bit. */
  private static void binaryAgrees(String name, BinaryOperator<Tensor> op, Tensor a, Tensor b, boolean sliceB) {
    long before = CpuBackend.dnnlElementwiseCalls();
    double[] whole = op.apply(a, b).toDoubleArray();
    assertEquals(before + 1, CpuBackend.dnnlElementwiseCalls(), name + " should run on oneDNN");
    double[] sliced = new double[N];
    long small = CpuBackend.dnnlElementwiseCalls();
    for (int start = 0; start < N; start += 1000) {
      Tensor part = op.apply(a.narrow(0, start, 1000), sliceB ? b.narrow(0, start, 1000) : b);
      System.arraycopy(part.toDoubleArray(), 0, sliced, start, 1000);
    }
    assertEquals(small, CpuBackend.dnnlElementwiseCalls(), name + ": 1,000 elements stay in Java");
    assertSameFloats(name, sliced, whole);
  }

  @Test
  void loadsHere() {
    assertTrue(CpuBackend.dnnlAvailable(), CpuBackend.dnnlUnavailableReason());
  }

  @Test
  void largeBinaryOpsAreBitIdenticalToTheJavaLoops() {
    Tensor x = values(1, 3);
    Tensor y = values(2, 0.5);
    binaryAgrees("add", Tensor::add, x, y, true);
    binaryAgrees("sub", Tensor::sub, x, y, true);
    binaryAgrees("mul", Tensor::mul, x, y, true);
    binaryAgrees("div", Tensor::div, x, y, true);
    Tensor scalar = Tensor.of(new double[] {-0.3}, 1).to(DType.FLOAT32);
    binaryAgrees("add a value", Tensor::add, x, scalar, false);
    binaryAgrees("div by a value", Tensor::div, x, scalar, false);
    binaryAgrees("sub a value", Tensor::sub, x, scalar, false);
    binaryAgrees("a value times", (a, s) -> s.expand((int) a.numel()).mul(a), x, scalar, false);
    binaryAgrees("a value plus", (a, s) -> s.expand((int) a.numel()).add(a), x, scalar, false);
    binaryAgrees("in place", (a, b) -> a.clone().addInPlace(b), x, y, true);
  }

  /** A row broadcast over the leading dims (a bias) goes to oneDNN too, bit for bit; a column stays in Java. */
  @Test
  void largeRowBroadcastsAreBitIdenticalToTheJavaLoops() {
    Tensor x = values(11, 3).reshape(600, 500);
    Tensor row = values(12, 0.5).narrow(0, 0, 500);
    for (String name : new String[] {"add", "sub", "mul", "div", "row plus", "row times"}) {
      BinaryOperator<Tensor> op = switch (name) {
        case "add" -> Tensor::add;
        case "sub" -> Tensor::sub;
        case "mul" -> Tensor::mul;
        case "div" -> Tensor::div;
        case "row plus" -> (a, r) -> r.add(a);
        default -> (a, r) -> r.mul(a);
      };
      long before = CpuBackend.dnnlElementwiseCalls();
      double[] whole = op.apply(x, row).toDoubleArray();
      assertEquals(before + 1, CpuBackend.dnnlElementwiseCalls(), name + " should run on oneDNN");
      double[] sliced = new double[N];
      for (int r = 0; r < 600; r += 2) {
        System.arraycopy(op.apply(x.narrow(0, r, 2), row).toDoubleArray(), 0, sliced, r * 500, 1000);
      }
      assertSameFloats(name + " with a row", sliced, whole);
    }
    long before = CpuBackend.dnnlElementwiseCalls();
    x.add(Tensor.randn(600, 1).to(DType.FLOAT32));
    assertEquals(before, CpuBackend.dnnlElementwiseCalls(), "a column broadcast stays in Java");
  }

  /** Relative and absolute error allowed, as in VectorMathTest: 20x tighter than the float32 golden tolerance. */
  private static final double RTOL = 5e-6;
  private static final double ATOL = 5e-7;

  private static boolean close(double want, double got) {
    if (Double.isNaN(want) || Double.isInfinite(want)) {
      return Double.compare(want, got) == 0;
    }
    return Math.abs(got - want) <= ATOL + RTOL * Math.abs(want);
  }

  @Test
  void largeSigmoidMatchesDoubleMath() {
    Tensor x = values(3, 20);
    long before = CpuBackend.dnnlElementwiseCalls();
    double[] got = x.sigmoid().toDoubleArray();
    assertEquals(before + 1, CpuBackend.dnnlElementwiseCalls(), "sigmoid should run on oneDNN");
    double[] in = x.toDoubleArray();
    for (int i = 0; i < N; i++) {
      double want = in[i] >= 0 ? 1 / (1 + Math.exp(-in[i])) : Math.exp(in[i]) / (1 + Math.exp(in[i]));
      assertTrue(close(want, got[i]), "sigmoid(" + in[i] + ") = " + got[i] + ", want " + want);
    }
  }

  @Test
  void largeSigmoidAgreesWithTheJavaKernels() {
    Tensor x = values(4, 6);
    double[] whole = x.sigmoid().toDoubleArray();
    for (int start = 0; start < N; start += 1000) {
      double[] part = x.narrow(0, start, 1000).sigmoid().toDoubleArray();
      for (int i = 0; i < 1000; i++) {
        assertTrue(close(part[i], whole[start + i]),
            "sigmoid at " + (start + i) + ": Java " + part[i] + ", oneDNN " + whole[start + i]);
      }
    }
  }

  /** {@code op(x)} on the whole tensor (oneDNN) and slice by slice (Java), bit for bit. */
  private static void unaryAgrees(String name, UnaryOperator<Tensor> op, Tensor x) {
    long before = CpuBackend.dnnlElementwiseCalls();
    double[] whole = op.apply(x).toDoubleArray();
    assertEquals(before + 1, CpuBackend.dnnlElementwiseCalls(), name + " should run on oneDNN");
    double[] sliced = new double[N];
    for (int start = 0; start < N; start += 1000) {
      System.arraycopy(op.apply(x.narrow(0, start, 1000)).toDoubleArray(), 0, sliced, start, 1000);
    }
    assertSameFloats(name, sliced, whole);
  }

  @Test
  void largeReluIsBitIdenticalToTheJavaLoops() {
    Tensor x = values(7, 2);
    unaryAgrees("relu", Tensor::relu, x);
    unaryAgrees("relu in place", v -> v.clone().reluInPlace(), x);
    double[] edges = Tensor.of(new double[] {Double.NaN, -0.0, 0.0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
        -1, 1e-45}, 7).to(DType.FLOAT32).repeat(N / 7 + 1).narrow(0, 0, N).relu().narrow(0, 0, 7).toDoubleArray();
    assertTrue(Double.isNaN(edges[0]), "relu(NaN) is NaN");
    assertEquals(Long.MIN_VALUE, Double.doubleToRawLongBits(edges[1]), "relu(-0.0) is -0.0, as in PyTorch");
    assertEquals(0L, Double.doubleToRawLongBits(edges[3]), "relu(-inf) is +0.0");
    assertEquals(0L, Double.doubleToRawLongBits(edges[5]), "relu(-1) is +0.0");
    assertEquals(Double.POSITIVE_INFINITY, edges[4]);
    assertEquals(0.0, edges[3]);
    assertEquals((double) 1e-45f, edges[6]);
  }

  @Test
  void largeExpMatchesDoubleMathAndKeepsNaN() {
    Tensor x = values(8, 30);
    long before = CpuBackend.dnnlElementwiseCalls();
    double[] got = x.exp().toDoubleArray();
    assertEquals(before + 1, CpuBackend.dnnlElementwiseCalls(), "exp should run on oneDNN");
    double[] in = x.toDoubleArray();
    for (int i = 0; i < N; i++) {
      double want = (float) Math.exp(in[i]);
      assertTrue(close(want, got[i]), "exp(" + in[i] + ") = " + got[i] + ", want " + want);
    }
    double[] inPlace = x.clone().expInPlace().toDoubleArray();
    assertSameFloats("exp in place", got, inPlace);
  }

  /**
   * The activation gradients on oneDNN equal the SPI's composition bit for bit: sigmoid and tanh with
   * a dense or a broadcast gradient, ReLU with a broadcast one (a dense one, and a broadcast -0.0 or
   * infinity, stay in Java).
   */
  @Test
  void largeActivationGradientsAreBitIdenticalToTheComposition() {
    Tensor y = values(9, 1.5);
    Tensor dense = values(10, 2);
    for (UnaryBackwardOp op : UnaryBackwardOp.values()) {
      for (double v : new double[] {Double.NaN, 0.75, -2.5, 1e-45, -0.0, Double.POSITIVE_INFINITY}) {
        Tensor g = v != v ? dense : Tensor.of(new double[] {v}, 1).to(DType.FLOAT32).expand(N);
        boolean routed = op != UnaryBackwardOp.RELU || (v == v && Double.isFinite(v) && Double.doubleToRawLongBits(v) != Long.MIN_VALUE);
        Tensor fused = Tensor.empty(Shape.of(N), DType.FLOAT32, y.device());
        Tensor composed = Tensor.empty(Shape.of(N), DType.FLOAT32, y.device());
        long before = CpuBackend.dnnlElementwiseCalls();
        y.backend().unaryBackward(op, y.strided(), g.strided(), fused.strided());
        assertEquals(before + (routed ? 1 : 0), CpuBackend.dnnlElementwiseCalls(), op + " with gradient " + v);
        new DefaultAxpbyTest.Plain().unaryBackward(op, y.strided(), g.strided(), composed.strided());
        assertSameFloats(op + " with gradient " + v, composed.toDoubleArray(), fused.toDoubleArray());
      }
    }
  }

  @Test
  void float64AndStridedOperandsStayInJava() {
    Tensor x = values(5, 1);
    long before = CpuBackend.dnnlElementwiseCalls();
    x.to(DType.FLOAT64).add(x.to(DType.FLOAT64));
    x.reshape(600, 500).t().sigmoid();
    x.reshape(600, 500).t().mul(x.reshape(500, 600));
    assertEquals(before, CpuBackend.dnnlElementwiseCalls());
  }

  @Test
  void gradientsThroughTheLargePathsMatchTheSmallOnes() {
    Tensor x = values(6, 2).nanToNum(0.0, 1.0, -1.0).clamp(-80, 80).requiresGrad(true);
    x.sigmoid().mul(x).sum().backward();
    double[] whole = x.grad().toDoubleArray();
    double[] sliced = new double[N];
    for (int start = 0; start < N; start += 1000) {
      Tensor p = x.detach().narrow(0, start, 1000).clone().requiresGrad(true);
      p.sigmoid().mul(p).sum().backward();
      System.arraycopy(p.grad().toDoubleArray(), 0, sliced, start, 1000);
    }
    for (int i = 0; i < N; i++) {
      assertTrue(close(sliced[i], whole[i]), "gradient at " + i + ": Java " + sliced[i] + ", oneDNN " + whole[i]);
    }
  }
}
