package dev.ember.nn;

import dev.ember.Autograd;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.nn.functional.F;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.Pooling.Pool2d;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference gradient checks (float64) of every nn op with strides, padding, dilation,
 * groups, ceil mode, masks and reductions, plus double-backward checks (the gradient of a
 * gradient) of convolution, pooling and normalization. Inputs are seeded; max pooling inputs are
 * distinct values, so no window has a tie within the finite-difference step.
 */
@ParameterizedClass(name = "[{0}, {1}]")
@MethodSource("dev.ember.conformance.Devices#underTestFusedAndComposed")
class NnGradCheckTest {
  @Parameter(0)
  Device device;

  /** "fused" (backends' fused convolution/pooling primitives) or "composed" (tensor-api's compositions). */
  @Parameter(1)
  String path;

  private boolean fusedBefore;

  @org.junit.jupiter.api.BeforeEach
  void choosePath() {
    fusedBefore = dev.ember.conformance.FusedPath.use(path);
  }

  @org.junit.jupiter.api.AfterEach
  void restorePath() {
    dev.ember.internal.FusedPrimitives.setEnabled(fusedBefore);
  }

  private final Random random = new Random(7);

  private Tensor randn(int... shape) {
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian();
    }
    return Tensor.of(v, shape).to(device);
  }

  private Tensor uniform(double lo, double hi, int... shape) {
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = lo + (hi - lo) * random.nextDouble();
    }
    return Tensor.of(v, shape).to(device);
  }

  /** Distinct values (a shuffled ramp scaled by 0.1): no ties for max pooling. */
  private Tensor distinct(int... shape) {
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v.add(0.1 * i - 0.05 * n);
    }
    java.util.Collections.shuffle(v, random);
    return Tensor.of(v.stream().mapToDouble(Double::doubleValue).toArray(), shape).to(device);
  }

  private static int[] a(int... v) {
    return v;
  }

  private static DynamicTest check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
    return DynamicTest.dynamicTest(name, () -> GradCheck.check(f, inputs));
  }

  /**
   * Returns a check of the gradient of {@code f} (with respect to its input 0, projected on a
   * fixed {@code v}) as a function of all inputs: the double backward.
   */
  private DynamicTest doubleBackward(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
    Tensor v = randn(f.apply(inputs).shapeArray());
    Function<Tensor[], Tensor> gradOfF = in -> {
      try (GradMode on = GradMode.enableGrad()) {
        Tensor[] args = in.clone();
        if (!args[0].requiresGrad()) {
          args[0] = args[0].detach().requiresGrad(true);
        }
        Tensor y = f.apply(args);
        return Autograd.grad(new Tensor[] {y}, new Tensor[] {args[0]}, new Tensor[] {v}, true, true, false)[0];
      }
    };
    return DynamicTest.dynamicTest(name, () -> GradCheck.check(gradOfF, inputs));
  }

  @TestFactory
  Stream<DynamicTest> convolution() {
    return Stream.of(
        check("conv2d basic", in -> F.conv2d(in[0], in[1], in[2]), randn(2, 3, 5, 5), randn(4, 3, 3, 3), randn(4)),
        check("conv2d stride 2 pad 1", in -> F.conv2d(in[0], in[1], in[2], 2, 1),
            randn(2, 2, 6, 5), randn(3, 2, 3, 3), randn(3)),
        check("conv2d stride (1,2) pad (2,0) dilation (2,1)", in -> F.conv2d(in[0], in[1], null, a(1, 2),
            a(2, 0), a(2, 1), 1), randn(1, 2, 5, 7), randn(3, 2, 3, 2)),
        check("conv2d groups 2", in -> F.conv2d(in[0], in[1], in[2], a(1), a(1), a(1), 2),
            randn(2, 4, 4, 4), randn(6, 2, 3, 3), randn(6)),
        check("conv2d depthwise (groups = C)", in -> F.conv2d(in[0], in[1], null, a(2), a(1), a(1), 3),
            randn(1, 3, 5, 5), randn(3, 1, 3, 3)),
        check("conv2d same, even kernel", in -> F.conv2d(in[0], in[1], in[2], a(1), "same", a(1), 1),
            randn(1, 2, 5, 4), randn(2, 2, 2, 4), randn(2)),
        check("conv2d unbatched", in -> F.conv2d(in[0], in[1], null), randn(2, 4, 4), randn(3, 2, 2, 2)),
        check("conv2d 1x1", in -> F.conv2d(in[0], in[1], in[2]), randn(2, 3, 3, 3), randn(2, 3, 1, 1), randn(2)),
        check("conv1d stride 2 pad 1 dilation 2", in -> F.conv1d(in[0], in[1], in[2], 2, 1, 2, 1),
            randn(2, 3, 9), randn(4, 3, 3), randn(4)),
        check("conv1d groups 3 same", in -> F.conv1d(in[0], in[1], null, 1, "same", 1, 3),
            randn(2, 3, 6), randn(3, 1, 4)),
        check("conv_transpose2d stride 2 pad 1 output_padding 1", in -> F.convTranspose2d(in[0], in[1], in[2],
            a(2), a(1), a(1), 1, a(1)), randn(1, 3, 3, 3), randn(3, 2, 3, 3), randn(2)),
        check("conv_transpose2d groups 2 dilation 2", in -> F.convTranspose2d(in[0], in[1], null, a(1, 2),
            a(0, 1), a(0), 2, a(2, 1)), randn(2, 4, 3, 3), randn(4, 1, 2, 3)),
        check("conv_transpose1d stride 3", in -> F.convTranspose1d(in[0], in[1], in[2], 3, 1, 2, 1, 1),
            randn(2, 2, 4), randn(2, 3, 3), randn(3)),
        check("conv2d of a permuted, sliced input (no padding: the window view reads its strides)",
            in -> F.conv2d(in[0].permute(0, 3, 1, 2).slice(3, 1, 7, 2), in[1], null, a(1), a(0), a(1), 1),
            randn(2, 5, 7, 2), randn(3, 2, 2, 2)),
        check("conv2d of an expanded input", in -> F.conv2d(in[0].expand(2, 2, 4, 4), in[1], null),
            randn(1, 2, 1, 4), randn(1, 2, 2, 3)),
        check("unfold", in -> F.unfold(in[0], a(2, 3), a(1, 2), a(1), a(2, 1)), randn(2, 2, 5, 6)),
        check("fold", in -> F.fold(in[0], a(4, 5), a(2, 2), a(1), a(0), a(1)), randn(2, 8, 12)),
        doubleBackward("conv2d double backward (d/dx as a function of x, w)", in -> F.conv2d(in[0], in[1], null,
            a(2), a(1), a(1), 1), randn(1, 2, 5, 5), randn(3, 2, 3, 3)),
        doubleBackward("conv2d double backward (d/dw as a function of w, x)", in -> F.conv2d(in[1], in[0], null,
            a(1), a(1), a(2), 1), randn(3, 2, 2, 2), randn(2, 2, 5, 5)),
        doubleBackward("conv_transpose2d double backward", in -> F.convTranspose2d(in[0], in[1], null, a(2),
            a(1), a(0), 1, a(1)), randn(1, 2, 3, 3), randn(2, 2, 3, 3)));
  }

  @TestFactory
  Stream<DynamicTest> pooling() {
    return Stream.of(
        check("max_pool2d k2", in -> F.maxPool2d(in[0], 2), distinct(2, 2, 4, 6)),
        check("max_pool2d k3 s2 p1", in -> F.maxPool2d(in[0], 3, 2, 1), distinct(1, 2, 5, 5)),
        check("max_pool2d dilation 2 ceil", in -> F.maxPool2d(in[0], Pool2d.of(2, 3).withStride(2)
            .withDilation(2, 1).withCeilMode(true)), distinct(1, 2, 7, 8)),
        check("max_pool2d of a transposed input", in -> F.maxPool2d(in[0].transpose(2, 3), 2, 1, 0),
            distinct(1, 2, 4, 3)),
        check("max_pool1d", in -> F.maxPool1d(in[0], 3, 2, 1, 1, false), distinct(2, 3, 8)),
        check("avg_pool2d k2", in -> F.avgPool2d(in[0], 2), randn(2, 2, 4, 4)),
        check("avg_pool2d k3 s2 p1 exclude pad", in -> F.avgPool2d(in[0], Pool2d.of(3).withStride(2).withPadding(1),
            false, null), randn(1, 2, 5, 6)),
        check("avg_pool2d ceil mode include pad", in -> F.avgPool2d(in[0], Pool2d.of(3).withStride(2)
            .withPadding(1).withCeilMode(true), true, null), randn(1, 2, 6, 6)),
        check("avg_pool2d divisor override", in -> F.avgPool2d(in[0], Pool2d.of(2), true, 3), randn(1, 1, 4, 4)),
        check("avg_pool1d", in -> F.avgPool1d(in[0], 2, 1, 1, false, true), randn(2, 2, 5)),
        check("adaptive_avg_pool2d (3, 2) of 7x5", in -> F.adaptiveAvgPool2d(in[0], 3, 2), randn(2, 2, 7, 5)),
        check("adaptive_avg_pool2d 1", in -> F.adaptiveAvgPool2d(in[0], 1), randn(2, 3, 4, 4)),
        doubleBackward("avg_pool2d double backward", in -> F.avgPool2d(in[0], 2, 1, 1), randn(1, 2, 4, 4)),
        doubleBackward("max_pool2d double backward", in -> F.maxPool2d(in[0], 2, 2, 0).mul(in[0].amax()),
            distinct(1, 1, 4, 4)));
  }

  @TestFactory
  Stream<DynamicTest> normalization() {
    Tensor rm = randn(3);
    Tensor rv = uniform(0.5, 2, 3);
    return Stream.of(
        check("layer_norm", in -> F.layerNorm(in[0], a(4), in[1], in[2]), randn(2, 3, 4), randn(4), randn(4)),
        check("layer_norm 2 dims, no affine", in -> F.layerNorm(in[0], a(3, 4), null, null, 1e-5),
            randn(2, 3, 4)),
        check("batch_norm training 4d", in -> F.batchNorm(in[0], null, null, in[1], in[2], true),
            randn(3, 3, 2, 2), randn(3), randn(3)),
        check("batch_norm training 2d", in -> F.batchNorm(in[0], null, null, in[1], null, true),
            randn(5, 3), randn(3)),
        check("batch_norm eval", in -> F.batchNorm(in[0], rm, rv, in[1], in[2], false),
            randn(2, 3, 4), randn(3), randn(3)),
        check("group_norm", in -> F.groupNorm(in[0], 2, in[1], in[2], 1e-5), randn(2, 4, 3), randn(4), randn(4)),
        check("rms_norm", in -> F.rmsNorm(in[0], a(5), in[1], 1e-6), randn(3, 5), randn(5)),
        doubleBackward("layer_norm double backward", in -> F.layerNorm(in[0], a(4), in[1], in[2]),
            randn(2, 4), randn(4), randn(4)),
        doubleBackward("batch_norm double backward", in -> F.batchNorm(in[0], null, null, in[1], in[2], true),
            randn(4, 2, 2), randn(2), randn(2)),
        doubleBackward("group_norm double backward", in -> F.groupNorm(in[0], 2, null, null, 1e-5),
            randn(2, 4, 2)));
  }

  @TestFactory
  Stream<DynamicTest> embeddingAndAttention() {
    Tensor idx = Tensor.of(new long[] {1, 3, 0, 3, 2, 1}, 2, 3).to(device);
    Tensor boolMask = Tensor.of(new boolean[] {true, false, true, true, true, true, false, true, true, true,
        true, false}, 3, 4).to(device);
    Tensor floatMask = randn(3, 4);
    return Stream.of(
        check("embedding", in -> F.embedding(idx, in[0]), randn(4, 3)),
        check("sdpa", in -> F.scaledDotProductAttention(in[0], in[1], in[2], false),
            randn(2, 3, 4), randn(2, 4, 4), randn(2, 4, 5)),
        check("sdpa causal", in -> F.scaledDotProductAttention(in[0], in[1], in[2], true),
            randn(2, 2, 4, 3), randn(2, 2, 4, 3), randn(2, 2, 4, 3)),
        check("sdpa bool mask, scale", in -> F.scaledDotProductAttention(in[0], in[1], in[2], boolMask, 0, false,
            0.3), randn(2, 3, 4), randn(2, 4, 4), randn(2, 4, 2)),
        check("sdpa float mask, broadcast batch", in -> F.scaledDotProductAttention(in[0], in[1], in[2],
            floatMask, 0, false, null), randn(2, 2, 3, 4), randn(1, 2, 4, 4), randn(2, 1, 4, 3)),
        doubleBackward("sdpa double backward", in -> F.scaledDotProductAttention(in[0], in[1], in[2], true),
            randn(1, 3, 2), randn(1, 3, 2), randn(1, 3, 2)));
  }

  @TestFactory
  Stream<DynamicTest> losses() {
    Tensor probs = uniform(0.05, 0.95, 3, 4);
    Tensor target = uniform(0, 1, 3, 4);
    Tensor weight = uniform(0.5, 1.5, 4);
    Tensor posWeight = uniform(0.5, 3, 4);
    List<DynamicTest> tests = new ArrayList<>();
    for (Reduction r : Reduction.values()) {
      tests.add(check("mse " + r, in -> F.mseLoss(in[0], in[1], r), randn(3, 4), randn(3, 4)));
      tests.add(check("l1 " + r, in -> F.l1Loss(in[0], in[1], r), randn(3, 4), randn(3, 4)));
      tests.add(check("smooth_l1 beta 0.7 " + r, in -> F.smoothL1Loss(in[0], in[1], r, 0.7),
          randn(3, 4), randn(3, 4)));
      tests.add(check("huber delta 0.5 " + r, in -> F.huberLoss(in[0], in[1], r, 0.5), randn(3, 4),
          randn(3, 4)));
      tests.add(check("bce " + r, in -> F.binaryCrossEntropy(in[0], in[1], weight, r), probs, target));
      tests.add(check("bce with logits " + r, in -> F.binaryCrossEntropyWithLogits(in[0], in[1], weight,
          posWeight, r), randn(3, 4), target));
    }
    tests.add(check("bce with logits, no weights", in -> F.binaryCrossEntropyWithLogits(in[0], in[1]),
        randn(3, 4), target));
    tests.add(check("mse broadcast target", in -> F.mseLoss(in[0], in[1]), randn(3, 4), randn(4)));
    tests.add(check("normalize p2 dim1", in -> F.normalize(in[0]), randn(3, 4)));
    tests.add(check("normalize p1 dim0", in -> F.normalize(in[0], 1, 0, 1e-12), randn(3, 4)));
    tests.add(doubleBackward("bce double backward", in -> F.binaryCrossEntropy(in[0], in[1]), probs, target));
    tests.add(doubleBackward("bce with logits double backward", in -> F.binaryCrossEntropyWithLogits(in[0],
        in[1], null, posWeight, Reduction.SUM), randn(3, 4), target));
    return tests.stream();
  }
}
