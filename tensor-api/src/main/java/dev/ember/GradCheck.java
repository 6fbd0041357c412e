package dev.ember;

import java.util.function.Function;

/**
 * Checks analytic gradients against central finite differences, PyTorch's {@code gradcheck}. Run
 * it in float64: the inputs are converted, perturbed one element at a time by {@code eps}, and each
 * numeric derivative of {@code sum(f(x) * v)} (v a fixed random projection, so every output element
 * counts) is compared with the one backward computes.
 *
 * <pre>{@code
 * GradCheck.check(in -> in[0].mul(in[1]).tanh(), a, b);   // throws AssertionError on mismatch (tests)
 * boolean ok = GradCheck.gradcheck(f, GradCheck.Options.defaults(), false, a, b);  // false on mismatch
 * GradCheck.gradcheck(f, a, b);                           // throws GradCheckException on mismatch
 * }</pre>
 */
public final class GradCheck {
  private GradCheck() {}

  /**
   * Tolerances and step.
   *
   * @param eps the finite-difference step
   * @param atol absolute tolerance
   * @param rtol relative tolerance
   */
  public record Options(double eps, double atol, double rtol) {
    /** Returns PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3. */
    public static Options defaults() {
      return new Options(1e-6, 1e-5, 1e-3);
    }
  }

  /** Checks {@code f} at {@code inputs} with default options; throws on the first mismatch. */
  public static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
    check(f, Options.defaults(), inputs);
  }

  /**
   * Checks {@code f} at {@code inputs}; floating inputs are differentiated, others held fixed. For
   * tests: a mismatch is an {@link AssertionError} (its cause the {@link GradCheckException}).
   *
   * @throws AssertionError naming the input, the element, the numeric and the analytic value
   */
  public static void check(Function<Tensor[], Tensor> f, Options o, Tensor... inputs) {
    try {
      run(f, o, inputs);
    } catch (GradCheckException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /**
   * PyTorch's {@code gradcheck(f, inputs)}: returns true if every gradient matches, else throws.
   *
   * @throws GradCheckException naming the first mismatching input and element
   */
  public static boolean gradcheck(Function<Tensor[], Tensor> f, Tensor... inputs) {
    return gradcheck(f, Options.defaults(), true, inputs);
  }

  /**
   * PyTorch's {@code gradcheck(f, inputs, eps=, atol=, rtol=, raise_exception=)}: returns whether
   * every gradient matches; on a mismatch throws if {@code raiseException}, else returns false.
   *
   * @throws GradCheckException on a mismatch when {@code raiseException}
   */
  public static boolean gradcheck(Function<Tensor[], Tensor> f, Options o, boolean raiseException,
      Tensor... inputs) {
    try {
      run(f, o, inputs);
      return true;
    } catch (GradCheckException e) {
      if (raiseException) {
        throw e;
      }
      return false;
    }
  }

  private static void run(Function<Tensor[], Tensor> f, Options o, Tensor... inputs) {
    Tensor[] x = new Tensor[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      Tensor in = inputs[i];
      x[i] = in.dtype().isFloatingPoint() ? in.detach().to(DType.FLOAT64).clone().detach().requiresGrad(true)
          : in;
    }
    Tensor out = f.apply(x);
    if (!out.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("gradcheck: the function's output must be floating, got "
          + out.dtype());
    }
    Tensor v = Tensor.rand(out.shape(), DType.FLOAT64, out.device(), new Generator(1234)).add(0.5);
    Tensor[] diffInputs = java.util.Arrays.stream(x).filter(Tensor::requiresGrad).toArray(Tensor[]::new);
    if (diffInputs.length == 0) {
      return;
    }
    Tensor[] analytic = out.requiresGrad()
        ? Autograd.grad(new Tensor[] {out}, diffInputs, new Tensor[] {v}, false, false, true)
        : new Tensor[diffInputs.length];
    int k = 0;
    for (int i = 0; i < x.length; i++) {
      if (!x[i].requiresGrad()) {
        continue;
      }
      Tensor a = analytic[k++];
      double[] ag = a == null ? new double[(int) x[i].numel()] : a.contiguous().toDoubleArray();
      double[] base = x[i].contiguous().toDoubleArray();
      for (int e = 0; e < base.length; e++) {
        double numeric = (projected(f, x, i, base, e, o.eps(), v) - projected(f, x, i, base, e, -o.eps(), v))
            / (2 * o.eps());
        if (Math.abs(numeric - ag[e]) > o.atol() + o.rtol() * Math.abs(numeric)) {
          throw new GradCheckException(i, x[i].shape(), e, numeric, ag[e]);
        }
      }
    }
  }

  private static double projected(Function<Tensor[], Tensor> f, Tensor[] x, int i, double[] base, int e,
      double delta, Tensor v) {
    double[] moved = base.clone();
    moved[e] += delta;
    Tensor[] args = x.clone();
    args[i] = Tensor.of(moved, x[i].shapeArray()).to(x[i].device());
    try (GradMode off = GradMode.noGrad()) {
      return f.apply(args).mul(v).sum().item();
    }
  }
}
