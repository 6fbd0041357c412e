package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
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
 * ReLU, sigmoid and tanh compute their input gradient in one backend pass ({@code
 * Backend.unaryBackward}) unless {@link FusedPrimitives} is off or a double backward records it; this
 * suite runs their golden cases and gradchecks (first and second order) both ways, and checks that
 * the fused pass gives the composition's numbers bit for bit: both round each step ({@code g * (y * (1
 * - y))}, {@code g * (1 - y * y)}) to the dtype in the same order, and ReLU's mask copies g's bits.
 * It also runs the softmax and layer-norm row kernels on the broadcast gradient of a sum, which
 * they read without a copy.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class FusedActivationBackwardConformanceTest {
  private static final Set<String> OPS = Set.of("torch.relu", "torch.sigmoid", "torch.tanh", "torch.exp");
  private static List<Golden.Case> cases;

  @Parameter
  Device device;

  @BeforeAll
  static void load() {
    GoldenOps.lookup("torch.add");
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
    assertEquals(OPS.size(), cases.size(), "golden cases of the activations");
    for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      List<String> failures = Golden.failures(Golden.run(cases, device, dtype));
      assertTrue(failures.isEmpty(), "fused=" + fused + " " + dtype + ": " + String.join("\n  ", failures));
    }
  }

  @ParameterizedTest(name = "fused={0}")
  @ValueSource(booleans = {true, false})
  void gradchecksPassBothWays(boolean fused) {
    FusedPrimitives.setEnabled(fused);
    Random r = new Random(11);
    Tensor x = Checks.randn(r, device, 3, 5);
    for (Function<Tensor[], Tensor> f : List.<Function<Tensor[], Tensor>>of(in -> in[0].relu(),
        in -> in[0].sigmoid(), in -> in[0].tanh(), in -> in[0].exp(), in -> in[0].t().sigmoid().mul(2),
        in -> F.silu(in[0]), in -> in[0].tanh().relu())) {
      GradCheck.check(f, x);
      // Second order: the first gradient is recorded, so it runs the Tensor formula.
      GradCheck.check(GradCheckConformanceTest.firstGradient(f, 0, 12), x);
    }
  }

  @Test
  void fusedPassRunsOnlyWhenEnabledAndNotRecorded() {
    Tensor x = Checks.randn(new Random(13), device, 4, 6).requiresGrad(true);
    long before = FusedPrimitives.calls();
    x.sigmoid().sum().backward();
    assertEquals(before + 1, FusedPrimitives.calls(), "fused sigmoid backward");
    FusedPrimitives.setEnabled(false);
    x.relu().sum().backward();
    FusedPrimitives.setEnabled(true);
    dev.ember.Autograd.grad(new Tensor[] {x.tanh().sum()}, new Tensor[] {x}, null, true, true, false);
    assertEquals(before + 1, FusedPrimitives.calls(), "composed when off and under createGraph");
  }

  @Test
  void fusedEqualsComposedBitForBit() {
    Random r = new Random(14);
    // 3 x 100,003 elements: threads split the run, vector blocks and a scalar tail; special values
    // (NaN, +-0, +-inf, tiny, 1) on both the output and the gradient side.
    int n = 3 * 100_003;
    double[] v = Checks.normal(r, n);
    double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-40, -1e-40,
        1.0, -1.0, 40, -40, 1e-3};
    for (int i = 0; i < special.length; i++) {
      v[i * 997] = special[i];
    }
    double[] w = Checks.normal(r, n);
    for (int i = 0; i < special.length; i++) {
      w[i * 991 + 5] = special[i];
    }
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = Tensor.of(v, 3, 100_003).to(device).to(dtype);
      Tensor weights = Tensor.of(w, 3, 100_003).to(device).to(dtype);
      for (String op : new String[] {"relu", "sigmoid", "tanh"}) {
        Function<Tensor, Tensor> f = switch (op) {
          case "relu" -> Tensor::relu;
          case "sigmoid" -> Tensor::sigmoid;
          default -> Tensor::tanh;
        };
        String what = op + " " + dtype;
        // A dense gradient, one value broadcast (the backward of a sum), and a transposed input.
        assertSame(what + " dense g", gradient(x, t -> f.apply(t).mul(weights).sum(), true),
            gradient(x, t -> f.apply(t).mul(weights).sum(), false));
        assertSame(what + " broadcast g", gradient(x, t -> f.apply(t).sum(), true),
            gradient(x, t -> f.apply(t).sum(), false));
        assertSame(what + " transposed", gradient(x, t -> f.apply(t.t()).mul(weights.t()).sum(), true),
            gradient(x, t -> f.apply(t.t()).mul(weights.t()).sum(), false));
      }
    }
  }

  @Test
  void rowKernelsTakeTheBroadcastGradientOfASum() {
    // out.sum().backward() sends one value broadcast (every stride 0); the softmax and layer-norm
    // kernels read it without a copy (float32 on vector blocks with a tail, float64 scalar).
    Random r = new Random(15);
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = Checks.randn(r, device, 5, 31, 67).mul(3).to(dtype);
      if (device.isCpu()) {
        // The CPU kernel takes the broadcast operand itself (no copy, no fallback to the composition).
        Tensor y = x.softmax(-1);
        Tensor ones = Tensor.ones(dev.ember.Shape.scalar(), dtype, device).expand(x.shapeArray());
        assertTrue(x.backend().softmaxBackward(y.strided(), ones.strided(), false, Tensor.emptyLike(y).strided()));
      }
      Tensor w = Checks.randn(r, device, 67).to(dtype);
      Tensor b = Checks.randn(r, device, 67).to(dtype);
      List<Function<Tensor[], Tensor>> fs = List.of(in -> in[0].softmax(-1),
          in -> in[0].logSoftmax(-1), in -> F.layerNorm(in[0], new int[] {67}, in[1], in[2]),
          in -> F.layerNorm(in[0], new int[] {67}, null, null, 1e-5));
      for (int k = 0; k < fs.size(); k++) {
        Function<Tensor[], Tensor> f = fs.get(k);
        double[][] fused = sumGradients(f, true, x, w, b);
        double[][] composed = sumGradients(f, false, x, w, b);
        for (int i = 0; i < fused.length; i++) {
          Checks.assertClose(composed[i], fused[i], 2e-5, "case " + k + " " + dtype + " gradient " + i);
        }
      }
    }
  }

  /** The gradients of {@code f(inputs).sum()}, fused or composed. */
  private static double[][] sumGradients(Function<Tensor[], Tensor> f, boolean fused, Tensor... inputs) {
    FusedPrimitives.setEnabled(fused);
    try {
      Tensor[] leaves = new Tensor[inputs.length];
      for (int i = 0; i < inputs.length; i++) {
        leaves[i] = inputs[i].detach().requiresGrad(true);
      }
      f.apply(leaves).sum().backward();
      double[][] out = new double[inputs.length][];
      for (int i = 0; i < inputs.length; i++) {
        out[i] = leaves[i].grad() == null ? new double[0] : Checks.values(leaves[i].grad());
      }
      return out;
    } finally {
      FusedPrimitives.setEnabled(true);
    }
  }

  private static void assertSame(String what, double[] fused, double[] composed) {
    assertArrayEquals(composed, fused, what); // compared by their bits: NaN equals NaN, 0 differs from -0
  }

  private double[] gradient(Tensor x, Function<Tensor, Tensor> loss, boolean fused) {
    FusedPrimitives.setEnabled(fused);
    try {
      Tensor leaf = x.detach().requiresGrad(true);
      loss.apply(leaf).backward();
      return Checks.values(leaf.grad());
    } finally {
      FusedPrimitives.setEnabled(true);
    }
  }
}
