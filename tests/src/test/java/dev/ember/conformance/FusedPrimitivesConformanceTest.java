package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
import dev.ember.ops.Pooling.Pool2d;
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
 * The fused convolution and pooling primitives (where a backend has them: the CPU's oneDNN) against
 * tensor-api's compositions, in float32, which is where they run (the float64 gradchecks and golden
 * cases take the composed path on the CPU): outputs, every input gradient and double backward must
 * agree, over strides, padding, asymmetric padding, dilation, groups, ceil mode, ties after a ReLU
 * (the gradient goes to the first maximum in both) and non-contiguous inputs. On the CPU with oneDNN
 * loaded, each convolution and max pooling case must actually have taken the fused path (average
 * pooling stays composed there).
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class FusedPrimitivesConformanceTest {
  @Parameter
  Device device;

  private final Random random = new Random(11);

  @AfterEach
  void switchBackOn() {
    FusedPrimitives.setEnabled(true);
  }

  private Tensor randn(int... shape) {
    return Checks.randn(random, DType.FLOAT32, device, shape);
  }

  private static int[] a(int... v) {
    return v;
  }

  @TestFactory
  Stream<DynamicTest> fusedMatchesComposed() {
    return Stream.of(
        same("conv2d W3 layer 1 (1 -> 16, 5x5 pad 2)", in -> F.conv2d(in[0], in[1], in[2], 1, 2),
            randn(4, 1, 28, 28), randn(16, 1, 5, 5), randn(16)),
        same("conv2d one input channel, 3x3 stride 2 pad 1 (oneDNN's NHWC weight gradient)",
            in -> F.conv2d(in[0], in[1], in[2], 2, 1), randn(3, 1, 9, 11), randn(8, 1, 3, 3), randn(8)),
        same("conv2d W3 layer 2 (16 -> 32)", in -> F.conv2d(in[0], in[1], in[2], 1, 2),
            randn(2, 16, 14, 14), randn(32, 16, 5, 5), randn(32)),
        same("conv2d stride 2 pad 1, no bias", in -> F.conv2d(in[0], in[1], null, 2, 1),
            randn(2, 3, 7, 6), randn(4, 3, 3, 3)),
        same("conv2d stride (1,2) pad (2,0) dilation (2,1)", in -> F.conv2d(in[0], in[1], in[2], a(1, 2), a(2, 0),
            a(2, 1), 1), randn(2, 2, 6, 7), randn(3, 2, 3, 2), randn(3)),
        same("conv2d groups 2", in -> F.conv2d(in[0], in[1], in[2], a(1), a(1), a(1), 2),
            randn(2, 4, 5, 5), randn(6, 2, 3, 3), randn(6)),
        same("conv2d depthwise", in -> F.conv2d(in[0], in[1], null, a(2), a(1), a(1), 3),
            randn(1, 3, 6, 6), randn(3, 1, 3, 3)),
        same("conv2d same, even kernel (asymmetric padding)", in -> F.conv2d(in[0], in[1], in[2], a(1), "same",
            a(1), 1), randn(2, 2, 5, 4), randn(2, 2, 2, 4), randn(2)),
        same("conv2d unbatched", in -> F.conv2d(in[0], in[1], null), randn(2, 5, 5), randn(3, 2, 2, 2)),
        same("conv2d of a permuted input", in -> F.conv2d(in[0].permute(0, 3, 1, 2), in[1], in[2], 1, 1),
            randn(2, 6, 5, 3), randn(4, 3, 3, 3), randn(4)),
        same("conv1d stride 2 pad 1 dilation 2", in -> F.conv1d(in[0], in[1], in[2], 2, 1, 2, 1),
            randn(2, 3, 11), randn(4, 3, 3), randn(4)),
        same("max_pool2d W3 (2x2 after ReLU: ties)", in -> F.maxPool2d(F.relu(in[0]), 2), randn(4, 16, 28, 28)),
        same("max_pool2d k3 s2 p1", in -> F.maxPool2d(in[0], 3, 2, 1), randn(2, 3, 7, 7)),
        same("max_pool2d ceil mode", in -> F.maxPool2d(in[0], Pool2d.of(3).withStride(2).withCeilMode(true)),
            randn(2, 2, 6, 6)),
        same("max_pool1d", in -> F.maxPool1d(in[0], 3, 2, 1, 1, false), randn(2, 3, 9)),
        same("avg_pool2d k2", in -> F.avgPool2d(in[0], 2), randn(2, 3, 6, 6)),
        same("avg_pool2d k3 s2 p1 exclude pad", in -> F.avgPool2d(in[0], Pool2d.of(3).withStride(2).withPadding(1),
            false, null), randn(2, 2, 7, 6)),
        same("avg_pool2d k3 s2 p1 include pad", in -> F.avgPool2d(in[0], 3, 2, 1), randn(2, 2, 7, 6)),
        same("avg_pool1d", in -> F.avgPool1d(in[0], 2, 1, 1, false, true), randn(2, 2, 7)));
  }

  @TestFactory
  Stream<DynamicTest> doubleBackwardMatchesComposed() {
    return Stream.of(
        sameDoubleBackward("conv2d", in -> F.conv2d(in[0], in[1], in[2], 2, 1), randn(2, 2, 6, 6),
            randn(3, 2, 3, 3), randn(3)),
        sameDoubleBackward("max_pool2d", in -> F.maxPool2d(in[0], 2).mul(in[0].amax()), randn(1, 2, 4, 6)),
        sameDoubleBackward("avg_pool2d", in -> F.avgPool2d(in[0], 2, 1, 1).pow(2), randn(1, 2, 5, 5)));
  }

  /** The switch turns the fused path off: nothing reaches a backend's fused primitive. */
  @Test
  void switchedOffNothingIsFused() {
    FusedPrimitives.setEnabled(false);
    long before = FusedPrimitives.calls();
    Tensor x = randn(2, 3, 8, 8).requiresGrad(true);
    F.maxPool2d(F.conv2d(x, randn(4, 3, 3, 3), null, 1, 1), 2).sum().backward();
    assertEquals(before, FusedPrimitives.calls());
  }

  /** float64 convolution stays on the composed path (oneDNN has none), per call. */
  @Test
  void float64ConvolutionIsComposedPerCall() {
    long before = FusedPrimitives.calls();
    Tensor x = randn(2, 3, 8, 8).to(DType.FLOAT64).requiresGrad(true);
    F.conv2d(x, randn(4, 3, 3, 3).to(DType.FLOAT64), null, 1, 1).sum().backward();
    assertEquals(before, FusedPrimitives.calls());
    assertEquals(DType.FLOAT64, x.grad().dtype());
  }

  /** Whether this case must take the fused path here: convolution and max pooling on the CPU. */
  private boolean expectFused(String name) {
    return device.equals(Device.CPU) && (name.startsWith("max_pool") || CpuBackend.dnnlAvailable() && name.startsWith("conv"));
  }

  private DynamicTest same(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
    return DynamicTest.dynamicTest(name, () -> {
      Tensor v = randn(f.apply(inputs).shapeArray());
      long before = FusedPrimitives.calls();
      List<Tensor> fused = FusedPath.outputAndGrads(f, inputs, v, true);
      long fusedCalls = FusedPrimitives.calls() - before;
      List<Tensor> composed = FusedPath.outputAndGrads(f, inputs, v, false);
      if (expectFused(name)) {
        assertTrue(fusedCalls >= 2, name + ": expected the fused forward and backward, got " + fusedCalls + " calls");
      }
      for (int i = 0; i < fused.size(); i++) {
        close(name + (i == 0 ? " output" : " gradient of input " + (i - 1)), fused.get(i), composed.get(i));
      }
    });
  }

  private DynamicTest sameDoubleBackward(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
    return DynamicTest.dynamicTest(name + " double backward", () -> {
      Tensor v = randn(f.apply(inputs).shapeArray());
      Function<Tensor[], Tensor> gradOfF = in -> {
        Tensor y = f.apply(in);
        Tensor g = Autograd.grad(new Tensor[] {y}, new Tensor[] {in[0]}, new Tensor[] {v}, true, true, false)[0];
        return g.mul(g).sum();
      };
      List<Tensor> fused = FusedPath.outputAndGrads(gradOfF, inputs, null, true);
      List<Tensor> composed = FusedPath.outputAndGrads(gradOfF, inputs, null, false);
      for (int i = 0; i < fused.size(); i++) {
        close(name + " double backward " + i, fused.get(i), composed.get(i));
      }
    });
  }

  private static void close(String what, Tensor actual, Tensor expected) {
    FusedPath.assertClose(what, actual, expected, 1e-4);
  }
}
