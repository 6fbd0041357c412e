package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.MultiheadAttention;
import dev.ember.nn.functional.F;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code scaled_dot_product_attention} on the backends' fused attention kernel and on the
 * composition, per device: PyTorch parity (golden/attention.json from scripts/golden/attention.py:
 * causal and not, L != S, Ev != E, bool and float masks, broadcast batches, 2-d and 5-d inputs, sizes
 * off the vector width) in float64 and float32, float64 gradchecks (strided views included), the
 * double backward, and agreement of the two paths at a GPT-sized shape.
 */
@ParameterizedClass(name = "[{0}, {1}]")
@MethodSource("dev.ember.conformance.Devices#underTestFusedAndComposed")
class FusedAttentionConformanceTest {
  @Parameter(0)
  Device device;

  /** "fused" or "composed" (see {@link FusedPath}). */
  @Parameter(1)
  String path;

  private boolean fusedBefore;
  private final Random random = new Random(8);

  @BeforeEach
  void choosePath() {
    fusedBefore = FusedPath.use(path);
  }

  @AfterEach
  void restorePath() {
    FusedPrimitives.setEnabled(fusedBefore);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void matchesPyTorch(String dtypeName) {
    List<Golden.Case> cases = Golden.loadResource("/golden/attention.json");
    assertEquals(13, cases.size(), "golden/attention.json: expected 13 cases");
    long before = FusedPrimitives.calls();
    List<Golden.Outcome> outcomes = Golden.run(cases, device, DType.parse(dtypeName));
    List<String> failures = Golden.failures(outcomes);
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    if (device.isCpu()) {
      // 12 cases forward and backward on the kernel; the float mask that needs a gradient composes.
      assertEquals(path.equals("fused") ? 24 : 0, FusedPrimitives.calls() - before, "fused attention calls");
    }
  }

  private Tensor randn(int... shape) {
    return Checks.randn(random, DType.FLOAT64, device, shape);
  }

  private static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
    GradCheck.check(f, inputs);
  }

  @Test
  void gradcheckCausalOddSizes() {
    check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], true), randn(2, 7, 3), randn(2, 7, 3),
        randn(2, 7, 5));
  }

  @Test
  void gradcheckCausalMoreQueriesThanKeys() {
    check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], null, 0, true, 0.4), randn(1, 2, 6, 2),
        randn(1, 2, 3, 2), randn(1, 2, 3, 3));
  }

  @Test
  void gradcheckBoolMaskWithAFullyMaskedQuery() {
    Tensor keep = Tensor.of(new boolean[] {true, false, true, false, false, false, false, true, true, true, true,
        false}, 3, 4).to(device);
    check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], keep, 0, false, null), randn(2, 3, 2),
        randn(2, 4, 2), randn(2, 4, 3));
  }

  @Test
  void gradcheckFloatMaskAndBroadcastBatch() {
    Tensor mask = randn(1, 3, 5);
    check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], mask, 0, false, null), randn(2, 2, 3, 4),
        randn(2, 1, 5, 4), randn(1, 2, 5, 2));
  }

  /** q, k, v as the transposed head views of one projection, as a GPT block makes them. */
  @Test
  void gradcheckStridedHeadViews() {
    check(in -> {
      List<Tensor> parts = in[0].split(4, 2);
      Tensor q = parts.get(0).reshape(2, 3, 2, 2).transpose(1, 2);
      Tensor k = parts.get(1).reshape(2, 3, 2, 2).transpose(1, 2);
      Tensor v = parts.get(2).reshape(2, 3, 2, 2).transpose(1, 2);
      return F.scaledDotProductAttention(q, k, v, true);
    }, randn(2, 3, 12));
  }

  @Test
  void gradcheckFloatMaskGradient() {
    check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], in[3], 0, false, null), randn(2, 3, 2),
        randn(2, 4, 2), randn(2, 4, 2), randn(3, 4));
  }

  /** The gradient with respect to q, as a function of q, k and v: what a double backward differentiates. */
  @Test
  void doubleBackward() {
    Tensor mask = Tensor.of(new boolean[] {true, true, false, true, true, true}, 2, 3).to(device);
    for (boolean causal : new boolean[] {true, false}) {
      Tensor w = randn(2, 2, 3);
      Function<Tensor[], Tensor> gradOfQ = in -> {
        try (GradMode on = GradMode.enableGrad()) {
          Tensor q = in[0].requiresGrad() ? in[0] : in[0].detach().requiresGrad(true);
          Tensor y = F.scaledDotProductAttention(q, in[1], in[2], causal ? null : mask, 0, causal, null);
          return Autograd.grad(new Tensor[] {y}, new Tensor[] {q}, new Tensor[] {w}, true, true, false)[0];
        }
      };
      check(gradOfQ, randn(2, 2, 2), randn(2, 3, 2), randn(2, 3, 3));
    }
  }

  /** Both paths agree in float32 at W4's attention shape, through the vector loops' full width. */
  @Test
  void pathsAgreeAtGptShapeInFloat32() {
    Tensor q = randn(2, 4, 64, 32).to(DType.FLOAT32);
    Tensor k = randn(2, 4, 64, 32).to(DType.FLOAT32);
    Tensor v = randn(2, 4, 64, 32).to(DType.FLOAT32);
    Tensor g = randn(2, 4, 64, 32).to(DType.FLOAT32);
    double[][] here = run(q, k, v, g);
    boolean was = FusedPrimitives.setEnabled(!path.equals("fused"));
    double[][] other;
    try {
      other = run(q, k, v, g);
    } finally {
      FusedPrimitives.setEnabled(was);
    }
    for (int i = 0; i < here.length; i++) {
      assertArrayEquals(other[i], here[i], 2e-5, "output/grad " + i);
    }
  }

  private static double[][] run(Tensor q0, Tensor k0, Tensor v0, Tensor g) {
    Tensor q = q0.detach().requiresGrad(true);
    Tensor k = k0.detach().requiresGrad(true);
    Tensor v = v0.detach().requiresGrad(true);
    Tensor y = F.scaledDotProductAttention(q, k, v, true);
    y.backward(g);
    return new double[][] {y.toDoubleArray(), q.grad().toDoubleArray(), k.grad().toDoubleArray(),
        v.grad().toDoubleArray()};
  }

  /** Without a gradient to compute, the fused forward saves nothing and records nothing. */
  @Test
  void noGradForwardRecordsNothing() {
    Tensor q = randn(1, 4, 3).requiresGrad(true);
    try (GradMode off = GradMode.noGrad()) {
      Tensor y = F.scaledDotProductAttention(q, randn(1, 5, 3), randn(1, 5, 2), false);
      assertEquals(null, y.gradFn());
      assertArrayEquals(new int[] {1, 4, 2}, y.shapeArray());
    }
  }

  /** nn.MultiheadAttention without weights runs scaled_dot_product_attention, as PyTorch's fast path. */
  @Test
  void multiheadAttentionWithoutWeightsMatchesTheWeightsPath() {
    MultiheadAttention mha = new MultiheadAttention(6, 2, 0, true, true, new Generator(3));
    mha.to(DType.FLOAT64);
    mha.to(device);
    Tensor q = randn(2, 3, 6).requiresGrad(true);
    Tensor kv = randn(2, 4, 6);
    Tensor pad = Tensor.of(new boolean[] {false, false, true, false, false, false, false, true}, 2, 4).to(device);
    Tensor causal = Tensor.ones(3, 4).triu(1).gt(0).to(device);
    long before = FusedPrimitives.calls();
    Tensor fast = mha.forward(q, kv, kv, pad, false, causal, true).output();
    long fusedForwards = FusedPrimitives.calls() - before;
    fast.sum().backward();
    double[] fastGrad = q.grad().toDoubleArray();
    q.setGrad(null);
    Tensor slow = mha.forward(q, kv, kv, pad, true, causal, true).output();
    slow.sum().backward();
    assertArrayEquals(slow.toDoubleArray(), fast.toDoubleArray(), 1e-12);
    assertArrayEquals(q.grad().toDoubleArray(), fastGrad, 1e-12);
    if (device.isCpu()) {
      assertEquals(path.equals("fused") ? 1 : 0, fusedForwards, "fused attention forwards");
    }
  }

  /** bfloat16 runs the float32 kernel through the backend's widening, forward and backward. */
  @Test
  void bfloat16MatchesFloat32OnTheSameValues() {
    Tensor[] in = {randn(2, 2, 9, 4), randn(2, 2, 9, 4), randn(2, 2, 9, 4)};
    double[][] results = new double[2][];
    long before = FusedPrimitives.calls();
    for (int t = 0; t < 2; t++) {
      DType dtype = t == 0 ? DType.BFLOAT16 : DType.FLOAT32;
      Tensor q = in[0].to(DType.BFLOAT16).to(dtype).detach().requiresGrad(true);
      Tensor k = in[1].to(DType.BFLOAT16).to(dtype).detach().requiresGrad(true);
      Tensor v = in[2].to(DType.BFLOAT16).to(dtype).detach().requiresGrad(true);
      Tensor y = F.scaledDotProductAttention(q, k, v, true);
      y.sum().backward();
      assertEquals(dtype, y.dtype());
      results[t] = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(y.toDoubleArray()),
          java.util.Arrays.stream(q.grad().toDoubleArray())).toArray();
    }
    assertArrayEquals(results[1], results[0], 3e-2);
    if (device.isCpu()) {
      assertEquals(path.equals("fused") ? 4 : 0, FusedPrimitives.calls() - before, "fused attention calls");
    }
  }

  /** The gradient of {@code y.sum()} arrives as a broadcast (stride-0) view: the same as a dense ones. */
  @Test
  void broadcastIncomingGradientEqualsADenseOne() {
    Tensor[] in = {randn(2, 3, 10, 4).to(DType.FLOAT32), randn(2, 3, 10, 4).to(DType.FLOAT32),
        randn(2, 3, 10, 5).to(DType.FLOAT32)};
    assertArrayEquals(causalGrads(in, false), causalGrads(in, true), 1e-6);
  }

  /** The gradients of q, k, v (concatenated) of causal attention, from {@code y.sum()} or a dense ones. */
  private static double[] causalGrads(Tensor[] in, boolean dense) {
    Tensor[] leaves = java.util.Arrays.stream(in).map(x -> x.detach().requiresGrad(true)).toArray(Tensor[]::new);
    Tensor y = F.scaledDotProductAttention(leaves[0], leaves[1], leaves[2], true);
    if (dense) {
      y.backward(Tensor.onesLike(y));
    } else {
      y.sum().backward();
    }
    return java.util.Arrays.stream(leaves).flatMapToDouble(x -> java.util.Arrays.stream(x.grad().toDoubleArray()))
        .toArray();
  }
}
