package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.nn.MultiheadAttention;
import dev.ember.nn.functional.F;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Gradients where a naive formula gives NaN or a tensor of the wrong kind, checked against
 * PyTorch's semantics: std at a constant input, attention with a fully masked query, hooks that
 * return a gradient of another shape or dtype, and gradients of another dtype flowing into a leaf.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class GradientEdgeCasesConformanceTest {
  @Parameter
  Device device;

  private Tensor leaf(DType dtype, double... v) {
    return Tensor.of(v).to(device).to(dtype).requiresGrad(true);
  }

  private static void expectMessage(Class<? extends Throwable> type, Executable body, String... fragments) {
    Throwable e = assertThrows(type, body);
    for (String f : fragments) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(f),
          "message should contain '" + f + "': " + e.getMessage());
    }
  }

  private static void assertFinite(Tensor t, String what) {
    for (double v : t.toDoubleArray()) {
      assertTrue(Double.isFinite(v), what + " has a non-finite value: " + java.util.Arrays.toString(t.toDoubleArray()));
    }
  }

  // ------------------------------------------------------------------ std / var

  @Test
  void stdOfAConstantInputHasAZeroGradientAsInPyTorch() {
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = leaf(dtype, 1, 1, 1);
      x.std().backward();
      assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray(), 0, dtype + " std of ones");
      Tensor y = leaf(dtype, 2, 2, 2, 2);
      y.var().backward();
      assertArrayEquals(new double[] {0, 0, 0, 0}, y.grad().toDoubleArray(), 0, dtype + " var of a constant");
    }
    // One constant row, one not: the constant row's gradient is 0, the other (x - mean) / ((N - 1) std).
    Tensor x = Tensor.of(new double[] {1, 1, 1, 1, 2, 3}, 2, 3).to(device).requiresGrad(true);
    x.std(new int[] {1}, 1, false).sum().backward();
    assertArrayEquals(new double[] {0, 0, 0, -0.5, 0, 0.5}, x.grad().toDoubleArray(), 1e-15);
  }

  @Test
  void varWithNoDegreesOfFreedomHasPyTorchsInfiniteOrNanGradient() {
    // PyTorch: grad * where(x == mean, nan, inf) when N <= correction.
    Tensor x = leaf(DType.FLOAT64, 1, 2, 1.5);
    x.var(null, 3, false).backward();
    double[] g = x.grad().toDoubleArray();
    assertEquals(Double.POSITIVE_INFINITY, g[0]);
    assertEquals(Double.POSITIVE_INFINITY, g[1]);
    assertTrue(Double.isNaN(g[2]), "x == mean gives NaN, got " + g[2]);
  }

  @Test
  void stdAndVarGradientsAndTheirGradientsPassGradcheck() {
    Random r = new Random(5);
    Tensor x = Checks.randn(r, device, 3, 4);
    GradCheck.check(in -> in[0].std(new int[] {1}, 1, false), x);
    GradCheck.check(in -> in[0].var(new int[] {0}, 0, true), x);
    GradCheck.check(in -> in[0].std(), x);
    // Double backward: the first gradient, as a function of x, checked against finite differences.
    GradCheck.check(in -> firstGradient(in[0], t -> t.std(new int[] {1}, 1, false).sum()), x);
    GradCheck.check(in -> firstGradient(in[0], t -> t.var().mul(t.sum())), x);
  }

  /**
   * Returns d f / d x, differentiable when {@code x} requires grad (gradcheck's analytic pass) and
   * computed on a fresh leaf otherwise (its finite-difference passes run without grad).
   */
  private static Tensor firstGradient(Tensor x, java.util.function.UnaryOperator<Tensor> f) {
    boolean differentiable = x.requiresGrad();
    Tensor in = differentiable ? x : x.detach().requiresGrad(true);
    try (GradMode on = GradMode.enableGrad()) {
      return Autograd.grad(new Tensor[] {f.apply(in)}, new Tensor[] {in}, null, true, differentiable, false)[0];
    }
  }

  // ------------------------------------------------------------------ attention with a masked query

  @Test
  void attentionGivesZerosForAQueryThatMayAttendToNoKey() {
    Random r = new Random(11);
    Tensor q = Checks.randn(r, device, 2, 3, 4).requiresGrad(true);
    Tensor k = Checks.randn(r, device, 2, 5, 4).requiresGrad(true);
    Tensor v = Checks.randn(r, device, 2, 5, 6).requiresGrad(true);
    boolean[] keep = new boolean[3 * 5];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = i / 5 != 1 && (i % 5) <= i / 5 + 1;
    }
    Tensor mask = Tensor.of(keep, 3, 5).to(device);
    Tensor out = F.scaledDotProductAttention(q, k, v, mask, 0, false, null);
    assertFinite(out, "output");
    double[] o = out.toDoubleArray();
    for (int b = 0; b < 2; b++) {
      for (int j = 0; j < 6; j++) {
        assertEquals(0, o[b * 18 + 6 + j], 0, "row 1 is fully masked: its output is 0");
      }
    }
    out.square().sum().backward();
    assertFinite(q.grad(), "q.grad");
    assertFinite(k.grad(), "k.grad");
    assertFinite(v.grad(), "v.grad");
    double[] gq = q.grad().toDoubleArray();
    for (int b = 0; b < 2; b++) {
      for (int j = 0; j < 4; j++) {
        assertEquals(0, gq[b * 12 + 4 + j], 0, "the masked query's gradient is 0");
      }
    }
    // The other rows are exactly attention over the remaining queries; a float mask of -inf agrees.
    Tensor floatMask = Tensor.zeros(Shape.of(3, 5), DType.FLOAT64, device)
        .maskedFill(mask.logicalNot(), Double.NEGATIVE_INFINITY);
    Tensor viaFloat = F.scaledDotProductAttention(q, k, v, floatMask, 0, false, null);
    assertArrayEquals(o, viaFloat.toDoubleArray(), 0);
    // Gradcheck through the masked row (PyTorch's _safe_softmax backward is softmax's, 0 there).
    GradCheck.check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], mask, 0, false, null),
        q.detach(), k.detach(), v.detach());
  }

  @Test
  void multiheadAttentionWithAFullyPaddedSequenceStaysFinite() {
    Tensor.manualSeed(2);
    MultiheadAttention mha = new MultiheadAttention(4, 2, 0, true, true, null);
    mha.to(DType.FLOAT64).to(device);
    Random r = new Random(3);
    Tensor x = Checks.randn(r, device, 2, 3, 4).requiresGrad(true);
    // Batch element 1 has every key padded.
    Tensor padding = Tensor.of(new boolean[] {false, false, true, true, true, true}, 2, 3).to(device);
    MultiheadAttention.Output result = mha.forward(x, x, x, padding, true, null, true);
    assertFinite(result.output(), "output");
    assertFinite(result.weights(), "weights");
    double[] w = result.weights().toDoubleArray();
    for (int i = 9; i < 18; i++) {
      assertEquals(0, w[i], 0, "weights of the fully padded element are 0");
    }
    // Its output is out_proj applied to zeros: out_proj's bias on every query.
    Tensor bias = mha.namedParameters().get("out_proj.bias");
    double[] out = result.output().toDoubleArray();
    double[] b = bias.toDoubleArray();
    for (int i = 12; i < 24; i++) {
      assertEquals(b[i % 4], out[i], 1e-15, "the padded element's output is out_proj's bias");
    }
    result.output().sum().backward();
    assertFinite(x.grad(), "x.grad");
    for (Tensor p : mha.parameters()) {
      assertFinite(p.grad(), "a parameter's grad");
    }
  }

  // ------------------------------------------------------------------ hooks

  @Test
  void aHookThatChangesTheGradientsSizeRaisesOnLeavesAndNonLeaves() {
    Tensor x = leaf(DType.FLOAT32, 1, 2, 3);
    x.registerHook(g -> Tensor.ones(Shape.of(5), DType.FLOAT32, device));
    expectMessage(IllegalStateException.class, () -> x.mul(2).sum().backward(),
        "hook 'hook' has changed the size of value", "[3]", "[5]");
    assertEquals(null, x.grad(), "no gradient of the wrong shape reached the leaf");
    Tensor y = leaf(DType.FLOAT32, 1, 2, 3);
    Tensor z = y.mul(2);
    z.registerHook(g -> Tensor.ones(Shape.of(5), DType.FLOAT32, device));
    expectMessage(IllegalStateException.class, () -> z.sum().backward(),
        "hook 'hook' has changed the size of value", "[3]", "[5]");
  }

  @Test
  void aHookThatChangesTheGradientsDtypeOrDeviceRaises() {
    Tensor x = leaf(DType.FLOAT32, 1, 2, 3);
    x.registerHook(g -> g.to(DType.FLOAT64));
    expectMessage(IllegalStateException.class, () -> x.sum().backward(),
        "hook 'hook' has changed the type of value", "float32", "float64");
    if (!device.equals(Device.CPU)) {
      Tensor y = leaf(DType.FLOAT32, 1, 2, 3);
      y.registerHook(g -> g.to(Device.CPU));
      expectMessage(IllegalStateException.class, () -> y.sum().backward(),
          "hook 'hook' has changed the type of value", "cpu");
    }
    // A hook returning a same-kind replacement still replaces the gradient.
    Tensor w = leaf(DType.FLOAT32, 1, 2, 3);
    w.registerHook(g -> g.mul(10));
    w.sum().backward();
    assertArrayEquals(new double[] {10, 10, 10}, w.grad().toDoubleArray(), 0);
  }

  // ------------------------------------------------------------------ gradient dtypes

  @Test
  void gradientsOfAnotherDtypeAreCastToTheLeafsDtype() {
    Tensor x = leaf(DType.FLOAT32, 1, 2, 3);
    Tensor d = Tensor.of(new double[] {4, 5, 6}).to(device);
    Tensor y = x.mul(d);
    assertEquals(DType.FLOAT64, y.dtype(), "float32 * float64 promotes");
    y.sum().backward();
    assertEquals(DType.FLOAT32, x.grad().dtype());
    assertArrayEquals(new double[] {4, 5, 6}, x.grad().toDoubleArray(), 0);
    // A float64 gradient for a float32 output is cast, as PyTorch's engine does.
    Tensor a = leaf(DType.FLOAT32, 1, 2, 3);
    a.mul(2).backward(Tensor.of(new double[] {1, 1, 1}).to(device));
    assertEquals(DType.FLOAT32, a.grad().dtype());
    assertArrayEquals(new double[] {2, 2, 2}, a.grad().toDoubleArray(), 0);
    // And autograd.grad returns gradients of the inputs' dtypes.
    Tensor b = leaf(DType.FLOAT32, 1, 2);
    Tensor gb = Autograd.grad(new Tensor[] {b.mul(Tensor.of(new double[] {3, 4}).to(device)).sum()},
        new Tensor[] {b}, null, false, false, false)[0];
    assertEquals(DType.FLOAT32, gb.dtype());
    assertArrayEquals(new double[] {3, 4}, gb.toDoubleArray(), 0);
  }

  @Test
  void assigningAGradOfAnotherDtypeOrShapeRaises() {
    Tensor x = leaf(DType.FLOAT32, 1, 2, 3);
    expectMessage(IllegalArgumentException.class, () -> x.setGrad(Tensor.of(new double[] {1, 2, 3}).to(device)),
        "setGrad", "different type", "float64", "float32");
    expectMessage(IllegalArgumentException.class,
        () -> x.setGrad(Tensor.zeros(Shape.of(2), DType.FLOAT32, device)), "setGrad", "different size", "[2]",
        "[3]");
    x.setGrad(Tensor.zeros(Shape.of(3), DType.FLOAT32, device));
    x.sum().backward();
    assertArrayEquals(new double[] {1, 1, 1}, x.grad().toDoubleArray(), 0);
  }
}
