package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.ops.Convolution.Window;
import dev.ember.spi.PoolParams;
import java.util.Arrays;

/**
 * Pooling with PyTorch's semantics: {@code max_pool1d/2d}, {@code avg_pool1d/2d} and {@code
 * adaptive_avg_pool2d}. All are built on {@link Convolution}'s zero-copy window view and other
 * differentiable ops, so none carries gradient code of its own: max pooling sends each window's
 * gradient to its first maximum (a gather), average pooling spreads it evenly (a fold). A backend
 * with fused pooling primitives (the CPU backend's direct max-pooling kernel) computes undilated
 * pooling directly: {@link FusedPooling} is tried first, this composition runs when it declines.
 */
public final class Pooling {
  private Pooling() {}

  /**
   * Options of a 2-d pooling window, PyTorch's arguments; build with {@link #of(int...)} and the
   * {@code with...} methods.
   *
   * @param kernel (kh, kw), or one value for both
   * @param stride (sh, sw), or one value; null means the kernel size
   * @param padding implicit padding (ph, pw) on both sides, at most half the kernel
   * @param dilation (dh, dw), max pooling only
   * @param ceilMode round the output size up instead of down (windows must still start inside the
   *     input or its left/top padding)
   */
  public record Pool2d(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
    /** Returns a window of {@code kernel} with stride = kernel, no padding, dilation 1, floor mode. */
    public static Pool2d of(int... kernel) {
      return new Pool2d(kernel, null, new int[] {0}, new int[] {1}, false);
    }

    /** Returns these options with another stride. */
    public Pool2d withStride(int... s) {
      return new Pool2d(kernel, s, padding, dilation, ceilMode);
    }

    /** Returns these options with another padding. */
    public Pool2d withPadding(int... p) {
      return new Pool2d(kernel, stride, p, dilation, ceilMode);
    }

    /** Returns these options with another dilation. */
    public Pool2d withDilation(int... d) {
      return new Pool2d(kernel, stride, padding, d, ceilMode);
    }

    /** Returns these options with ceil (true) or floor (false) output sizes. */
    public Pool2d withCeilMode(boolean ceil) {
      return new Pool2d(kernel, stride, padding, dilation, ceil);
    }
  }

  /** The resolved geometry of one pooling call. */
  private record Plan(Window window, int ph, int pw, int oh, int ow, int extraH, int extraW) {}

  private static Plan plan(String op, Tensor x4, Tensor original, Pool2d o) {
    int[] k = Convolution.pair(op, "kernel_size", o.kernel(), 1);
    int[] s = o.stride() == null || o.stride().length == 0 ? k : Convolution.pair(op, "stride", o.stride(), 1);
    int[] p = Convolution.pair(op, "padding", o.padding(), 0);
    int[] d = Convolution.pair(op, "dilation", o.dilation(), 1);
    if (p[0] > k[0] / 2 || p[1] > k[1] / 2) {
      throw new IllegalArgumentException(op + ": pad should be at most half of effective kernel size, but got"
          + " padding " + Arrays.toString(p) + " and kernel_size " + Arrays.toString(k));
    }
    int h = x4.size(2);
    int w = x4.size(3);
    int oh = outSize(h, k[0], s[0], p[0], d[0], o.ceilMode());
    int ow = outSize(w, k[1], s[1], p[1], d[1], o.ceilMode());
    if (oh <= 0 || ow <= 0) {
      throw new IllegalArgumentException(op + ": output size is too small: input " + original.shape()
          + ", kernel_size " + Arrays.toString(k) + ", stride " + Arrays.toString(s) + ", padding "
          + Arrays.toString(p) + ", dilation " + Arrays.toString(d) + " give (" + oh + " x " + ow + ")");
    }
    // In ceil mode the last window may reach past the padded input: pad a little more on the far side.
    int extraH = Math.max(0, (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1 - (h + 2 * p[0]));
    int extraW = Math.max(0, (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1 - (w + 2 * p[1]));
    return new Plan(new Window(k[0], k[1], s[0], s[1], d[0], d[1]), p[0], p[1], oh, ow, extraH, extraW);
  }

  /** PyTorch's pooling output size, including its ceil-mode rule. */
  private static int outSize(int in, int k, int s, int p, int d, boolean ceil) {
    int span = in + 2 * p - d * (k - 1) - 1;
    if (span < 0) {
      return 0;
    }
    int out = (ceil ? (span + s - 1) / s : span / s) + 1;
    if (ceil && (out - 1) * s >= in + p) {
      out--;
    }
    return out;
  }

  private static Tensor as4d(String op, Tensor x, int spatial) {
    if (x.dim() != spatial + 1 && x.dim() != spatial + 2) {
      throw new IllegalArgumentException(op + ": expected " + (spatial + 1) + "-d (unbatched) or "
          + (spatial + 2) + "-d (batched) input, got " + x.shape());
    }
    if (!x.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": expected a floating input, got " + x.dtype());
    }
    Tensor b = x.dim() == spatial + 1 ? x.unsqueeze(0) : x;
    return spatial == 1 ? b.unsqueeze(2) : b;
  }

  private static Tensor back(Tensor out4, Tensor x, int spatial) {
    Tensor r = spatial == 1 ? out4.squeeze(2) : out4;
    return x.dim() == spatial + 1 ? r.squeeze(0) : r;
  }

  // ---------------------------------------------------------------- max pooling

  /**
   * Returns the maximum of each window of {@code x} [N, C, H, W] (or [C, H, W]): [N, C, oh, ow]
   * with {@code oh = (H + 2 ph - dh (kh - 1) - 1) / sh + 1}. Padding counts as -inf. The gradient of
   * each window goes to its first maximum in row-major order, as in PyTorch.
   */
  public static Tensor maxPool2d(Tensor x, Pool2d options) {
    return maxPool("max_pool2d", x, options, 2);
  }

  /** Returns {@code max_pool2d} with a square {@code kernel}, stride = kernel and no padding. */
  public static Tensor maxPool2d(Tensor x, int kernel) {
    return maxPool2d(x, Pool2d.of(kernel));
  }

  /**
   * Returns {@code max_pool2d} with PyTorch's positional arguments (floor mode).
   *
   * @param stride null or empty for the kernel size
   */
  public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation) {
    return maxPool2d(x, new Pool2d(kernel, stride, padding, dilation, false));
  }

  /** Returns the maximum of each window of length {@code kernel} of {@code x} [N, C, L] (or [C, L]). */
  public static Tensor maxPool1d(Tensor x, int kernel, int stride, int padding, int dilation, boolean ceilMode) {
    return maxPool("max_pool1d", x, new Pool2d(new int[] {1, kernel}, new int[] {1, stride},
        new int[] {0, padding}, new int[] {1, dilation}, ceilMode), 1);
  }

  private static Tensor maxPool(String op, Tensor x, Pool2d options, int spatial) {
    Tensor x4 = as4d(op, x, spatial);
    Plan p = plan(op, x4, x, options);
    Tensor fused = FusedPooling.maxPool2d(x4, fusedParams(p), p.oh(), p.ow(), xd -> composedMaxPool(xd, p));
    return back(fused != null ? fused : composedMaxPool(x4, p), x, spatial);
  }

  /** Max pooling of {@code x4} [N, C, H, W] composed from the window view and a max over it. */
  private static Tensor composedMaxPool(Tensor x4, Plan p) {
    Window g = p.window();
    Tensor xp = Convolution.padSpatial(x4, new int[] {p.ph(), p.ph() + p.extraH(), p.pw(), p.pw() + p.extraW()},
        Double.NEGATIVE_INFINITY);
    int n = x4.size(0);
    int c = x4.size(1);
    // One copy lays each window out along dim 2; max with indices sends the gradient to the first max.
    Tensor win = Convolution.windows(xp, g, p.oh(), p.ow()).reshape(n, c, g.kh() * g.kw(), p.oh(), p.ow());
    return win.max(2, false).values();
  }

  /**
   * Returns the geometry for a backend's fused pooling primitives, or null where they do not apply
   * (dilated windows).
   */
  private static PoolParams fusedParams(Plan p) {
    Window g = p.window();
    if (g.dh() != 1 || g.dw() != 1) {
      return null;
    }
    return new PoolParams(g.kh(), g.kw(), g.sh(), g.sw(), p.ph(), p.ph() + p.extraH(), p.pw(),
        p.pw() + p.extraW());
  }

  // ---------------------------------------------------------------- average pooling

  /**
   * Returns the mean of each window of {@code x} [N, C, H, W] (or [C, H, W]): [N, C, oh, ow].
   * Padding is zeros; with {@code countIncludePad} (PyTorch's default) the divisor is the window's
   * size clipped to the padded input, else the number of real input elements in it.
   *
   * @param options dilation must be 1
   * @param divisorOverride if non-null, the divisor for every window
   */
  public static Tensor avgPool2d(Tensor x, Pool2d options, boolean countIncludePad, Integer divisorOverride) {
    return avgPool("avg_pool2d", x, options, countIncludePad, divisorOverride, 2);
  }

  /** Returns {@code avg_pool2d} with a square {@code kernel}, stride = kernel, no padding. */
  public static Tensor avgPool2d(Tensor x, int kernel) {
    return avgPool2d(x, Pool2d.of(kernel), true, null);
  }

  /** Returns {@code avg_pool2d} with PyTorch's positional arguments (floor mode, divisor by rule). */
  public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
    return avgPool2d(x, new Pool2d(kernel, stride, padding, new int[] {1}, false), countIncludePad, null);
  }

  /** Returns the mean of each window of length {@code kernel} of {@code x} [N, C, L] (or [C, L]). */
  public static Tensor avgPool1d(Tensor x, int kernel, int stride, int padding, boolean ceilMode,
      boolean countIncludePad) {
    return avgPool("avg_pool1d", x, new Pool2d(new int[] {1, kernel}, new int[] {1, stride},
        new int[] {0, padding}, new int[] {1}, ceilMode), countIncludePad, null, 1);
  }

  private static Tensor avgPool(String op, Tensor x, Pool2d options, boolean countIncludePad,
      Integer divisorOverride, int spatial) {
    Tensor x4 = as4d(op, x, spatial);
    int[] d = Convolution.pair(op, "dilation", options.dilation(), 1);
    if (d[0] != 1 || d[1] != 1) {
      throw new IllegalArgumentException(op + ": dilation is not supported, got " + Arrays.toString(d));
    }
    if (divisorOverride != null && divisorOverride <= 0) {
      throw new IllegalArgumentException(op + ": divisor must be non-zero, got " + divisorOverride);
    }
    Plan p = plan(op, x4, x, options);
    // The fused primitive divides by kh * kw or by the real elements: PyTorch's rule except where a
    // ceil-mode window reaches past the padding while counting it, or with a divisor override.
    boolean fusable = divisorOverride == null && (!countIncludePad || (p.extraH() == 0 && p.extraW() == 0));
    Tensor fused = !fusable ? null : FusedPooling.avgPool2d(x4, fusedParams(p), countIncludePad, p.oh(), p.ow(),
        xd -> composedAvgPool(xd, p, countIncludePad, null));
    return back(fused != null ? fused : composedAvgPool(x4, p, countIncludePad, divisorOverride), x, spatial);
  }

  /** Average pooling of {@code x4} [N, C, H, W] composed from a sum over the window view. */
  private static Tensor composedAvgPool(Tensor x4, Plan p, boolean countIncludePad, Integer divisorOverride) {
    Window g = p.window();
    Tensor xp = Convolution.padSpatial(x4, new int[] {p.ph(), p.ph() + p.extraH(), p.pw(), p.pw() + p.extraW()});
    // Summing the window view reads it in place: no copy; the gradient is an expand and a fold.
    Tensor sums = Convolution.windows(xp, g, p.oh(), p.ow()).sum(new int[] {2, 3}, false);
    return divisorOverride != null ? sums.div((double) divisorOverride)
        : sums.div(divisors(p, x4.size(2), x4.size(3), countIncludePad, x4.dtype()).to(x4.device()));
  }

  /** Returns the [oh, ow] divisors of PyTorch's avg_pool2d. */
  private static Tensor divisors(Plan p, int h, int w, boolean countIncludePad, DType dtype) {
    Window g = p.window();
    double[] out = new double[p.oh() * p.ow()];
    for (int i = 0; i < p.oh(); i++) {
      int hs = i * g.sh() - p.ph();
      int he = Math.min(hs + g.kh(), h + p.ph());
      int hSize = he - hs;
      int hReal = Math.min(he, h) - Math.max(hs, 0);
      for (int j = 0; j < p.ow(); j++) {
        int ws = j * g.sw() - p.pw();
        int we = Math.min(ws + g.kw(), w + p.pw());
        int wSize = we - ws;
        int wReal = Math.min(we, w) - Math.max(ws, 0);
        out[i * p.ow() + j] = countIncludePad ? hSize * wSize : hReal * wReal;
      }
    }
    return Tensor.of(out, p.oh(), p.ow()).to(dtype);
  }

  /**
   * Returns the adaptive average pooling of {@code x} [N, C, H, W] (or [C, H, W]) to [N, C, oh, ow]:
   * output cell {@code i} averages rows {@code floor(i H / oh)} to {@code ceil((i + 1) H / oh)}, as in
   * PyTorch. Windows are separable, so this is two small matrix products.
   *
   * @param outputSize (oh, ow), or one value for both
   */
  public static Tensor adaptiveAvgPool2d(Tensor x, int... outputSize) {
    String op = "adaptive_avg_pool2d";
    Tensor x4 = as4d(op, x, 2);
    int[] size = Convolution.pair(op, "output_size", outputSize, 1);
    int h = x4.size(2);
    int w = x4.size(3);
    if (h == 0 || w == 0) {
      throw new IllegalArgumentException(op + ": expected non-empty spatial dims, got input " + x.shape());
    }
    Tensor ah = averaging(size[0], h, x).to(x.dtype());   // [oh, H]
    Tensor aw = averaging(size[1], w, x).to(x.dtype());   // [ow, W]
    Tensor out = ah.matmul(x4.matmul(aw.t()));            // [oh, H] @ [N, C, H, ow]
    return x.dim() == 3 ? out.squeeze(0) : out;
  }

  /** Returns the [out, in] matrix whose row i averages PyTorch's adaptive window i. */
  private static Tensor averaging(int out, int in, Tensor like) {
    double[] m = new double[out * in];
    for (int i = 0; i < out; i++) {
      int start = (int) ((long) i * in / out);
      int end = (int) (((long) (i + 1) * in + out - 1) / out);
      for (int j = start; j < end; j++) {
        m[i * in + j] = 1.0 / (end - start);
      }
    }
    return Tensor.of(m, out, in).to(like.device());
  }
}
