package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A Linear layer with a bias on the backend's fused primitives ({@code Backend.linear}: product and bias in
 * one call; {@code Backend.linearBiasGrad}) against tensor-api's composition (the product, then a broadcast
 * add), in float32, where the CPU runs them (its float64 gradchecks and golden cases take the composed
 * path): the output and the gradients of x, the weight and the bias agree over 2-d and 3-d inputs,
 * transposed views of x and of the weight, the stride-0 gradient of {@code sum()}, a skinny batch, a
 * product small enough to stay composed on the CPU, and double backward. On the CPU with oneDNN loaded,
 * each case the CPU fuses must have taken the fused forward and bias gradient.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class FusedLinearConformanceTest {
  @Parameter
  Device device;

  private final Random random = new Random(5);

  @AfterEach
  void switchBackOn() {
    FusedPrimitives.setEnabled(true);
  }

  private Tensor randn(int... shape) {
    return Checks.randn(random, DType.FLOAT32, device, shape);
  }

  @TestFactory
  Stream<DynamicTest> fusedMatchesComposed() {
    Function<Tensor[], Tensor> linear = in -> F.linear(in[0], in[1], in[2]);
    return Stream.of(
        same("[64, 96] x [80, 96]^T + [80] (above 2^18 multiply-adds)", true, linear, randn(64, 96), randn(80, 96),
            randn(80)),
        same("skinny batch [3, 40] x [24, 40]^T", true, linear, randn(3, 40), randn(24, 40), randn(24)),
        same("3-d input [2, 40, 64] x [96, 64]^T", true, linear, randn(2, 40, 64), randn(96, 64), randn(96)),
        same("transposed x", true, in -> F.linear(in[0].t(), in[1], in[2]), randn(96, 64), randn(80, 96),
            randn(80)),
        same("transposed weight view", true, in -> F.linear(in[0], in[1].t(), in[2]), randn(64, 96),
            randn(96, 80), randn(80)),
        same("gradient of sum() (one value, stride 0)", true, in -> F.linear(in[0], in[1], in[2]).sum(),
            randn(64, 96), randn(80, 96), randn(80)),
        same("prime batch 67 (bias gradient not split into blocks)", true, linear, randn(67, 64), randn(72, 64),
            randn(72)),
        same("small product [20, 8] x [6, 8]^T (composed on the CPU)", false, linear, randn(20, 8), randn(6, 8),
            randn(6)));
  }

  /** The gradient of the gradient through a fused Linear equals the composition's. */
  @Test
  void doubleBackwardMatchesComposed() {
    Tensor[] inputs = {randn(32, 48), randn(64, 48), randn(64)};
    Tensor v = randn(32, 64);
    Function<Tensor[], Tensor> gradOfLinear = in -> {
      Tensor y = F.linear(in[0], in[1], in[2]).tanh();
      Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {in[0], in[1]}, new Tensor[] {v}, true, true, false);
      return g[0].mul(g[0]).sum().add(g[1].mul(g[1]).sum());
    };
    List<Tensor> fused = FusedPath.outputAndGrads(gradOfLinear, inputs, null, true);
    List<Tensor> composed = FusedPath.outputAndGrads(gradOfLinear, inputs, null, false);
    for (int i = 0; i < fused.size(); i++) {
      close("double backward " + i, fused.get(i), composed.get(i));
    }
  }

  /** Only the inputs that require grad get one, on the fused path as on the composed one. */
  @Test
  void onlyInputsThatRequireGradGetOne() {
    Tensor x = randn(64, 96);
    Tensor w = randn(80, 96).requiresGrad(true);
    Tensor b = randn(80);
    F.linear(x, w, b).sum().backward();
    assertNull(x.grad());
    assertNull(b.grad());
    Tensor want = Tensor.onesLike(randn(64, 80)).t().mm(x);
    close("weight gradient", w.grad(), want);
  }

  /** A bias of another dtype or shape is composed: the add promotes and broadcasts as before. */
  @Test
  void otherBiasesAreComposed() {
    Tensor x = randn(64, 96);
    Tensor w = randn(80, 96);
    long before = FusedPrimitives.calls();
    Tensor promoted = F.linear(x, w, randn(80).to(DType.FLOAT64));
    Tensor scalarBias = F.linear(x, w, randn(1));
    assertEquals(before, FusedPrimitives.calls());
    assertEquals(DType.FLOAT64, promoted.dtype());
    assertEquals(List.of(64, 80), List.of(scalarBias.size(0), scalarBias.size(1)));
  }

  private boolean expectFused(boolean onCpu) {
    return onCpu && device.equals(Device.CPU) && CpuBackend.dnnlAvailable();
  }

  private DynamicTest same(String name, boolean fusedOnCpu, Function<Tensor[], Tensor> f, Tensor... inputs) {
    return DynamicTest.dynamicTest(name, () -> {
      Tensor v = randn(f.apply(inputs).shapeArray());
      long before = FusedPrimitives.calls();
      List<Tensor> fused = FusedPath.outputAndGrads(f, inputs, v, true);
      long fusedCalls = FusedPrimitives.calls() - before;
      List<Tensor> composed = FusedPath.outputAndGrads(f, inputs, v, false);
      if (expectFused(fusedOnCpu)) {
        assertTrue(fusedCalls >= 1, name + ": expected the fused forward, got " + fusedCalls + " calls");
      } else if (device.equals(Device.CPU)) {
        assertEquals(0, fusedCalls, name + ": expected the composition on the CPU");
      }
      for (int i = 0; i < fused.size(); i++) {
        close(name + (i == 0 ? " output" : " gradient of input " + (i - 1)), fused.get(i), composed.get(i));
      }
    });
  }

  private static void close(String what, Tensor actual, Tensor expected) {
    FusedPath.assertClose(what, actual, expected, 1e-5);
  }
}
