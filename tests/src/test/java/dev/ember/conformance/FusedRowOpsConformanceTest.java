package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.NnGoldenRows;
import dev.ember.nn.functional.F;
import dev.ember.ops.Losses;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Softmax, log-softmax, cross-entropy and layer norm run on the backends' fused row kernels (the
 * last block of {@code Backend}) unless {@link FusedPrimitives} is off; this suite runs their golden cases and
 * gradchecks (first and second order) both ways, and checks that the two paths agree on larger
 * float32 inputs (the CPU's blocked, vectorized and multithreaded kernels).
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class FusedRowOpsConformanceTest {
  private static final Set<String> OPS = Set.of("torch.softmax", "torch.log_softmax", "torch.nn.functional.softmax",
      "torch.nn.functional.log_softmax", "torch.nn.functional.cross_entropy", "torch.nn.functional.layer_norm");
  private static List<Golden.Case> cases;

  @Parameter
  Device device;

  @BeforeAll
  static void load() {
    GoldenOps.lookup("torch.add"); // GoldenOps' own rows first, as NnGoldenParityTest does
    NnGoldenRows.registerAll();
    cases = Golden.loadResource("/golden-cases.json").stream().filter(c -> OPS.contains(c.op()))
        .collect(Collectors.toList());
  }

  @AfterEach
  void restore() {
    FusedPrimitives.setEnabled(true);
  }

  @ParameterizedTest(name = "fused={0}")
  @ValueSource(booleans = {true, false})
  void goldenCasesPassBothWays(boolean fused) {
    FusedPrimitives.setEnabled(fused);
    assertTrue(cases.size() >= 8, "golden cases of the row ops: " + cases.size());
    for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      List<String> failures = Golden.failures(Golden.run(cases, device, dtype));
      assertTrue(failures.isEmpty(), "fused=" + fused + " " + dtype + ": " + String.join("\n  ", failures));
    }
  }

  @ParameterizedTest(name = "fused={0}")
  @ValueSource(booleans = {true, false})
  void gradchecksPassBothWays(boolean fused) {
    FusedPrimitives.setEnabled(fused);
    Random r = new Random(5);
    Tensor x = Checks.randn(r, device, 3, 5);
    Tensor w = Checks.randn(r, device, 5);
    Tensor b = Checks.randn(r, device, 5);
    Tensor target = Tensor.of(new long[] {4, 0, 2}, 3).to(device);
    GradCheck.check(in -> in[0].softmax(-1), x);
    GradCheck.check(in -> in[0].softmax(0), x);
    GradCheck.check(in -> in[0].logSoftmax(1), x);
    GradCheck.check(in -> in[0].transpose(0, 1).logSoftmax(-1), x);
    GradCheck.check(in -> Losses.crossEntropy(in[0], target, Losses.Options.defaults()), x);
    Tensor ignoring = Tensor.of(new long[] {4, -100, 2}, 3).to(device);
    GradCheck.check(in -> Losses.crossEntropy(in[0], ignoring, Losses.Options.defaults()), x);
    GradCheck.check(in -> Losses.crossEntropy(in[0].transpose(0, 1).transpose(0, 1), target,
        Losses.Options.defaults().withReduction(Losses.Reduction.SUM)), x);
    GradCheck.check(GradCheckConformanceTest.firstGradient(
        in -> Losses.crossEntropy(in[0], ignoring, Losses.Options.defaults()), 0, 12), x);
    GradCheck.check(in -> F.layerNorm(in[0], new int[] {5}, in[1], in[2]), x, w, b);
    GradCheck.check(in -> F.layerNorm(in[0].transpose(0, 1), new int[] {3}, null, null, 1e-5), x);
    GradCheck.check(GradCheckConformanceTest.firstGradient(in -> in[0].softmax(1), 0, 8), x);
    GradCheck.check(GradCheckConformanceTest.firstGradient(in -> in[0].logSoftmax(-1), 0, 9), x);
    GradCheck.check(GradCheckConformanceTest.firstGradient(
        in -> F.layerNorm(in[0], new int[] {5}, in[1], in[2]), 0, 10), x, w, b);
    GradCheck.check(GradCheckConformanceTest.firstGradient(
        in -> F.layerNorm(in[0], new int[] {5}, in[1], in[2]), 1, 11), x, w, b);
  }

  @Test
  void fusedAndComposedAgreeOnLargeFloat32Inputs() {
    Random r = new Random(6);
    // 7 x 300 x 130 = 273,000 floats: blocks of rows, a vector tail, rows split across threads.
    Tensor x = Checks.randn(r, device, 7, 300, 130).mul(4).to(DType.FLOAT32);
    Tensor w = Checks.randn(r, device, 130).to(DType.FLOAT32);
    Tensor b = Checks.randn(r, device, 130).to(DType.FLOAT32);
    Tensor t = Tensor.randint(0, 130, 2100).to(device);
    Tensor outOfRange = Tensor.of(new long[] {0, 130}, 2).to(device);
    org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> Losses.crossEntropy(
        x.reshape(2100, 130).slice(0, 0, 2, 1), outOfRange, Losses.Options.defaults()), "target 130 of 130 classes");
    if (device.isCpu()) {
      // The CPU backend has the kernels, so "fused" really runs them here.
      Tensor out = Tensor.empty(x.shapeArray());
      assertTrue(x.backend().softmax(x.strided(), false, out.strided()), "CPU fused softmax taken");
    }
    compare("softmax", in -> in[0].softmax(-1), x);
    compare("log_softmax", in -> in[0].logSoftmax(-1), x);
    compare("layer_norm", in -> F.layerNorm(in[0], new int[] {130}, in[1], in[2]), x, w, b);
    compare("cross_entropy", in -> Losses.crossEntropy(in[0].reshape(2100, 130), t, Losses.Options.defaults()), x);
  }

  /** Runs {@code f} forward and backward (of a fixed random weighting of the output) both ways. */
  private void compare(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
    double[][] fused = run(f, true, inputs);
    double[][] composed = run(f, false, inputs);
    for (int i = 0; i < fused.length; i++) {
      assertFalse(fused[i].length == 0, what);
      Checks.assertClose(composed[i], fused[i], 2e-5, what + (i == 0 ? " output" : " gradient " + (i - 1)));
    }
  }

  private double[][] run(Function<Tensor[], Tensor> f, boolean fused, Tensor... inputs) {
    FusedPrimitives.setEnabled(fused);
    Tensor[] leaves = new Tensor[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      leaves[i] = inputs[i].detach().requiresGrad(true);
    }
    Tensor y = f.apply(leaves);
    Tensor weights = Tensor.of(Checks.normal(new Random(7), (int) y.numel()), y.shapeArray()).to(device)
        .to(y.dtype());
    y.mul(weights).sum().backward();
    double[][] out = new double[1 + inputs.length][];
    out[0] = Checks.values(y);
    for (int i = 0; i < inputs.length; i++) {
      out[i + 1] = Checks.values(leaves[i].grad());
    }
    return out;
  }
}
