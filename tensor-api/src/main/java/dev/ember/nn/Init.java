package dev.ember.nn;

import dev.ember.DType;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Tensor;
import java.util.Locale;

/**
 * Weight initializers, PyTorch's {@code torch.nn.init}. Every method fills its tensor <b>in
 * place</b> without recording a graph (PyTorch's trailing-underscore functions) and returns it.
 * Random fills draw from {@code generator} (the global generator when omitted or null), so a seed
 * reproduces them on every backend.
 *
 * <p>Fans follow PyTorch: for a weight [out, in, k1, k2, ...], {@code fan_in = in * k1 * k2 ...}
 * and {@code fan_out = out * k1 * k2 ...}.
 */
public final class Init {
  private Init() {}

  /** Which fan scales a Kaiming initialization: preserve forward or backward variance. */
  public enum FanMode {
    /** Scales by the number of inputs (preserves the variance of activations). */
    FAN_IN,
    /** Scales by the number of outputs (preserves the variance of gradients). */
    FAN_OUT
  }

  private static Generator gen(Generator g) {
    return g == null ? Generator.global() : g;
  }

  private static Tensor fill(Tensor t, Tensor values) {
    try (GradMode off = GradMode.noGrad()) {
      return t.copyInPlace(values);
    }
  }

  /** Fills {@code t} with numbers uniform in [a, b). */
  public static Tensor uniform(Tensor t, double a, double b, Generator generator) {
    Tensor u = Tensor.rand(t.shape(), DType.FLOAT64, t.device(), gen(generator));
    try (GradMode off = GradMode.noGrad()) {
      return fill(t, u.mul(b - a).add(a));
    }
  }

  /** Fills {@code t} with numbers uniform in [a, b) from the global generator. */
  public static Tensor uniform(Tensor t, double a, double b) {
    return uniform(t, a, b, null);
  }

  /** Fills {@code t} with normal numbers of the given mean and standard deviation. */
  public static Tensor normal(Tensor t, double mean, double std, Generator generator) {
    Tensor n = Tensor.randn(t.shape(), DType.FLOAT64, t.device(), gen(generator));
    try (GradMode off = GradMode.noGrad()) {
      return fill(t, n.mul(std).add(mean));
    }
  }

  /** Fills {@code t} with normal numbers from the global generator. */
  public static Tensor normal(Tensor t, double mean, double std) {
    return normal(t, mean, std, null);
  }

  /** Fills {@code t} with {@code value}. */
  public static Tensor constant(Tensor t, double value) {
    try (GradMode off = GradMode.noGrad()) {
      return t.fillInPlace(value);
    }
  }

  /** Fills {@code t} with zeros. */
  public static Tensor zeros(Tensor t) {
    return constant(t, 0);
  }

  /** Fills {@code t} with ones. */
  public static Tensor ones(Tensor t) {
    return constant(t, 1);
  }

  /**
   * Fills a 2-d tensor with the identity matrix (ones on the main diagonal), PyTorch's {@code
   * eye_}.
   */
  public static Tensor eye(Tensor t) {
    if (t.dim() != 2) {
      throw new IllegalArgumentException("eye_: only 2-d tensors are supported, got " + t.shape());
    }
    int n = t.size(0);
    int m = t.size(1);
    double[] v = new double[n * m];
    for (int i = 0; i < Math.min(n, m); i++) {
      v[i * m + i] = 1;
    }
    return fill(t, Tensor.of(v, n, m));
  }

  /**
   * Returns the recommended gain for a nonlinearity, PyTorch's {@code calculate_gain}: 1 for
   * linear, conv and sigmoid; 5/3 for tanh; sqrt(2) for relu; {@code sqrt(2 / (1 + slope^2))} for
   * leaky_relu ({@code param} is the slope, 0.01 if NaN); 3/4 for selu.
   */
  public static double calculateGain(String nonlinearity, double param) {
    switch (nonlinearity) {
      case "linear": case "conv1d": case "conv2d": case "conv3d": case "conv_transpose1d":
      case "conv_transpose2d": case "conv_transpose3d": case "sigmoid":
        return 1;
      case "tanh":
        return 5.0 / 3;
      case "relu":
        return Math.sqrt(2);
      case "leaky_relu":
        double slope = Double.isNaN(param) ? 0.01 : param;
        return Math.sqrt(2 / (1 + slope * slope));
      case "selu":
        return 0.75;
      default:
        throw new IllegalArgumentException("calculate_gain: unsupported nonlinearity '" + nonlinearity + "'");
    }
  }

  /**
   * Returns {@code {fan_in, fan_out}} of a weight of at least 2 dims.
   *
   * @throws IllegalArgumentException for fewer than 2 dims
   */
  public static int[] fans(Tensor t) {
    if (t.dim() < 2) {
      throw new IllegalArgumentException("init: fan in and fan out can not be computed for a tensor with"
          + " fewer than 2 dimensions, got " + t.shape());
    }
    int receptive = 1;
    for (int d = 2; d < t.dim(); d++) {
      receptive *= t.size(d);
    }
    return new int[] {t.size(1) * receptive, t.size(0) * receptive};
  }

  /** Fills {@code t} from {@code U(-a, a)}, {@code a = gain * sqrt(6 / (fan_in + fan_out))}. */
  public static Tensor xavierUniform(Tensor t, double gain, Generator generator) {
    int[] f = fans(t);
    double bound = Math.sqrt(3.0) * gain * Math.sqrt(2.0 / (f[0] + f[1]));
    return uniform(t, -bound, bound, generator);
  }

  /** Fills {@code t} by Glorot's uniform rule with gain 1 from the global generator. */
  public static Tensor xavierUniform(Tensor t) {
    return xavierUniform(t, 1, null);
  }

  /**
   * Fills {@code t} from {@code N(0, std^2)}, {@code std = gain * sqrt(2 / (fan_in + fan_out))}.
   */
  public static Tensor xavierNormal(Tensor t, double gain, Generator generator) {
    int[] f = fans(t);
    return normal(t, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])), generator);
  }

  /** Fills {@code t} by Glorot's normal rule with gain 1 from the global generator. */
  public static Tensor xavierNormal(Tensor t) {
    return xavierNormal(t, 1, null);
  }

  private static double kaimingStd(Tensor t, double a, FanMode mode, String nonlinearity) {
    int[] f = fans(t);
    int fan = mode == FanMode.FAN_IN ? f[0] : f[1];
    if (fan == 0) {
      throw new IllegalArgumentException("kaiming: initializing a zero-element tensor " + t.shape());
    }
    return calculateGain(nonlinearity, a) / Math.sqrt(fan);
  }

  /**
   * Fills {@code t} from {@code U(-b, b)}, {@code b = gain * sqrt(3 / fan)}, He's rule.
   *
   * @param a the negative slope of the rectifier that follows (for leaky_relu)
   * @param mode which fan to use
   * @param nonlinearity {@code "relu"} or {@code "leaky_relu"} (PyTorch's default), or any name
   *     {@link #calculateGain} knows
   */
  public static Tensor kaimingUniform(Tensor t, double a, FanMode mode, String nonlinearity, Generator generator) {
    double bound = Math.sqrt(3.0) * kaimingStd(t, a, mode, nonlinearity);
    return uniform(t, -bound, bound, generator);
  }

  /** Fills {@code t} by He's uniform rule with PyTorch's defaults (a 0, fan_in, leaky_relu). */
  public static Tensor kaimingUniform(Tensor t) {
    return kaimingUniform(t, 0, FanMode.FAN_IN, "leaky_relu", null);
  }

  /**
   * Fills {@code t} from {@code N(0, std^2)}, {@code std = gain / sqrt(fan)}; see {@link
   * #kaimingUniform}.
   */
  public static Tensor kaimingNormal(Tensor t, double a, FanMode mode, String nonlinearity, Generator generator) {
    return normal(t, 0, kaimingStd(t, a, mode, nonlinearity), generator);
  }

  /** Fills {@code t} by He's normal rule with PyTorch's defaults (a 0, fan_in, leaky_relu). */
  public static Tensor kaimingNormal(Tensor t) {
    return kaimingNormal(t, 0, FanMode.FAN_IN, "leaky_relu", null);
  }

  /**
   * Fills {@code t} (at least 2-d, viewed as [size(0), rest]) with a (semi-)orthogonal matrix times
   * {@code gain}: the Q of a QR decomposition of a normal matrix, signs fixed by R's diagonal so
   * the result is uniformly distributed (Saxe et al.). The QR runs on the host (modified
   * Gram-Schmidt in float64).
   */
  public static Tensor orthogonal(Tensor t, double gain, Generator generator) {
    if (t.dim() < 2) {
      throw new IllegalArgumentException("orthogonal_: only tensors with 2 or more dimensions are supported,"
          + " got " + t.shape());
    }
    int rows = t.size(0);
    int cols = (int) (t.numel() / Math.max(rows, 1));
    double[] flat = Tensor.randn(dev.ember.Shape.of(rows, cols), DType.FLOAT64, dev.ember.Device.CPU,
        gen(generator)).toDoubleArray();
    boolean transpose = rows < cols;
    int m = transpose ? cols : rows;
    int n = transpose ? rows : cols;
    // a[i][j] is the m x n matrix to factor (the flattened one, transposed if wide).
    double[][] q = new double[n][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        q[j][i] = transpose ? flat[j * cols + i] : flat[i * cols + j];
      }
    }
    for (int j = 0; j < n; j++) {
      for (int k = 0; k < j; k++) {
        double dot = 0;
        for (int i = 0; i < m; i++) {
          dot += q[k][i] * q[j][i];
        }
        for (int i = 0; i < m; i++) {
          q[j][i] -= dot * q[k][i];
        }
      }
      double norm = 0;
      for (int i = 0; i < m; i++) {
        norm += q[j][i] * q[j][i];
      }
      norm = Math.sqrt(norm);
      // R's diagonal is the (positive) norm, so sign(diag(R)) = +1: the column stays as is.
      for (int i = 0; i < m; i++) {
        q[j][i] /= norm;
      }
    }
    double[] out = new double[rows * cols];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double v = q[j][i] * gain;
        if (transpose) {
          out[j * cols + i] = v;
        } else {
          out[i * cols + j] = v;
        }
      }
    }
    return fill(t, Tensor.of(out, t.shapeArray()).to(t.device()));
  }

  /** Fills {@code t} with an orthogonal matrix (gain 1) from the global generator. */
  public static Tensor orthogonal(Tensor t) {
    return orthogonal(t, 1, null);
  }

  /**
   * Fills {@code t} from the normal distribution {@code N(mean, std^2)} truncated to {@code [a,
   * b]}, by rejection on the host: exact, and cheap while {@code [a, b]} holds a reasonable part of
   * the mass (the loop gives up after 1000 rounds).
   */
  public static Tensor truncNormal(Tensor t, double mean, double std, double a, double b, Generator generator) {
    if (!(a < b)) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "trunc_normal_: a (%s) must be below b (%s)",
          a, b));
    }
    int n = (int) t.numel();
    double[] out = new double[n];
    int filled = 0;
    for (int round = 0; filled < n; round++) {
      if (round == 1000) {
        throw new IllegalArgumentException("trunc_normal_: [a, b] = [" + a + ", " + b + "] holds too little"
            + " of N(" + mean + ", " + std + "^2)");
      }
      int draw = Math.max(16, 2 * (n - filled));
      double[] z = Tensor.randn(dev.ember.Shape.of(draw), DType.FLOAT64, dev.ember.Device.CPU, gen(generator))
          .toDoubleArray();
      for (int i = 0; i < draw && filled < n; i++) {
        double v = mean + std * z[i];
        if (v >= a && v <= b) {
          out[filled++] = v;
        }
      }
    }
    return fill(t, Tensor.of(out, t.shapeArray()).to(t.device()));
  }

  /** Fills {@code t} from N(mean, std^2) truncated to [a, b], from the global generator. */
  public static Tensor truncNormal(Tensor t, double mean, double std, double a, double b) {
    return truncNormal(t, mean, std, a, b, null);
  }
}
