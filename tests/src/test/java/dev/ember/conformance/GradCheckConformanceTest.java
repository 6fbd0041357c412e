package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.GradMode;
import dev.ember.Index;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import dev.ember.ops.Linalg;
import dev.ember.ops.Losses;
import dev.ember.ops.Shaping;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference gradient checks ({@link GradCheck}, float64) of every differentiable op, with
 * broadcast shapes and with non-contiguous inputs: each case also runs with its first input made a
 * permuted, a strided-slice and an expanded view (the view is taken inside the checked function,
 * so the op sees a non-contiguous tensor and its gradient flows back through the view). Inputs are
 * seeded and kept away from kinks (relu at 0, log at 0, ties of max).
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class GradCheckConformanceTest {
  @Parameter
  Device device;

  /** How values of a floating input are drawn. */
  enum Domain { NORMAL, POSITIVE }

  /** A floating input spec or a fixed (integer, bool) tensor. */
  record In(int[] shape, Domain domain, Tensor fixed) {
    static In normal(int... shape) {
      return new In(shape, Domain.NORMAL, null);
    }

    static In positive(int... shape) {
      return new In(shape, Domain.POSITIVE, null);
    }

    static In fixed(Tensor t) {
      return new In(t.shapeArray(), null, t);
    }
  }

  /** One gradcheck: a function of the inputs; {@code layouts} enables the view variants. */
  record Case(String name, Function<Tensor[], Tensor> f, boolean layouts, In... inputs) {}

  private static Case c(String name, Function<Tensor[], Tensor> f, In... inputs) {
    return new Case(name, f, true, inputs);
  }

  private static Case contiguousOnly(String name, Function<Tensor[], Tensor> f, In... inputs) {
    return new Case(name, f, false, inputs);
  }

  static List<Case> cases() {
    List<Case> l = new ArrayList<>();
    // Elementwise, one input.
    l.add(c("neg", x -> x[0].neg(), In.normal(3, 4)));
    l.add(c("exp", x -> x[0].exp(), In.normal(3, 4)));
    l.add(c("log", x -> x[0].log(), In.positive(3, 4)));
    l.add(c("sqrt", x -> x[0].sqrt(), In.positive(3, 4)));
    l.add(c("rsqrt", x -> x[0].rsqrt(), In.positive(3, 4)));
    l.add(c("abs", x -> x[0].abs(), In.normal(3, 4)));
    l.add(c("square", x -> x[0].square(), In.normal(3, 4)));
    l.add(c("reciprocal", x -> x[0].reciprocal(), In.positive(3, 4)));
    l.add(c("log1p", x -> x[0].log1p(), In.positive(3, 4)));
    l.add(c("expm1", x -> x[0].expm1(), In.normal(3, 4)));
    l.add(c("sin", x -> x[0].sin(), In.normal(3, 4)));
    l.add(c("cos", x -> x[0].cos(), In.normal(3, 4)));
    l.add(c("tanh", x -> x[0].tanh(), In.normal(3, 4)));
    l.add(c("sigmoid", x -> x[0].sigmoid(), In.normal(3, 4)));
    l.add(c("erf", x -> x[0].erf(), In.normal(3, 4)));
    l.add(c("relu", x -> x[0].relu(), In.normal(3, 4)));
    l.add(c("gelu", x -> Activations.gelu(x[0], "none"), In.normal(3, 4)));
    l.add(c("gelu_tanh", x -> Activations.gelu(x[0], "tanh"), In.normal(3, 4)));
    l.add(c("silu", x -> Activations.silu(x[0]), In.normal(3, 4)));
    l.add(c("softplus", x -> Activations.softplus(x[0], 2, 20), In.normal(3, 4)));
    l.add(c("elu", x -> Activations.elu(x[0], 1.5), In.normal(3, 4)));
    l.add(c("leaky_relu", x -> Activations.leakyRelu(x[0], 0.1), In.normal(3, 4)));
    l.add(c("clamp", x -> x[0].clamp(-0.5, 0.7), In.normal(3, 4)));
    l.add(c("pow_scalar", x -> x[0].pow(2.5), In.positive(3, 4)));
    l.add(c("softmax", x -> x[0].softmax(1), In.normal(3, 4)));
    l.add(c("softmax_dim0", x -> x[0].softmax(0), In.normal(3, 4)));
    l.add(c("log_softmax", x -> x[0].logSoftmax(-1), In.normal(3, 4)));
    // Elementwise, two inputs, with broadcasting.
    l.add(c("add_broadcast", x -> x[0].add(x[1]), In.normal(3, 4), In.normal(2, 1, 4)));
    l.add(c("sub_broadcast", x -> x[0].sub(x[1]), In.normal(3, 4), In.normal(3, 1)));
    l.add(c("mul_broadcast", x -> x[0].mul(x[1]), In.normal(3, 4), In.normal(4)));
    l.add(c("mul_scalar_tensor", x -> x[0].mul(x[1]), In.normal(3, 4), In.normal()));
    l.add(c("div_broadcast", x -> x[0].div(x[1]), In.normal(3, 4), In.positive(1, 4)));
    l.add(c("pow_broadcast", x -> x[0].pow(x[1]), In.positive(3, 4), In.normal(3, 1)));
    l.add(c("maximum", x -> x[0].maximum(x[1]), In.normal(3, 4), In.normal(4)));
    l.add(c("minimum", x -> x[0].minimum(x[1]), In.normal(3, 4), In.normal(3, 1)));
    l.add(c("where", x -> Tensor.where(x[0].gt(0), x[0], x[1].mul(2)), In.normal(3, 4), In.normal(1, 4)));
    l.add(c("masked_fill", x -> x[0].maskedFill(x[1], -2), In.normal(3, 4),
        In.fixed(Tensor.of(new boolean[] {true, false, false, true}, 4))));
    // Reductions.
    l.add(c("sum_all", x -> x[0].sum(), In.normal(3, 4)));
    l.add(c("sum_dim", x -> x[0].sum(1, false), In.normal(3, 4)));
    l.add(c("sum_dims_keep", x -> x[0].sum(new int[] {0, 2}, true), In.normal(2, 3, 4)));
    l.add(c("mean_dim", x -> x[0].mean(0, true), In.normal(3, 4)));
    l.add(c("amax_dim", x -> x[0].amax(1, false), In.normal(3, 4)));
    l.add(c("amin_all", x -> x[0].amin(), In.normal(3, 4)));
    l.add(c("max_dim_values", x -> x[0].max(1, true).values(), In.normal(3, 4)));
    l.add(c("prod_dim", x -> x[0].prod(1, false), In.normal(3, 4)));
    l.add(c("prod_all", x -> x[0].prod(), In.normal(3, 4)));
    l.add(c("var", x -> x[0].var(new int[] {1}, 1, false), In.normal(3, 4)));
    l.add(c("var_biased_all", x -> x[0].var(null, 0, false), In.normal(3, 4)));
    l.add(c("std", x -> x[0].std(new int[] {0}, 1, true), In.normal(3, 4)));
    l.add(c("logsumexp", x -> x[0].logsumexp(1, false), In.normal(3, 4)));
    l.add(c("cumsum", x -> x[0].cumsum(1), In.normal(3, 4)));
    l.add(c("norm2", x -> x[0].norm(2, new int[] {1}, false), In.normal(3, 4)));
    l.add(c("norm3", x -> x[0].norm(3, new int[] {0}, false), In.normal(3, 4)));
    l.add(c("norm1", x -> x[0].norm(1, null, false), In.normal(3, 4)));
    // Linear algebra.
    l.add(c("matmul_2d", x -> x[0].matmul(x[1]), In.normal(3, 4), In.normal(4, 5)));
    l.add(c("matmul_vec_mat", x -> x[0].matmul(x[1]), In.normal(4), In.normal(4, 3)));
    l.add(c("matmul_mat_vec", x -> x[0].matmul(x[1]), In.normal(3, 4), In.normal(4)));
    l.add(c("matmul_dot", x -> x[0].matmul(x[1]), In.normal(4), In.normal(4)));
    l.add(c("matmul_batched_broadcast", x -> x[0].matmul(x[1]), In.normal(2, 1, 3, 4), In.normal(3, 4, 2)));
    l.add(c("matmul_batch_2d", x -> x[0].matmul(x[1]), In.normal(2, 3, 4), In.normal(4, 2)));
    l.add(c("bmm", x -> x[0].bmm(x[1]), In.normal(2, 3, 4), In.normal(2, 4, 2)));
    l.add(c("mm", x -> x[0].mm(x[1]), In.normal(3, 4), In.normal(4, 2)));
    l.add(c("outer", x -> x[0].outer(x[1]), In.normal(4), In.normal(3)));
    l.add(c("linear", x -> Linalg.linear(x[0], x[1], x[2]), In.normal(2, 3, 4), In.normal(5, 4), In.normal(5)));
    l.add(c("einsum_bmm", x -> Linalg.einsum("bij,bjk->bik", x[0], x[1]), In.normal(2, 3, 4), In.normal(2, 4, 2)));
    l.add(c("einsum_trace_like", x -> Linalg.einsum("ij,ij->i", x[0], x[1]), In.normal(3, 4), In.normal(3, 4)));
    l.add(c("einsum_three", x -> Linalg.einsum("ij,jk,k->i", x[0], x[1], x[2]), In.normal(3, 4), In.normal(4, 2),
        In.normal(2)));
    l.add(c("einsum_trace", x -> Linalg.einsum("ii", x[0]), In.normal(3, 3)));
    l.add(c("einsum_diag", x -> Linalg.einsum("ii->i", x[0]), In.normal(3, 3)));
    l.add(c("einsum_ellipsis_broadcast", x -> Linalg.einsum("...ij,...jk->...ik", x[0], x[1]), In.normal(2, 3, 4),
        In.normal(1, 4, 2)));
    l.add(c("einsum_implicit", x -> Linalg.einsum("ij,jk", x[0], x[1]), In.normal(3, 4), In.normal(4, 2)));
    // Views and shaping.
    l.add(c("reshape", x -> x[0].reshape(4, 3), In.normal(3, 4)));
    l.add(contiguousOnly("view", x -> x[0].view(2, -1), In.normal(3, 4)));
    l.add(c("permute", x -> x[0].permute(2, 0, 1), In.normal(2, 3, 4)));
    l.add(c("transpose", x -> x[0].transpose(0, 1), In.normal(3, 4)));
    l.add(c("expand", x -> x[0].expand(2, 3, 4), In.normal(3, 1)));
    l.add(c("narrow", x -> x[0].narrow(1, 1, 2), In.normal(3, 4)));
    l.add(c("slice_step", x -> x[0].slice(1, 0, 4, 3), In.normal(3, 4)));
    l.add(c("select", x -> x[0].select(0, -1), In.normal(3, 4)));
    l.add(c("unsqueeze", x -> x[0].unsqueeze(1), In.normal(3, 4)));
    l.add(c("squeeze", x -> x[0].squeeze(1), In.normal(3, 1, 4)));
    l.add(c("flatten", x -> x[0].flatten(), In.normal(2, 3, 4)));
    l.add(c("unflatten", x -> x[0].unflatten(1, 2, 2), In.normal(3, 4)));
    l.add(c("cat", x -> Shaping.cat(List.of(x[0], x[1]), 1), In.normal(3, 4), In.normal(3, 2)));
    l.add(c("stack", x -> Shaping.stack(List.of(x[0], x[1]), 1), In.normal(3, 4), In.normal(3, 4)));
    l.add(c("split", x -> x[0].split(3, 1).get(1), In.normal(3, 4)));
    l.add(c("chunk", x -> x[0].chunk(2, 0).get(0), In.normal(3, 4)));
    l.add(c("pad", x -> Shaping.pad(x[0], new int[] {1, 2, 0, 1}, 0.5), In.normal(3, 4)));
    l.add(c("pad_negative", x -> Shaping.pad(x[0], new int[] {-1, 1}, 0), In.normal(3, 4)));
    l.add(c("repeat", x -> x[0].repeat(2, 1, 3), In.normal(3, 4)));
    l.add(c("tril", x -> x[0].tril(0), In.normal(3, 4)));
    l.add(c("triu", x -> x[0].triu(1), In.normal(3, 4)));
    l.add(c("clone_contiguous", x -> x[0].contiguous().clone(), In.normal(3, 4)));
    // Indexing.
    Tensor idx = Tensor.of(new long[] {2, 0, 2, 1});
    l.add(c("index_int_tensor", x -> x[0].index(x[1]), In.normal(3, 4), In.fixed(idx)));
    l.add(c("index_mixed", x -> x[0].index(Index.slice(1, null), Index.NEW_AXIS, Index.ELLIPSIS, 2),
        In.normal(3, 4)));
    l.add(c("index_bool", x -> x[0].index(x[0].gt(0)), In.normal(3, 4)));
    l.add(c("index_two_tensors", x -> x[0].index(x[1], x[2]), In.normal(3, 4),
        In.fixed(Tensor.of(new long[] {0, 2, 2})), In.fixed(Tensor.of(new long[] {1, 3, -1}))));
    l.add(c("index_select", x -> x[0].indexSelect(1, x[1]), In.normal(3, 4), In.fixed(idx)));
    l.add(c("gather", x -> x[0].gather(1, x[1]), In.normal(3, 4),
        In.fixed(Tensor.of(new long[][] {{0, 3}, {1, 1}, {2, 0}}))));
    l.add(c("scatter_add", x -> x[0].scatterAdd(1, x[1], x[2]), In.normal(3, 4),
        In.fixed(Tensor.of(new long[][] {{0, 3}, {1, 1}, {2, 0}})), In.normal(3, 2)));
    l.add(c("index_put", x -> x[0].mul(1).indexPut(x[1], Index.all(), 1), In.normal(3, 4), In.normal(3)));
    // Losses.
    Tensor target = Tensor.of(new long[] {1, 0, 3});
    l.add(c("cross_entropy", x -> Losses.crossEntropy(x[0], x[1], Losses.Options.defaults()),
        In.normal(3, 4), In.fixed(target)));
    l.add(c("cross_entropy_smooth_ignore", x -> Losses.crossEntropy(x[0], x[1], Losses.Options.defaults()
        .withIgnoreIndex(0).withLabelSmoothing(0.2)), In.normal(3, 4), In.fixed(target)));
    l.add(c("cross_entropy_nd_none", x -> Losses.crossEntropy(x[0], x[1], Losses.Options.defaults()
        .withReduction(Losses.Reduction.NONE)), In.normal(2, 4, 3),
        In.fixed(Tensor.of(new long[][] {{0, 1, 3}, {2, 2, 0}}))));
    l.add(c("cross_entropy_weighted", x -> Losses.crossEntropy(x[0], x[1], Losses.Options.defaults()
        .withWeight(Tensor.of(new double[] {1, 2, 0.5, 1}))), In.normal(3, 4), In.fixed(target)));
    l.add(c("cross_entropy_probs", x -> Losses.crossEntropy(x[0], x[1].softmax(1), Losses.Options.defaults()),
        In.normal(3, 4), In.normal(3, 4)));
    l.add(c("nll_loss_sum", x -> Losses.nllLoss(x[0], x[1], Losses.Options.defaults()
        .withReduction(Losses.Reduction.SUM)), In.normal(3, 4), In.fixed(target)));
    // Piecewise-constant ops have zero gradient away from their jumps.
    l.add(c("sign_floor_ceil_round", x -> x[0].sign().add(x[0].floor()).add(x[0].ceil()).add(x[0].round())
        .add(x[0]), In.normal(3, 4)));
    // In-place ops on non-leaves: the graph must use the values from before the write.
    l.add(c("mul_inplace_nonleaf", x -> {
      Tensor y = x[0].mul(1);
      y.mulInPlace(x[1]);
      return y.addInPlace(x[1]);
    }, In.normal(3, 4), In.normal(4)));
    l.add(c("clamp_inplace_nonleaf", x -> x[0].mul(2).clampInPlace(-0.5, 1.5), In.normal(3, 4)));
    l.add(c("masked_fill_inplace_nonleaf", x -> x[0].add(1).maskedFillInPlace(x[0].gt(0.5), 0), In.normal(3, 4)));
    l.add(c("copy_inplace_nonleaf", x -> x[0].mul(2).copyInPlace(x[1]).mul(x[0]), In.normal(3, 4), In.normal(4)));
    l.add(c("dtype_round_trip", x -> x[0].to(dev.ember.DType.FLOAT64).mul(x[0]), In.normal(3, 4)));
    // Device transfer is differentiable (identity on the CPU).
    l.add(c("to_cpu_and_back", x -> x[0].to(Device.CPU).mul(2), In.normal(3, 4)));
    return l;
  }

  private static final String[] LAYOUTS = {"contiguous", "permuted", "sliced", "expanded"};

  @TestFactory
  Stream<DynamicTest> gradcheck() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Case k : cases()) {
      for (String layout : LAYOUTS) {
        if (!layout.equals("contiguous") && (!k.layouts() || k.inputs()[0].shape().length == 0)) {
          continue;
        }
        if (layout.equals("permuted") && k.inputs()[0].shape().length < 2) {
          continue;
        }
        String name = k.name() + "[" + layout + "]";
        tests.add(DynamicTest.dynamicTest(name, () -> {
          try {
            check(k, layout);
          } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("gradcheck " + name + " on " + device + ": " + e, e);
          }
        }));
      }
    }
    return tests.stream();
  }

  private void check(Case k, String layout) {
    Random r = new Random(k.name().hashCode() * 31L + layout.hashCode());
    Tensor[] inputs = new Tensor[k.inputs().length];
    for (int i = 0; i < inputs.length; i++) {
      In in = k.inputs()[i];
      if (in.fixed() != null) {
        inputs[i] = in.fixed().to(device);
        continue;
      }
      int[] shape = i == 0 ? baseShape(in.shape(), layout) : in.shape();
      int n = (int) Shape.numel(shape);
      double[] v = in.domain() == Domain.POSITIVE ? Checks.uniform(r, n, 0.5, 2.0) : Checks.normal(r, n);
      inputs[i] = Tensor.of(v, shape).to(device);
    }
    int[] target = k.inputs()[0].shape();
    Function<Tensor[], Tensor> f = x -> {
      Tensor[] moved = x.clone();
      moved[0] = toLayout(x[0], target, layout);
      return k.f().apply(moved);
    };
    GradCheck.check(f, inputs);
  }

  /** Returns the shape of the tensor that {@link #toLayout} turns into {@code target}. */
  private static int[] baseShape(int[] target, String layout) {
    int[] s = target.clone();
    switch (layout) {
      case "permuted" -> {
        for (int i = 0; i < s.length; i++) {
          s[i] = target[s.length - 1 - i];
        }
      }
      case "sliced" -> s[s.length - 1] = 2 * target[s.length - 1];
      case "expanded" -> s[0] = 1;
      default -> { }
    }
    return s;
  }

  /** Returns a non-contiguous view of {@code x} with shape {@code target}. */
  private static Tensor toLayout(Tensor x, int[] target, String layout) {
    int rank = target.length;
    return switch (layout) {
      case "permuted" -> {
        int[] perm = new int[rank];
        for (int i = 0; i < rank; i++) {
          perm[i] = rank - 1 - i;
        }
        yield x.permute(perm);
      }
      case "sliced" -> x.slice(rank - 1, 0, 2 * target[rank - 1], 2);
      case "expanded" -> x.expand(target);
      default -> x;
    };
  }

  // ------------------------------------------------------------------ higher order

  /**
   * Returns {@code x -> d sum(f(x) * v) / dx} built with {@code createGraph}, so that gradcheck of it
   * checks second derivatives. Runs with grad mode on even inside gradcheck's no-grad probes.
   */
  static Function<Tensor[], Tensor> firstGradient(Function<Tensor[], Tensor> f, int wrt, long seed) {
    return in -> {
      try (GradMode on = GradMode.enableGrad()) {
        Tensor[] x = in.clone();
        for (int i = 0; i < x.length; i++) {
          if (!x[i].requiresGrad()) {
            x[i] = x[i].detach().requiresGrad(true);
          }
        }
        Tensor y = f.apply(x);
        Tensor v = Tensor.of(Checks.normal(new Random(seed), (int) y.numel()), y.shapeArray())
            .to(y.device());
        return Autograd.grad(new Tensor[] {y.mul(v).sum()}, new Tensor[] {x[wrt]}, null, true, true, false)[0];
      }
    };
  }

  @Test
  void secondDerivativeOfTanh() {
    Tensor x = Checks.randn(new Random(1), device, 3, 4);
    GradCheck.check(firstGradient(in -> in[0].tanh(), 0, 7), x);
  }

  @Test
  void secondDerivativeOfSoftmax() {
    Tensor x = Checks.randn(new Random(2), device, 3, 4);
    GradCheck.check(firstGradient(in -> in[0].softmax(1), 0, 8), x);
    GradCheck.check(firstGradient(in -> in[0].logSoftmax(0), 0, 9), x);
  }

  @Test
  void secondDerivativeOfMatmul() {
    Random r = new Random(3);
    Tensor a = Checks.randn(r, device, 3, 4);
    Tensor b = Checks.randn(r, device, 4, 2);
    // d/da of sum(a @ b * v) is v @ b^T: linear in b, so its gradient with respect to b is nonzero.
    GradCheck.check(firstGradient(in -> in[0].matmul(in[1]).tanh(), 0, 10), a, b);
    GradCheck.check(firstGradient(in -> in[0].matmul(in[1]).square(), 1, 11), a, b);
  }

  @Test
  void secondDerivativeOfExpLogSigmoid() {
    Random r = new Random(4);
    GradCheck.check(firstGradient(in -> in[0].exp().mul(in[0].sigmoid()), 0, 12), Checks.randn(r, device, 5));
    Tensor pos = Tensor.of(Checks.uniform(r, 5, 0.5, 2), 5).to(device);
    GradCheck.check(firstGradient(in -> in[0].log().mul(in[0].sqrt()), 0, 13), pos);
  }

  /** A 2-layer MLP's input-gradient penalty, {@code ||d sum(mlp(x)) / dx||}, as a function of W1, b1, W2. */
  private static Tensor gradientPenalty(Tensor x, Tensor w1, Tensor b1, Tensor w2) {
    try (GradMode on = GradMode.enableGrad()) {
      Tensor xi = x.detach().requiresGrad(true);
      Tensor out = Linalg.linear(Linalg.linear(xi, w1, b1).tanh(), w2, null);
      Tensor g = Autograd.grad(new Tensor[] {out.sum()}, new Tensor[] {xi}, null, true, true, false)[0];
      return g.norm();
    }
  }

  @Test
  void gradientPenaltyOfSmallMlpMatchesFiniteDifferences() {
    Random r = new Random(5);
    Tensor x = Checks.randn(r, device, 5, 3);
    Tensor w1 = Checks.randn(r, device, 4, 3).requiresGrad(true);
    Tensor b1 = Checks.randn(r, device, 4).requiresGrad(true);
    Tensor w2 = Checks.randn(r, device, 1, 4).requiresGrad(true);
    // backward of the penalty fills .grad of every parameter...
    Tensor penalty = gradientPenalty(x, w1, b1, w2);
    penalty.backward();
    assertNotNull(w1.grad());
    assertNotNull(b1.grad());
    assertNotNull(w2.grad());
    // ...with values that central differences of the penalty (itself a first gradient) confirm.
    double eps = 1e-6;
    Tensor[] params = {w1, b1, w2};
    for (int p = 0; p < params.length; p++) {
      double[] base = params[p].toDoubleArray();
      double[] analytic = params[p].grad().toDoubleArray();
      double[] numeric = new double[base.length];
      for (int e = 0; e < base.length; e++) {
        double[] plus = base.clone();
        double[] minus = base.clone();
        plus[e] += eps;
        minus[e] -= eps;
        Tensor[] hi = params.clone();
        Tensor[] lo = params.clone();
        hi[p] = Tensor.of(plus, params[p].shapeArray()).to(device);
        lo[p] = Tensor.of(minus, params[p].shapeArray()).to(device);
        numeric[e] = (gradientPenalty(x, hi[0], hi[1], hi[2]).item()
            - gradientPenalty(x, lo[0], lo[1], lo[2]).item()) / (2 * eps);
      }
      Checks.assertClose(numeric, analytic, 1e-5, "d penalty / d param " + p);
    }
    // And gradcheck agrees, treating the penalty as an ordinary function of the parameters.
    GradCheck.check(in -> gradientPenalty(x, in[0], in[1], in[2]), w1.detach(), b1.detach(), w2.detach());
  }

  @Test
  void einsumFormsMatchComposedOps() {
    Random r = new Random(7);
    Tensor sq = Checks.randn(r, device, 3, 3);
    Tensor a = Checks.randn(r, device, 2, 3, 4);
    Tensor b = Checks.randn(r, device, 4, 5);
    Tensor diag = sq.mul(Tensor.eye(3).to(DType.FLOAT64).to(device)).sum(1, false);
    Checks.assertClose(diag.toDoubleArray(), Linalg.einsum("ii->i", sq).toDoubleArray(), 1e-12, "ii->i");
    Checks.assertClose(new double[] {diag.sum().item()}, Linalg.einsum("ii", sq).toDoubleArray(), 1e-12, "ii");
    Checks.assertClose(a.matmul(b).toDoubleArray(), Linalg.einsum("...j,jk->...k", a, b).toDoubleArray(), 1e-12,
        "...j,jk");
    Checks.assertClose(a.matmul(b).toDoubleArray(), Linalg.einsum("bij,jk", a, b).toDoubleArray(), 1e-12,
        "implicit");
    Checks.assertClose(a.sum(2, false).toDoubleArray(), Linalg.einsum("...i->...", a).toDoubleArray(), 1e-12,
        "...i->...");
    Checks.assertClose(a.transpose(0, 2).toDoubleArray(), Linalg.einsum("ijk->kji", a).toDoubleArray(), 0,
        "ijk->kji");
  }

  @Test
  void gradcheckReportsAWrongGradient() {
    dev.ember.Function wrong = new dev.ember.Function() {
      @Override
      protected Tensor forward(Context ctx, Tensor... in) {
        return in[0].square();
      }

      @Override
      protected Tensor[] backward(Context ctx, Tensor g) {
        return new Tensor[] {g.mul(3)};
      }
    };
    AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
        () -> GradCheck.check(in -> wrong.apply(in[0]), Checks.randn(new Random(6), device, 3)));
    assertEquals(true, e.getMessage().contains("numeric"), e.getMessage());
  }
}
