package dev.ember.ops;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import java.util.Arrays;

/**
 * Normalization layers' functional forms: {@code layer_norm}, {@code batch_norm}, {@code
 * group_norm} and {@code rms_norm}, with PyTorch's semantics (biased variance for normalizing).
 *
 * <p>All are compositions of differentiable ops (mean, subtract, square, rsqrt, multiply), so
 * they carry no gradient code: the backward, and the backward of the backward, come from those ops
 * on every backend.
 */
public final class Normalization {
  private Normalization() {}

  /**
   * Returns {@code (x - mean) / sqrt(var + eps) * weight + bias}, the statistics taken over the
   * last {@code normalizedShape.length} dims of {@code x} [..., *normalizedShape].
   *
   * @param weight elementwise scale of shape {@code normalizedShape}, or null
   * @param bias elementwise shift of shape {@code normalizedShape}, or null
   * @param eps added to the variance (PyTorch's default 1e-5)
   */
  public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
    String op = "layer_norm";
    int k = normalizedShape.length;
    int[] shape = x.shapeArray();
    if (k == 0 || k > shape.length
        || !Arrays.equals(Arrays.copyOfRange(shape, shape.length - k, shape.length), normalizedShape)) {
      throw new IllegalArgumentException(op + ": input " + x.shape() + " doesn't end with normalized_shape "
          + Arrays.toString(normalizedShape));
    }
    checkAffine(op, weight, normalizedShape, "weight");
    checkAffine(op, bias, normalizedShape, "bias");
    checkFloating(op, x);
    if (k == 1) {
      Tensor fused = FusedOps.layerNorm(x, weight, bias, eps);
      if (fused != null) {
        return fused;
      }
    }
    int[] dims = new int[k];
    for (int i = 0; i < k; i++) {
      dims[i] = shape.length - k + i;
    }
    Tensor y = standardize(x, dims, eps);
    return affine(y, weight, bias);
  }

  /**
   * Returns {@code x * rsqrt(mean(x^2) + eps) * weight} over the last {@code normalizedShape.length}
   * dims ({@code torch.nn.functional.rms_norm}).
   *
   * @param weight of shape {@code normalizedShape}, or null
   * @param eps null for the machine epsilon of {@code x}'s dtype, as in PyTorch
   */
  public static Tensor rmsNorm(Tensor x, int[] normalizedShape, Tensor weight, Double eps) {
    String op = "rms_norm";
    int k = normalizedShape.length;
    int[] shape = x.shapeArray();
    if (k == 0 || k > shape.length
        || !Arrays.equals(Arrays.copyOfRange(shape, shape.length - k, shape.length), normalizedShape)) {
      throw new IllegalArgumentException(op + ": input " + x.shape() + " doesn't end with normalized_shape "
          + Arrays.toString(normalizedShape));
    }
    checkAffine(op, weight, normalizedShape, "weight");
    checkFloating(op, x);
    int[] dims = new int[k];
    for (int i = 0; i < k; i++) {
      dims[i] = shape.length - k + i;
    }
    double e = eps != null ? eps : x.dtype() == DType.FLOAT64 ? Math.ulp(1.0) : Math.ulp(1.0f);
    Tensor y = x.mul(x.square().mean(dims, true).add(e).rsqrt());
    return weight == null ? y : y.mul(weight);
  }

  /**
   * Returns batch normalization of {@code x} [N, C, *] per channel C.
   *
   * <p>Training: normalizes with the batch's mean and biased variance over every dim but 1, and,
   * if the running statistics are given, updates them in place (outside autograd) as {@code
   * running = (1 - momentum) running + momentum stat} with the unbiased variance. Evaluation:
   * normalizes with the running statistics, which are then required.
   *
   * @param runningMean [C], or null
   * @param runningVar [C], or null
   * @param weight per-channel scale [C], or null
   * @param bias per-channel shift [C], or null
   * @param momentum PyTorch's default is 0.1
   * @param eps PyTorch's default is 1e-5
   */
  public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training, double momentum, double eps) {
    String op = "batch_norm";
    if (x.dim() < 2) {
      throw new IllegalArgumentException(op + ": expected an input [N, C, *] of at least 2 dims, got "
          + x.shape());
    }
    checkFloating(op, x);
    int c = x.size(1);
    int[] perChannel = {c};
    checkAffine(op, weight, perChannel, "weight");
    checkAffine(op, bias, perChannel, "bias");
    checkAffine(op, runningMean, perChannel, "running_mean");
    checkAffine(op, runningVar, perChannel, "running_var");
    int[] dims = new int[x.dim() - 1];
    int[] bshape = new int[x.dim()];
    Arrays.fill(bshape, 1);
    bshape[1] = c;
    for (int i = 0, j = 0; i < x.dim(); i++) {
      if (i != 1) {
        dims[j++] = i;
      }
    }
    long count = x.numel() / Math.max(c, 1);
    Tensor y;
    if (training) {
      if (count <= 1) {
        throw new IllegalArgumentException(op + ": expected more than 1 value per channel when training,"
            + " got input size " + x.shape());
      }
      Tensor mean = x.mean(dims, true);
      Tensor centered = x.sub(mean);
      Tensor var = centered.square().mean(dims, true);
      y = centered.mul(var.add(eps).rsqrt());
      try (GradMode off = GradMode.noGrad()) {
        if (runningMean != null) {
          Tensor m = mean.detach().reshape(c).to(runningMean.dtype());
          runningMean.mulInPlace(1 - momentum).addInPlace(m.mul(momentum));
        }
        if (runningVar != null) {
          Tensor v = var.detach().reshape(c).mul((double) count / (count - 1)).to(runningVar.dtype());
          runningVar.mulInPlace(1 - momentum).addInPlace(v.mul(momentum));
        }
      }
    } else {
      if (runningMean == null || runningVar == null) {
        throw new IllegalArgumentException(op + ": running_mean and running_var are required when not"
            + " training");
      }
      Tensor mean = runningMean.to(x.dtype()).reshape(bshape);
      Tensor var = runningVar.to(x.dtype()).reshape(bshape);
      y = x.sub(mean).mul(var.add(eps).rsqrt());
    }
    return affine(y, weight == null ? null : weight.reshape(bshape), bias == null ? null : bias.reshape(bshape));
  }

  /**
   * Returns group normalization of {@code x} [N, C, *]: the C channels split into {@code numGroups}
   * groups, each (sample, group) standardized over its channels and positions, then the per-channel
   * affine.
   *
   * @param weight per-channel scale [C], or null
   * @param bias per-channel shift [C], or null
   */
  public static Tensor groupNorm(Tensor x, int numGroups, Tensor weight, Tensor bias, double eps) {
    String op = "group_norm";
    if (x.dim() < 2) {
      throw new IllegalArgumentException(op + ": expected an input [N, C, *] of at least 2 dims, got "
          + x.shape());
    }
    checkFloating(op, x);
    int c = x.size(1);
    if (numGroups <= 0 || c % numGroups != 0) {
      throw new IllegalArgumentException(op + ": expected the number of channels " + c + " (input "
          + x.shape() + ") to be divisible by num_groups=" + numGroups);
    }
    checkAffine(op, weight, new int[] {c}, "weight");
    checkAffine(op, bias, new int[] {c}, "bias");
    int[] shape = x.shapeArray();
    Tensor grouped = x.reshape(x.size(0), numGroups, -1);
    Tensor y = standardize(grouped, new int[] {2}, eps).reshape(shape);
    int[] bshape = new int[x.dim()];
    Arrays.fill(bshape, 1);
    bshape[1] = c;
    return affine(y, weight == null ? null : weight.reshape(bshape), bias == null ? null : bias.reshape(bshape));
  }

  /** Returns {@code (x - mean) * rsqrt(biased var + eps)} over {@code dims}. */
  private static Tensor standardize(Tensor x, int[] dims, double eps) {
    Tensor centered = x.sub(x.mean(dims, true));
    Tensor var = centered.square().mean(dims, true);
    return centered.mul(var.add(eps).rsqrt());
  }

  private static Tensor affine(Tensor y, Tensor weight, Tensor bias) {
    Tensor out = weight == null ? y : y.mul(weight);
    return bias == null ? out : out.add(bias);
  }

  private static void checkAffine(String op, Tensor t, int[] shape, String what) {
    if (t != null && !Arrays.equals(t.shapeArray(), shape)) {
      throw new IllegalArgumentException(op + ": expected " + what + " of shape " + Arrays.toString(shape)
          + ", got " + t.shape());
    }
  }

  private static void checkFloating(String op, Tensor x) {
    if (!x.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": expected a floating input, got " + x.dtype());
    }
  }
}
