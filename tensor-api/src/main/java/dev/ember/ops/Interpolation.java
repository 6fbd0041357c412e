package dev.ember.ops;

import dev.ember.Tensor;
import java.util.Arrays;

/**
 * {@code torch.nn.functional.interpolate} in modes {@code "nearest"} and {@code "nearest-exact"} (1-3
 * spatial dims), {@code "linear"} (input [N, C, L]), {@code "bilinear"} (input [N, C, H, W]) and
 * {@code "trilinear"} (input [N, C, D, H, W]), with PyTorch's source
 * index rules ({@code align_corners}, and {@code 1 / scale_factor} as the scale when a scale factor
 * is given). Each spatial dim is resampled separately by gathering source rows with {@code
 * index_select} and blending the two neighbours with per-row weights, so the gradient (a weighted
 * scatter-add onto the sources) comes from those ops.
 */
public final class Interpolation {
  private Interpolation() {}

  /**
   * Returns {@code x} [N, C, *spatial] resized to {@code size} or by {@code scaleFactor}.
   *
   * @param size the output spatial size (one value for all dims, or one per dim), or null
   * @param scaleFactor the multiplier of each spatial size (one value or one per dim), or null;
   *     exactly one of size and scaleFactor is given
   * @param alignCorners for the linear modes: map corner pixels' centres onto each other (null:
   *     false); must be null for {@code "nearest"}
   */
  public static Tensor interpolate(Tensor x, int[] size, double[] scaleFactor, String mode, Boolean alignCorners) {
    String op = "interpolate";
    int spatial = x.dim() - 2;
    int allowed = switch (mode) {
      case "nearest", "nearest-exact" -> -1;
      case "linear" -> 1;
      case "bilinear" -> 2;
      case "trilinear" -> 3;
      default -> throw new IllegalArgumentException(op + ": mode must be 'nearest', 'nearest-exact', 'linear',"
          + " 'bilinear' or 'trilinear', got '" + mode + "'");
    };
    if (allowed < 0 ? spatial < 1 || spatial > 3 : spatial != allowed) {
      throw new IllegalArgumentException(op + ": mode '" + mode + "' expects a " + (allowed < 0 ? "3-d to 5-d"
          : (allowed + 2) + "-d") + " input [N, C, ...], got shape " + x.shape());
    }
    boolean linear = allowed > 0;
    if (!linear && alignCorners != null) {
      throw new IllegalArgumentException(op + ": align_corners can only be set with the interpolating modes"
          + " 'linear', 'bilinear' and 'trilinear', not '" + mode + "'");
    }
    if (linear && !x.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": mode '" + mode + "' needs a floating input, got " + x.dtype());
    }
    if ((size == null) == (scaleFactor == null)) {
      throw new IllegalArgumentException(op + ": exactly one of size and scale_factor must be given (input shape "
          + x.shape() + ")");
    }
    checkPerDim(op, "size", size == null ? 1 : size.length, spatial, x);
    checkPerDim(op, "scale_factor", scaleFactor == null ? 1 : scaleFactor.length, spatial, x);
    boolean corners = alignCorners != null && alignCorners;
    Tensor out = x;
    for (int i = 0; i < spatial; i++) {
      int dim = 2 + i;
      int in = x.size(dim);
      int outSize;
      Double scale = null;
      if (size != null) {
        outSize = size.length == 1 ? size[0] : size[i];
      } else {
        scale = scaleFactor.length == 1 ? scaleFactor[0] : scaleFactor[i];
        if (!(scale > 0)) {
          throw new IllegalArgumentException(op + ": scale_factor must be positive, got "
              + Arrays.toString(scaleFactor));
        }
        outSize = (int) Math.floor(in * scale);
      }
      if (outSize <= 0 || in == 0) {
        throw new IllegalArgumentException(op + ": input and output sizes should be greater than 0, but got"
            + " input " + x.shape() + " and output size " + outSize + " for dim " + dim);
      }
      out = linear ? linearAlong(out, dim, in, outSize, scale, corners)
          : nearestAlong(out, dim, in, outSize, scale, mode.equals("nearest-exact"));
    }
    return out;
  }

  private static void checkPerDim(String op, String what, int given, int spatial, Tensor x) {
    if (given != 1 && given != spatial) {
      throw new IllegalArgumentException(op + ": " + what + " must have 1 or " + spatial + " values for input of"
          + " shape " + x.shape() + ", got " + given);
    }
  }

  /**
   * Nearest neighbour: source {@code min(floor(dst * scale), in - 1)} in float, as PyTorch's CPU
   * kernel; {@code exact} ("nearest-exact") samples pixel centres, {@code floor((dst + 0.5) * scale)}.
   */
  private static Tensor nearestAlong(Tensor x, int dim, int in, int outSize, Double scaleFactor, boolean exact) {
    long[] index = new long[outSize];
    float scale = scaleFactor != null ? (float) (1.0 / scaleFactor) : (float) in / outSize;
    for (int j = 0; j < outSize; j++) {
      if (exact) {
        index[j] = Math.min((long) Math.floor((j + 0.5f) * scale), in - 1);
      } else if (outSize == in) {
        index[j] = j;
      } else if (outSize == 2 * in) {
        index[j] = j >> 1;
      } else {
        index[j] = Math.min((long) Math.floor(j * scale), in - 1);
      }
    }
    return x.indexSelect(dim, indexOn(x, index));
  }

  /** Linear blend of the two neighbours of each source position along {@code dim}. */
  private static Tensor linearAlong(Tensor x, int dim, int in, int outSize, Double scaleFactor, boolean corners) {
    double scale;
    if (corners) {
      scale = outSize > 1 ? (double) (in - 1) / (outSize - 1) : 0;
    } else {
      scale = scaleFactor != null ? 1.0 / scaleFactor : (double) in / outSize;
    }
    long[] lo = new long[outSize];
    long[] hi = new long[outSize];
    double[] wLo = new double[outSize];
    double[] wHi = new double[outSize];
    for (int j = 0; j < outSize; j++) {
      double src = corners ? scale * j : Math.max(scale * (j + 0.5) - 0.5, 0);
      long i0 = Math.min((long) Math.floor(src), in - 1);
      double lambda = Math.min(Math.max(src - i0, 0), 1);
      lo[j] = i0;
      hi[j] = i0 + (i0 < in - 1 ? 1 : 0);
      wLo[j] = 1 - lambda;
      wHi[j] = lambda;
    }
    Tensor a = x.indexSelect(dim, indexOn(x, lo)).mul(weightsOn(x, wLo, dim));
    Tensor b = x.indexSelect(dim, indexOn(x, hi)).mul(weightsOn(x, wHi, dim));
    return a.add(b);
  }

  private static Tensor indexOn(Tensor like, long[] index) {
    return Tensor.of(index).to(like.device());
  }

  /** The weights as a tensor of {@code like}'s dtype and device, laid along {@code dim} for broadcasting. */
  private static Tensor weightsOn(Tensor like, double[] w, int dim) {
    int[] shape = new int[like.dim()];
    Arrays.fill(shape, 1);
    shape[dim] = w.length;
    return Tensor.of(w, shape).to(like.dtype()).to(like.device());
  }
}
