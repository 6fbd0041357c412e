package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Autocasting;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Convolutions ({@code conv1d}, {@code conv2d}, {@code conv_transpose1d/2d}) and their building
 * blocks {@code unfold} (im2col) and {@code fold} (col2im), with PyTorch's semantics.
 *
 * <p>How a convolution runs: the (zero-)padded input is viewed, without a copy, as its sliding
 * windows {@code [N, C, kh, kw, oh, ow]} (a strided view whose strides come from the input's); one
 * strided copy lays the windows out as columns {@code [groups, C/g * kh * kw, N * oh * ow]}; one
 * matrix product per group (one in all for {@code groups = 1}) over the whole batch multiplies them
 * with the weight. Only two ops here carry gradient code, and each is the other's backward: the
 * window view ({@code unfold}), whose gradient is a {@code fold} that adds each of the {@code kh *
 * kw} kernel offsets' slices into place, and {@code fold}, whose gradient is the window view again.
 * Everything else is differentiable ops, so weights, inputs and biases get gradients (and double
 * backward) on every backend.
 *
 * <p>No column buffer grows with the batch past a bound ({@code -Dember.conv.columnBytes}, 256
 * MiB): a larger batch runs in chunks of samples, forward and backward (the backward recomputes
 * each chunk's columns rather than keeping them), so a convolution needs no buffer much larger
 * than its input and output. One sample's columns are never split, as in PyTorch's own im2col.
 * <p>A backend with fused convolution primitives ({@link Backend#conv2d}; the CPU backend's oneDNN)
 * computes {@code conv1d}/{@code conv2d} without the im2col copy: {@link FusedConvolution} is tried
 * first and this composition runs when it declines.
 */
public final class Convolution {
  private Convolution() {}

  /**
   * The geometry of 2-d sliding windows: kernel, stride and dilation per spatial dim.
   *
   * @param kh kernel height
   * @param kw kernel width
   * @param sh vertical stride
   * @param sw horizontal stride
   * @param dh vertical dilation
   * @param dw horizontal dilation
   */
  record Window(int kh, int kw, int sh, int sw, int dh, int dw) {
    /** Returns the number of windows along a padded extent of {@code size}, or 0 if none fits. */
    int count(int size, boolean vertical) {
      long span = vertical ? (long) dh * (kh - 1) + 1 : (long) dw * (kw - 1) + 1;
      return size < span ? 0 : (int) ((size - span) / (vertical ? sh : sw) + 1);
    }
  }

  // ---------------------------------------------------------------- the two primitives

  /**
   * Returns the sliding windows of {@code xp} [N, C, Hp, Wp] as a strided view [N, C, kh, kw, oh,
   * ow] of the same storage: no copy. Its gradient is {@link #foldWindows}.
   */
  static Tensor windows(Tensor xp, Window g, int oh, int ow) {
    int[] s = xp.stridesArray();
    int[] shape = {xp.size(0), xp.size(1), g.kh(), g.kw(), oh, ow};
    int[] strides = {s[0], s[1], s[2] * g.dh(), s[3] * g.dw(), s[2] * g.sh(), s[3] * g.sw()};
    Tensor out = xp.asStrided(shape, strides, xp.storageOffset());
    int hp = xp.size(2);
    int wp = xp.size(3);
    return record("unfold", out, new Tensor[] {xp}, grad -> new Tensor[] {foldWindows(grad, hp, wp, g)});
  }

  /**
   * Returns zeros [N, C, hp, wp] with every window of {@code cols} [N, C, kh, kw, oh, ow] added in
   * place: col2im, the adjoint of {@link #windows}. Runs as {@code kh * kw} strided in-place adds;
   * its gradient is {@link #windows} of the incoming gradient.
   */
  static Tensor foldWindows(Tensor cols, int hp, int wp, Window g) {
    int[] cs = cols.shapeArray();
    int n = cs[0];
    int c = cs[1];
    int oh = cs[4];
    int ow = cs[5];
    Backend backend = cols.backend();
    Tensor out = Dispatch.empty(backend, cols.dtype(), new int[] {n, c, hp, wp});
    backend.fill(out.strided(), 0);
    Strided o = out.strided();
    Strided src = cols.strided();
    int[] os = o.strides();
    int[] ss = src.strides();
    int[] part = {n, c, oh, ow};
    int[] dstStrides = {os[0], os[1], os[2] * g.sh(), os[3] * g.sw()};
    int[] srcStrides = {ss[0], ss[1], ss[4], ss[5]};
    if (Arrays.stream(part).allMatch(v -> v > 0)) {
      for (int i = 0; i < g.kh(); i++) {
        for (int j = 0; j < g.kw(); j++) {
          Strided dst = new Strided(o.storage(), o.dtype(), part, dstStrides,
              o.offset() + (long) i * g.dh() * os[2] + (long) j * g.dw() * os[3]);
          Strided piece = new Strided(src.storage(), src.dtype(), part, srcStrides,
              src.offset() + (long) i * ss[2] + (long) j * ss[3]);
          backend.binary(BinaryOp.ADD, dst, piece, dst);
        }
      }
    }
    return record("fold", out, new Tensor[] {cols}, grad -> new Tensor[] {windows(grad, g, oh, ow)});
  }

  // ---------------------------------------------------------------- unfold / fold (F.unfold, F.fold)

  /**
   * Returns the sliding blocks of {@code x} [N, C, H, W] as columns [N, C * kh * kw, L], L the
   * number of windows ({@code torch.nn.functional.unfold}); an unbatched [C, H, W] gives [C * kh *
   * kw, L].
   *
   * @param kernel (kh, kw)
   * @param dilation (dh, dw)
   * @param padding zero padding (ph, pw) on both sides
   * @param stride (sh, sw)
   */
  public static Tensor unfold(Tensor x, int[] kernel, int[] dilation, int[] padding, int[] stride) {
    if (x.dim() == 3) {   // unbatched [C, H, W] -> [C * kh * kw, L], as PyTorch
      return unfold(x.unsqueeze(0), kernel, dilation, padding, stride).squeeze(0);
    }
    checkRank("unfold", x, 4, "[N, C, H, W] (or unbatched [C, H, W])");
    Window g = window("unfold", kernel, stride, dilation);
    int[] p = pair("unfold", "padding", padding, 0);
    Tensor xp = padSpatial(x, new int[] {p[0], p[0], p[1], p[1]});
    int oh = g.count(xp.size(2), true);
    int ow = g.count(xp.size(3), false);
    checkWindows("unfold", x, xp, g, oh, ow);
    return windows(xp, g, oh, ow).reshape(x.size(0), x.size(1) * g.kh() * g.kw(), oh * ow);
  }

  /**
   * Returns the columns {@code cols} [N, C * kh * kw, L] summed back into an image [N, C, H, W]
   * ({@code torch.nn.functional.fold}); overlapping values add up.
   *
   * @param outputSize (H, W)
   */
  public static Tensor fold(Tensor cols, int[] outputSize, int[] kernel, int[] dilation, int[] padding,
      int[] stride) {
    checkRank("fold", cols, 3, "[N, C * kh * kw, L]");
    Window g = window("fold", kernel, stride, dilation);
    int[] p = pair("fold", "padding", padding, 0);
    int[] size = pair("fold", "output_size", outputSize, 1);
    int hp = size[0] + 2 * p[0];
    int wp = size[1] + 2 * p[1];
    int oh = g.count(hp, true);
    int ow = g.count(wp, false);
    int k = g.kh() * g.kw();
    if (cols.size(1) % k != 0 || (long) oh * ow != cols.size(2)) {
      throw new IllegalArgumentException("fold: input " + cols.shape() + " doesn't match kernel "
          + Arrays.toString(kernel) + " and output size " + Arrays.toString(outputSize) + " (expected dim 1"
          + " divisible by " + k + " and " + oh + " * " + ow + " blocks)");
    }
    Tensor c6 = cols.reshape(cols.size(0), cols.size(1) / k, g.kh(), g.kw(), oh, ow);
    return foldWindows(c6, hp, wp, g).narrow(2, p[0], size[0]).narrow(3, p[1], size[1]);
  }

  // ---------------------------------------------------------------- convolutions

  /**
   * Returns the 2-d convolution (cross-correlation, as in PyTorch) of {@code x} [N, C, H, W] (or
   * unbatched [C, H, W]) with {@code weight} [O, C / groups, kh, kw], plus {@code bias} [O] or
   * null: [N, O, oh, ow] with {@code oh = (H + 2 ph - dh (kh - 1) - 1) / sh + 1}.
   *
   * @param stride (sh, sw), or one value for both
   * @param padding zero padding (ph, pw) on both sides, or one value for both
   * @param dilation (dh, dw), or one value for both
   * @param groups input and output channels split into this many independent groups
   */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
      int groups) {
    int[] p = pair("conv2d", "padding", padding, 0);
    return conv("conv2d", x, weight, bias, pair("conv2d", "stride", stride, 1), new int[] {p[0], p[0], p[1], p[1]},
        pair("conv2d", "dilation", dilation, 1), groups, 2);
  }

  /**
   * Returns {@link #conv2d(Tensor, Tensor, Tensor, int[], int[], int[], int)} with padding given
   * by name: {@code "valid"} (none) or {@code "same"} (output size = input size; stride must be 1;
   * an odd total goes on the bottom/right, as in PyTorch).
   */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, String padding,
      int[] dilation, int groups) {
    int[] s = pair("conv2d", "stride", stride, 1);
    int[] d = pair("conv2d", "dilation", dilation, 1);
    int[] k = weight.dim() == 4 ? new int[] {weight.size(2), weight.size(3)} : new int[] {1, 1};
    return conv("conv2d", x, weight, bias, s, namedPadding("conv2d", padding, s, d, k), d, groups, 2);
  }

  /** Returns {@code conv2d} with stride 1, no padding, dilation 1 and one group. */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
    return conv2d(x, weight, bias, new int[] {1}, new int[] {0}, new int[] {1}, 1);
  }

  /**
   * Returns the 1-d convolution of {@code x} [N, C, L] (or unbatched [C, L]) with {@code weight}
   * [O, C / groups, k], plus {@code bias} [O] or null: [N, O, ol] with {@code ol = (L + 2 padding -
   * dilation (k - 1) - 1) / stride + 1}.
   */
  public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation,
      int groups) {
    return conv("conv1d", x, weight, bias, new int[] {1, stride}, new int[] {0, 0, padding, padding},
        new int[] {1, dilation}, groups, 1);
  }

  /** Returns {@code conv1d} with padding by name, {@code "valid"} or {@code "same"} (stride 1 only). */
  public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, String padding, int dilation,
      int groups) {
    int k = weight.dim() == 3 ? weight.size(2) : 1;
    int[] p = namedPadding("conv1d", padding, new int[] {1, stride}, new int[] {1, dilation}, new int[] {1, k});
    return conv("conv1d", x, weight, bias, new int[] {1, stride}, p, new int[] {1, dilation}, groups, 1);
  }

  /**
   * Returns the 2-d transposed convolution ("deconvolution") of {@code x} [N, C, H, W] (or [C, H,
   * W]) with {@code weight} [C, O / groups, kh, kw], plus {@code bias} [O] or null: the gradient of
   * {@code conv2d} with respect to its input. The output is [N, O, oh, ow] with {@code oh = (H - 1)
   * sh - 2 ph + dh (kh - 1) + outputPadding + 1}.
   *
   * @param outputPadding extra rows/columns on the bottom/right, each smaller than the stride or the
   *     dilation
   */
  public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
      int[] outputPadding, int groups, int[] dilation) {
    String op = "conv_transpose2d";
    return convTranspose(op, x, weight, bias, pair(op, "stride", stride, 1), pair(op, "padding", padding, 0),
        pair(op, "output_padding", outputPadding, 0), groups, pair(op, "dilation", dilation, 1), 2);
  }

  /**
   * Returns the 1-d transposed convolution of {@code x} [N, C, L] (or [C, L]) with {@code weight}
   * [C, O / groups, k], plus {@code bias} [O] or null: [N, O, (L - 1) stride - 2 padding + dilation
   * (k - 1) + outputPadding + 1].
   */
  public static Tensor convTranspose1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding,
      int outputPadding, int groups, int dilation) {
    return convTranspose("conv_transpose1d", x, weight, bias, new int[] {1, stride}, new int[] {0, padding},
        new int[] {0, outputPadding}, groups, new int[] {1, dilation}, 1);
  }

  /**
   * The shared convolution: {@code spatial} is 1 or 2; 1-d inputs get a size-1 height. {@code pad}
   * is (top, bottom, left, right).
   */
  private static Tensor conv(String op, Tensor x, Tensor weight, Tensor bias, int[] stride, int[] pad,
      int[] dilation, int groups, int spatial) {
    x = Autocasting.lower(x);
    weight = Autocasting.lower(weight);
    bias = Autocasting.lower(bias);
    boolean unbatched = x.dim() == spatial + 1;
    Tensor x4 = lift(op, x, weight, bias, spatial, "O, C / groups");
    Tensor w4 = spatial == 1 ? weight.unsqueeze(2) : weight;
    int c = x4.size(1);
    int o = w4.size(0);
    int cg = w4.size(1);
    if (groups <= 0) {
      throw new IllegalArgumentException(op + ": non-positive groups is not supported, got " + groups);
    }
    if (cg * groups != c) {
      throw new IllegalArgumentException(op + ": given groups=" + groups + ", weight of size " + weight.shape()
          + ", expected input " + x.shape() + " to have " + cg * groups + " channels, but got " + c
          + " channels instead");
    }
    if (o % groups != 0) {
      throw new IllegalArgumentException(op + ": weight " + weight.shape() + " has " + o + " output channels,"
          + " not divisible by groups=" + groups);
    }
    checkBias(op, bias, o);
    for (int v : pad) {
      if (v < 0) {
        throw new IllegalArgumentException(op + ": negative padding is not supported, got "
            + Arrays.toString(pad));
      }
    }
    Window g = window(op, new int[] {w4.size(2), w4.size(3)}, stride, dilation);
    Tensor fused = FusedConvolution.conv2d(x4, w4, bias, g, pad, groups);   // null: compose it below
    if (fused != null) {
      Tensor r = spatial == 1 ? fused.squeeze(2) : fused;
      return unbatched ? r.squeeze(0) : r;
    }
    Tensor xp = padSpatial(x4, pad);
    int oh = g.count(xp.size(2), true);
    int ow = g.count(xp.size(3), false);
    checkWindows(op, x, xp, g, oh, ow);
    Tensor nchw = im2colConv(xp, weight, g, groups, oh, ow);
    Tensor out = bias == null ? nchw.contiguous() : nchw.add(bias.reshape(1, o, 1, 1));
    if (spatial == 1) {
      out = out.squeeze(2);
    }
    return unbatched ? out.squeeze(0) : out;
  }

  // ---------------------------------------------------------------- im2col in bounded chunks

  /** The property that bounds one chunk's im2col column buffer, in bytes. */
  static final String COLUMN_BYTES_PROPERTY = "ember.conv.columnBytes";

  /**
   * Returns how many of {@code n} samples one chunk of a convolution takes so that its column
   * buffer of {@code perSample} elements of {@code bytes} each per sample stays within {@code
   * -Dember.conv.columnBytes} (256 MiB): all of them when it fits, at least one (a single sample's
   * columns, like PyTorch's own im2col, may exceed the bound).
   */
  static int samplesPerChunk(int n, long perSample, int bytes) {
    long limit = Long.getLong(COLUMN_BYTES_PROPERTY, 256L << 20);
    long per = limit / Math.max(1, perSample * bytes);
    return (int) Math.max(1, Math.min(n, per));
  }

  /**
   * Returns the im2col columns of {@code xp} [N, C, Hp, Wp]: the window view [N, C, kh, kw, oh, ow]
   * laid out as [groups, C/g * kh * kw, N * oh * ow] by one strided copy.
   */
  private static Tensor columns(Tensor xp, Window g, int groups, int oh, int ow) {
    int k = xp.size(1) / groups * g.kh() * g.kw();
    return windows(xp, g, oh, ow).permute(1, 2, 3, 0, 4, 5).reshape(groups, k, xp.size(0) * oh * ow);
  }

  /** Returns {@code weight} [O, C/g, kh, kw] as [groups, O/g, C/g * kh * kw]. */
  private static Tensor groupedWeight(Tensor weight, int groups, int k) {
    return weight.reshape(groups, weight.size(0) / groups, k);
  }

  /** Returns the convolution of one batch (chunk) {@code xp} as a [N, O, oh, ow] view, no bias. */
  private static Tensor columnsTimesWeight(Tensor xp, Tensor weight, Window g, int groups, int oh, int ow) {
    Tensor cols = columns(xp, g, groups, oh, ow);
    Tensor y = groupedWeight(weight, groups, cols.size(1)).matmul(cols); // [groups, O/g, N * oh * ow]
    return y.reshape(weight.size(0), xp.size(0), oh, ow).permute(1, 0, 2, 3);
  }

  /**
   * Returns the convolution of the padded input {@code xp} [N, C, Hp, Wp] with {@code weight}
   * (without bias) as [N, O, oh, ow], by im2col and one matrix product per group. When the column
   * buffer of the whole batch would pass the bound of {@link #samplesPerChunk}, the batch runs in
   * chunks, forward and backward: the backward recomputes each chunk's columns from {@code xp}
   * instead of keeping them, so neither pass holds more than one chunk's columns.
   */
  private static Tensor im2colConv(Tensor xp, Tensor weight, Window g, int groups, int oh, int ow) {
    int n = xp.size(0);
    long perSample = (long) xp.size(1) * g.kh() * g.kw() * oh * ow;
    int per = samplesPerChunk(n, perSample, xp.dtype().byteSize());
    if (per >= n) {
      return columnsTimesWeight(xp, weight, g, groups, oh, ow);
    }
    List<Tensor> parts = new ArrayList<>();
    try (GradMode off = GradMode.noGrad()) {
      for (int b = 0; b < n; b += per) {
        parts.add(columnsTimesWeight(xp.narrow(0, b, Math.min(per, n - b)), weight, g, groups, oh, ow));
      }
    }
    Tensor out = Shaping.cat(parts, 0);
    return record("convolution", out, new Tensor[] {xp, weight}, new Tensor[] {xp, weight},
        grad -> chunkedConvBackward(grad, xp, weight, g, groups, oh, ow, per));
  }

  /**
   * Returns the gradients of {@link #im2colConv} for {@code xp} and {@code weight}, {@code per}
   * samples at a time: weight gradient {@code sum over chunks of gy @ cols^T}, input gradient the
   * col2im of {@code W^T @ gy} per chunk. Tensor ops throughout, so double backward works.
   */
  private static Tensor[] chunkedConvBackward(Tensor grad, Tensor xp, Tensor weight, Window g, int groups,
      int oh, int ow, int per) {
    int n = xp.size(0);
    int c = xp.size(1);
    int o = weight.size(0);
    int k = c / groups * g.kh() * g.kw();
    boolean needX = xp.requiresGrad();
    boolean needW = weight.requiresGrad();
    Tensor wt = groupedWeight(weight, groups, k).transpose(1, 2); // [groups, k, O/g]
    List<Tensor> gx = new ArrayList<>();
    Tensor gw = null;
    for (int b = 0; b < n; b += per) {
      int nb = Math.min(per, n - b);
      Tensor gy = grad.narrow(0, b, nb).permute(1, 0, 2, 3).reshape(groups, o / groups, nb * oh * ow);
      if (needW) {
        Tensor part = gy.matmul(columns(xp.narrow(0, b, nb), g, groups, oh, ow).transpose(1, 2));
        gw = gw == null ? part : gw.add(part);
      }
      if (needX) {
        Tensor gcols = wt.matmul(gy).reshape(c, g.kh(), g.kw(), nb, oh, ow).permute(3, 0, 1, 2, 4, 5);
        gx.add(foldWindows(gcols, xp.size(2), xp.size(3), g));
      }
    }
    return new Tensor[] {needX ? Shaping.cat(gx, 0) : null,
        needW ? gw.reshape(weight.shapeArray()) : null};
  }

  /**
   * Checks the ranks and dtypes of a (transposed) convolution's operands and returns the input as
   * [N, C, H, W]: an unbatched input gains N = 1, a 1-d one H = 1. {@code weightDims} names the
   * weight's leading dims for the message.
   */
  private static Tensor lift(String op, Tensor x, Tensor weight, Tensor bias, int spatial, String weightDims) {
    boolean unbatched = x.dim() == spatial + 1;
    if (x.dim() != spatial + 2 && !unbatched) {
      throw new IllegalArgumentException(op + ": expected " + (spatial + 1) + "-d (unbatched) or "
          + (spatial + 2) + "-d (batched) input " + (spatial == 2 ? "[N, C, H, W]" : "[N, C, L]") + ", got "
          + x.shape());
    }
    if (weight.dim() != spatial + 2) {
      throw new IllegalArgumentException(op + ": expected a " + (spatial + 2) + "-d weight [" + weightDims
          + (spatial == 2 ? ", kh, kw]" : ", k]") + ", got " + weight.shape());
    }
    checkFloating(op, x, weight, bias);
    Tensor xb = unbatched ? x.unsqueeze(0) : x;
    return spatial == 1 ? xb.unsqueeze(2) : xb;
  }

  private static Tensor convTranspose(String op, Tensor x, Tensor weight, Tensor bias, int[] stride,
      int[] padding, int[] outputPadding, int groups, int[] dilation, int spatial) {
    x = Autocasting.lower(x);
    weight = Autocasting.lower(weight);
    bias = Autocasting.lower(bias);
    boolean unbatched = x.dim() == spatial + 1;
    Tensor x4 = lift(op, x, weight, bias, spatial, "C, O / groups");
    Tensor w4 = spatial == 1 ? weight.unsqueeze(2) : weight;
    int n = x4.size(0);
    int c = x4.size(1);
    int h = x4.size(2);
    int w = x4.size(3);
    if (groups <= 0 || c % groups != 0) {
      throw new IllegalArgumentException(op + ": input channels " + c + " (input " + x.shape()
          + ") must be divisible by groups=" + groups);
    }
    if (w4.size(0) != c) {
      throw new IllegalArgumentException(op + ": weight " + weight.shape() + " expects " + w4.size(0)
          + " input channels, but input " + x.shape() + " has " + c);
    }
    int og = w4.size(1);
    int o = og * groups;
    checkBias(op, bias, o);
    Window g = window(op, new int[] {w4.size(2), w4.size(3)}, stride, dilation);
    for (int i = 0; i < 2; i++) {
      if (padding[i] < 0 || outputPadding[i] < 0) {
        throw new IllegalArgumentException(op + ": negative padding or output_padding: "
            + Arrays.toString(padding) + ", " + Arrays.toString(outputPadding));
      }
      if (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i]) {
        throw new IllegalArgumentException(op + ": output padding must be smaller than either stride or"
            + " dilation, but got output_padding " + Arrays.toString(outputPadding) + ", stride "
            + Arrays.toString(stride) + ", dilation " + Arrays.toString(dilation));
      }
    }
    int hp = (h - 1) * g.sh() + g.dh() * (g.kh() - 1) + 1 + outputPadding[0];
    int wp = (w - 1) * g.sw() + g.dw() * (g.kw() - 1) + 1 + outputPadding[1];
    int oh = hp - 2 * padding[0];
    int ow = wp - 2 * padding[1];
    if (oh <= 0 || ow <= 0) {
      throw new IllegalArgumentException(op + ": padding " + Arrays.toString(padding) + " leaves an empty"
          + " output for input " + x.shape() + " and weight " + weight.shape());
    }
    int k = og * g.kh() * g.kw();
    // The input gradient of a convolution: columns = W^T x (one product per group), then col2im;
    // in batch chunks whose columns stay within the bound (the products save only their inputs).
    Tensor wt = weight.reshape(groups, c / groups, k).transpose(1, 2);
    int per = samplesPerChunk(n, (long) o * g.kh() * g.kw() * h * w, x4.dtype().byteSize());
    List<Tensor> parts = new ArrayList<>();
    for (int b = 0; b < n; b += per) {
      int nb = Math.min(per, n - b);
      Tensor xm = x4.narrow(0, b, nb).permute(1, 0, 2, 3).reshape(groups, c / groups, nb * h * w);
      Tensor cols = wt.matmul(xm).reshape(o, g.kh(), g.kw(), nb, h, w).permute(3, 0, 1, 2, 4, 5);
      parts.add(foldWindows(cols, hp, wp, g));
    }
    Tensor full = parts.size() == 1 ? parts.get(0) : Shaping.cat(parts, 0);
    Tensor cropped = full.narrow(2, padding[0], oh).narrow(3, padding[1], ow);
    Tensor out = bias == null ? cropped.contiguous() : cropped.add(bias.reshape(1, o, 1, 1));
    if (spatial == 1) {
      out = out.squeeze(2);
    }
    return unbatched ? out.squeeze(0) : out;
  }

  // ---------------------------------------------------------------- helpers shared with Pooling

  /** Returns {@code x} [N, C, H, W] padded by (top, bottom, left, right) zeros, or itself. */
  static Tensor padSpatial(Tensor x, int[] pad) {
    return padSpatial(x, pad, 0);
  }

  /** Returns {@code x} [N, C, H, W] padded by (top, bottom, left, right) with {@code value}. */
  static Tensor padSpatial(Tensor x, int[] pad, double value) {
    if (pad[0] == 0 && pad[1] == 0 && pad[2] == 0 && pad[3] == 0) {
      return x;
    }
    return Shaping.pad(x, new int[] {pad[2], pad[3], pad[0], pad[1]}, value);
  }

  /** Returns a validated window geometry. */
  static Window window(String op, int[] kernel, int[] stride, int[] dilation) {
    int[] k = pair(op, "kernel_size", kernel, 1);
    int[] s = pair(op, "stride", stride, 1);
    int[] d = pair(op, "dilation", dilation, 1);
    return new Window(k[0], k[1], s[0], s[1], d[0], d[1]);
  }

  /** Expands one value to two, checks a pair and its lower bound. */
  static int[] pair(String op, String what, int[] v, int min) {
    if (v == null || v.length == 0 || v.length > 2) {
      throw new IllegalArgumentException(op + ": " + what + " must have 1 or 2 values, got "
          + Arrays.toString(v));
    }
    int[] out = v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
    if (out[0] < min || out[1] < min) {
      throw new IllegalArgumentException(op + ": " + what + " must be " + (min == 0 ? "non-negative" : "positive")
          + ", got " + Arrays.toString(v));
    }
    return out;
  }

  /** Checks that at least one window fits the padded input, naming both sizes. */
  static void checkWindows(String op, Tensor x, Tensor xp, Window g, int oh, int ow) {
    if (oh <= 0 || ow <= 0) {
      throw new IllegalArgumentException(op + ": calculated padded input size per channel: (" + xp.size(2)
          + " x " + xp.size(3) + "); kernel size (dilated): (" + ((long) g.dh() * (g.kh() - 1) + 1) + " x "
          + ((long) g.dw() * (g.kw() - 1) + 1) + "); the kernel can't be greater than the actual input size"
          + " (input "
          + x.shape() + ")");
    }
  }

  static void checkRank(String op, Tensor x, int rank, String layout) {
    if (x.dim() != rank) {
      throw new IllegalArgumentException(op + ": expected a " + rank + "-d input " + layout + ", got "
          + x.shape());
    }
  }

  private static void checkFloating(String op, Tensor x, Tensor weight, Tensor bias) {
    Dispatch.backendOf(op, bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias});
    if (!x.dtype().isFloatingPoint() || x.dtype() != weight.dtype()
        || (bias != null && bias.dtype() != x.dtype())) {
      throw new IllegalArgumentException(op + ": input (" + x.dtype() + "), weight (" + weight.dtype() + ")"
          + (bias == null ? "" : " and bias (" + bias.dtype() + ")") + " must share one floating dtype");
    }
  }

  private static void checkBias(String op, Tensor bias, int o) {
    if (bias != null && (bias.dim() != 1 || bias.size(0) != o)) {
      throw new IllegalArgumentException(op + ": expected bias [" + o + "], got " + bias.shape());
    }
  }

  /** Returns (top, bottom, left, right) for {@code "valid"} or {@code "same"}. */
  private static int[] namedPadding(String op, String padding, int[] stride, int[] dilation, int[] kernel) {
    switch (padding) {
      case "valid":
        return new int[4];
      case "same":
        if (stride[0] != 1 || stride[1] != 1) {
          throw new IllegalArgumentException(op + ": padding='same' is not supported for strided"
              + " convolutions (stride " + Arrays.toString(stride) + ")");
        }
        int th = dilation[0] * (kernel[0] - 1);
        int tw = dilation[1] * (kernel[1] - 1);
        return new int[] {th / 2, th - th / 2, tw / 2, tw - tw / 2};
      default:
        throw new IllegalArgumentException(op + ": padding must be 'valid', 'same' or numbers, got '"
            + padding + "'");
    }
  }
}
