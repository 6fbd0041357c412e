package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;

/**
 * Random sampling beyond the factories of {@link Creation}: {@code randperm}, {@code multinomial},
 * {@code bernoulli}, and {@code normal} with tensor arguments. Every draw comes from a {@link
 * Generator}'s Philox stream (null: the global one) through {@link Creation#rand}, so results are
 * the same for the same seed on every backend and every run. They are <b>not</b> bit-equal to
 * PyTorch's streams: PyTorch draws with other algorithms (and, for these ops, other generators on
 * CPU and CUDA), so only the distributions match, not the numbers. None of these is differentiable
 * (PyTorch's {@code normal} gives zero gradients; here the result does not require grad).
 */
public final class Sampling {
  private Sampling() {}

  /**
   * Returns a random permutation of {@code 0 .. n-1} ({@code torch.randperm}): a Fisher-Yates shuffle
   * driven by {@code n - 1} uniform draws; int64 unless {@code dtype} says otherwise.
   */
  public static Tensor randperm(int n, DType dtype, Device device, Generator g) {
    if (n < 0) {
      throw new IllegalArgumentException("randperm: n must be non-negative, got " + n);
    }
    long[] perm = new long[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    if (n > 1) {
      double[] u = uniforms(n - 1, g);
      for (int i = n - 1; i > 0; i--) {
        int j = Math.min(i, (int) (u[n - 1 - i] * (i + 1)));
        long t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
    }
    Tensor out = Tensor.of(perm, n);
    return (dtype == DType.INT64 ? out : out.to(dtype)).to(device);
  }

  /**
   * Draws {@code numSamples} category indices from each row of the non-negative weights {@code
   * probs} (1-d {@code [C]} or 2-d {@code [N, C]}; rows need not sum to 1), {@code
   * torch.multinomial}: int64 of shape {@code [numSamples]} or {@code [N, numSamples]}. Without
   * replacement each row must have at least {@code numSamples} categories of positive weight, and no
   * category is drawn twice.
   */
  public static Tensor multinomial(Tensor probs, int numSamples, boolean replacement, Generator g) {
    if (probs.dim() < 1 || probs.dim() > 2) {
      throw new IllegalArgumentException("multinomial: prob_dist must be 1 or 2 dim, got shape " + probs.shape());
    }
    if (!probs.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("multinomial: only floating-point dtypes are supported for probs, got "
          + probs.dtype() + " " + probs.shape());
    }
    if (numSamples <= 0) {
      throw new IllegalArgumentException("multinomial: cannot sample " + numSamples + " (<= 0) samples");
    }
    int rows = probs.dim() == 1 ? 1 : probs.size(0);
    int categories = probs.size(-1);
    if (!replacement && numSamples > categories) {
      throw new IllegalArgumentException("multinomial: cannot sample n_sample (" + numSamples + ") > "
          + "prob_dist.size(-1) (" + categories + ") samples without replacement (shape " + probs.shape() + ")");
    }
    HostLanes.checkHostSize(probs);
    double[] w = probs.toDoubleArray();
    for (int r = 0; r < rows; r++) {
      double sum = 0;
      int positive = 0;
      for (int c = 0; c < categories; c++) {
        double v = w[r * categories + c];
        if (!(v >= 0) || Double.isInfinite(v)) {
          throw new IllegalArgumentException("multinomial: probability tensor contains either inf, nan or"
              + " element < 0 (row " + r + " of shape " + probs.shape() + ")");
        }
        sum += v;
        positive += v > 0 ? 1 : 0;
      }
      if (sum <= 0) {
        throw new IllegalArgumentException("multinomial: invalid multinomial distribution (sum of probabilities"
            + " <= 0) in row " + r + " of shape " + probs.shape());
      }
      if (!replacement && positive < numSamples) {
        throw new IllegalArgumentException("multinomial: invalid multinomial distribution (with replacement=False,"
            + " not enough non-negative category to sample): row " + r + " has " + positive
            + " categories of positive weight, " + numSamples + " samples requested");
      }
    }
    double[] u = uniforms(rows * numSamples, g);
    long[] out = new long[rows * numSamples];
    double[] weights = new double[categories];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(w, r * categories, weights, 0, categories);
      for (int s = 0; s < numSamples; s++) {
        double total = 0;
        for (double v : weights) {
          total += v;
        }
        double target = u[r * numSamples + s] * total;
        int pick = -1;
        double acc = 0;
        for (int c = 0; c < categories; c++) {
          if (weights[c] > 0) {
            pick = c; // the last category of positive weight absorbs rounding at the top end
            acc += weights[c];
            if (target < acc) {
              break;
            }
          }
        }
        out[r * numSamples + s] = pick;
        if (!replacement) {
          weights[pick] = 0;
        }
      }
    }
    int[] shape = probs.dim() == 1 ? new int[] {numSamples} : new int[] {rows, numSamples};
    return HostLanes.longs(out, shape, probs.device());
  }

  /**
   * Returns 1 with probability {@code p} and 0 otherwise, per element of {@code p} (in [0, 1]),
   * with {@code p}'s shape, dtype and device ({@code torch.bernoulli}).
   */
  public static Tensor bernoulli(Tensor p, Generator g) {
    if (!p.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("bernoulli: p must be floating, got " + p.dtype() + " " + p.shape());
    }
    try (GradMode off = GradMode.noGrad()) {
      double lo = p.numel() == 0 ? 0 : p.amin().item();
      double hi = p.numel() == 0 ? 0 : p.amax().item();
      if (!(lo >= 0 && hi <= 1)) {
        throw new IllegalArgumentException("bernoulli: all probabilities must be in [0, 1], got values in ["
            + lo + ", " + hi + "] (shape " + p.shape() + ")");
      }
      Tensor u = Creation.rand(p.shape(), DType.FLOAT64, p.device(), g);
      return u.lt(p).to(p.dtype());
    }
  }

  /**
   * Returns {@code x}'s shape filled with 1 with probability {@code p} ({@code x.bernoulli(p)}),
   * of {@code x}'s dtype and device.
   */
  public static Tensor bernoulli(Tensor x, double p, Generator g) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("bernoulli: p must be in [0, 1], got " + p);
    }
    try (GradMode off = GradMode.noGrad()) {
      return Creation.rand(x.shape(), DType.FLOAT64, x.device(), g).lt(p).to(x.dtype());
    }
  }

  /**
   * Returns normal samples with per-element {@code mean} and {@code std} (broadcast together;
   * {@code torch.normal(mean, std)}), of their promoted floating dtype.
   */
  public static Tensor normal(Tensor mean, Tensor std, Generator g) {
    if (!mean.dtype().isFloatingPoint() || !std.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("normal: mean and std must be floating, got " + mean.dtype() + " "
          + mean.shape() + " and " + std.dtype() + " " + std.shape());
    }
    int[] shape = Dispatch.broadcastShapes("normal", mean.shapeArray(), std.shapeArray());
    try (GradMode off = GradMode.noGrad()) {
      if (std.numel() > 0 && std.amin().item() < 0) {
        throw new IllegalArgumentException("normal: expects all elements of std >= 0.0 (shape " + std.shape() + ")");
      }
      DType dtype = Dispatch.resultType(mean, std);
      Tensor z = Creation.randn(Shape.of(shape), dtype, mean.device(), g);
      return z.mul(std).add(mean);
    }
  }

  /** Returns normal samples of {@code shape} with scalar {@code mean} and {@code std} ({@code torch.normal}). */
  public static Tensor normal(double mean, double std, Shape shape, DType dtype, Device device, Generator g) {
    if (!(std >= 0)) {
      throw new IllegalArgumentException("normal: expects std >= 0.0, got " + std);
    }
    try (GradMode off = GradMode.noGrad()) {
      return Creation.randn(shape, dtype, device, g).mul(std).add(mean);
    }
  }

  /**
   * Fills {@code x} in place with integers uniform in {@code [from, to)} ({@code x.random_(from,
   * to)}), converted to {@code x}'s dtype; returns {@code x}.
   */
  public static Tensor randomInPlace(Tensor x, long from, long to, Generator g) {
    if (to <= from) {
      throw new IllegalArgumentException("random_: expects 'from' (" + from + ") to be less than 'to' (" + to
          + "), shape " + x.shape());
    }
    if (x.dtype() == DType.BOOL && (from < 0 || to > 2)) {
      throw new IllegalArgumentException("random_: a bool tensor takes values in [0, 2), got [" + from + ", " + to
          + ")");
    }
    Tensor draws;
    try (GradMode off = GradMode.noGrad()) {
      draws = Creation.randint(from, to, x.shape(), x.device(), g);
    }
    return x.copyInPlace(x.dtype() == DType.BOOL ? draws.ne(0) : draws);
  }

  private static double[] uniforms(int n, Generator g) {
    try (GradMode off = GradMode.noGrad()) {
      return Creation.rand(Shape.of(n), DType.FLOAT64, Device.CPU, g).toDoubleArray();
    }
  }
}
