package dev.ember.nn.functional;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import dev.ember.ops.Attention;
import dev.ember.ops.Convolution;
import dev.ember.ops.Embedding;
import dev.ember.ops.Interpolation;
import dev.ember.ops.Linalg;
import dev.ember.ops.Losses;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.NnLosses;
import dev.ember.ops.Normalization;
import dev.ember.ops.Padding;
import dev.ember.ops.Pooling;
import dev.ember.ops.Pooling.Pool2d;
import dev.ember.ops.Shaping;

/**
 * The functional neural-network API, {@code torch.nn.functional} in Java: {@code import static
 * dev.ember.nn.functional.F.*;} then {@code conv2d(x, w, b)}, {@code relu(x)}, {@code
 * crossEntropy(logits, target)}. Every method delegates to an op family in {@code dev.ember.ops},
 * where its forward and backward are defined; overloads supply PyTorch's defaults.
 *
 * <pre>{@code
 * Tensor h = F.relu(F.conv2d(x, w1, b1, new int[] {1}, new int[] {1}, new int[] {1}, 1)); // [N, 16, 28, 28]
 * Tensor p = F.maxPool2d(h, 2);                                                       // [N, 16, 14, 14]
 * Tensor loss = F.crossEntropy(F.linear(p.flatten(1, -1), w2, b2), labels);
 * }</pre>
 */
public final class F {
  private F() {}

  // ---------------------------------------------------------------- activations

  /** Returns {@code max(x, 0)}; the gradient at 0 is 0. */
  public static Tensor relu(Tensor x) {
    return Activations.relu(x);
  }

  /** Returns {@code x} where positive, {@code negativeSlope * x} elsewhere (PyTorch default 0.01). */
  public static Tensor leakyRelu(Tensor x, double negativeSlope) {
    return Activations.leakyRelu(x, negativeSlope);
  }

  /** Returns {@code leakyRelu(x, 0.01)}. */
  public static Tensor leakyRelu(Tensor x) {
    return Activations.leakyRelu(x, 0.01);
  }

  /** Returns the exact GELU {@code x * Phi(x)}. */
  public static Tensor gelu(Tensor x) {
    return Activations.gelu(x, "none");
  }

  /** Returns the GELU, exact ({@code "none"}) or with the tanh approximation ({@code "tanh"}). */
  public static Tensor gelu(Tensor x, String approximate) {
    return Activations.gelu(x, approximate);
  }

  /** Returns {@code x * sigmoid(x)}. */
  public static Tensor silu(Tensor x) {
    return Activations.silu(x);
  }

  /** Returns {@code log(1 + e^x)} (beta 1, threshold 20). */
  public static Tensor softplus(Tensor x) {
    return Activations.softplus(x, 1, 20);
  }

  /** Returns {@code log(1 + e^(beta x)) / beta}, linear where {@code beta x > threshold}. */
  public static Tensor softplus(Tensor x, double beta, double threshold) {
    return Activations.softplus(x, beta, threshold);
  }

  /** Returns the ELU with {@code alpha} 1. */
  public static Tensor elu(Tensor x) {
    return Activations.elu(x, 1);
  }

  /** Returns {@code x} where positive, {@code alpha (e^x - 1)} elsewhere. */
  public static Tensor elu(Tensor x, double alpha) {
    return Activations.elu(x, alpha);
  }

  /** Returns the logistic sigmoid. */
  public static Tensor sigmoid(Tensor x) {
    return x.sigmoid();
  }

  /** Returns the hyperbolic tangent. */
  public static Tensor tanh(Tensor x) {
    return x.tanh();
  }

  /** Returns the softmax along {@code dim}. */
  public static Tensor softmax(Tensor x, int dim) {
    return Activations.softmax(x, dim);
  }

  /** Returns the log-softmax along {@code dim}. */
  public static Tensor logSoftmax(Tensor x, int dim) {
    return Activations.logSoftmax(x, dim);
  }

  /** Returns dropout with probability {@code p} when {@code training}, from the global generator. */
  public static Tensor dropout(Tensor x, double p, boolean training) {
    return Activations.dropout(x, p, training, Generator.global());
  }

  /**
   * Returns channel dropout of x [N, C, H, W] or [C, H, W] (whole channels zeroed with probability
   * {@code p}) when {@code training}, from the global generator; PyTorch's {@code F.dropout2d}.
   */
  public static Tensor dropout2d(Tensor x, double p, boolean training) {
    return Activations.dropout2d(x, p, training, Generator.global());
  }

  // ---------------------------------------------------------------- linear, padding

  /** Returns {@code x @ weight^T + bias}: x [..., in], weight [out, in], bias [out] or null. */
  public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    return Linalg.linear(x, weight, bias);
  }

  /** Returns {@code x} padded by (before, after) pairs from the last dim, with {@code value}. */
  public static Tensor pad(Tensor x, int[] pad, double value) {
    return Shaping.pad(x, pad, value);
  }

  /** Returns {@code x} zero-padded by (before, after) pairs from the last dim. */
  public static Tensor pad(Tensor x, int... pad) {
    return Shaping.pad(x, pad, 0);
  }

  // ---------------------------------------------------------------- convolution

  /** Returns the 2-d convolution of x [N, C, H, W] with weight [O, C, kh, kw] (stride 1, no padding). */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
    return Convolution.conv2d(x, weight, bias);
  }

  /** Returns the 2-d convolution with the same stride and padding in both dims. */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
    return Convolution.conv2d(x, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {1}, 1);
  }

  /**
   * Returns the 2-d convolution of x [N, C, H, W] with weight [O, C / groups, kh, kw], bias [O] or
   * null: [N, O, oh, ow]. Each of stride, padding, dilation holds one value or (h, w).
   */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
      int[] dilation, int groups) {
    return Convolution.conv2d(x, weight, bias, stride, padding, dilation, groups);
  }

  /** Returns the 2-d convolution with padding {@code "valid"} or {@code "same"}. */
  public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, String padding,
      int[] dilation, int groups) {
    return Convolution.conv2d(x, weight, bias, stride, padding, dilation, groups);
  }

  /**
   * Returns the 3-d convolution of x [N, C, D, H, W] with weight [O, C / groups, kd, kh, kw], bias
   * [O] or null: [N, O, od, oh, ow]. Each of stride, padding, dilation holds one value or (d, h, w).
   */
  public static Tensor conv3d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
      int[] dilation, int groups) {
    return dev.ember.ops.Convolution3d.conv3d(x, weight, bias, stride, padding, dilation, groups);
  }

  /** Returns the 3-d convolution with stride 1, no padding, dilation 1 and one group. */
  public static Tensor conv3d(Tensor x, Tensor weight, Tensor bias) {
    return conv3d(x, weight, bias, new int[] {1}, new int[] {0}, new int[] {1}, 1);
  }

  /** Returns the 1-d convolution of x [N, C, L] with weight [O, C, k] (stride 1, no padding). */
  public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias) {
    return Convolution.conv1d(x, weight, bias, 1, 0, 1, 1);
  }

  /** Returns the 1-d convolution of x [N, C, L] with weight [O, C / groups, k], bias [O] or null. */
  public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation,
      int groups) {
    return Convolution.conv1d(x, weight, bias, stride, padding, dilation, groups);
  }

  /** Returns the 1-d convolution with padding {@code "valid"} or {@code "same"}. */
  public static Tensor conv1d(Tensor x, Tensor weight, Tensor bias, int stride, String padding, int dilation,
      int groups) {
    return Convolution.conv1d(x, weight, bias, stride, padding, dilation, groups);
  }

  /**
   * Returns the 2-d transposed convolution of x [N, C, H, W] with weight [C, O / groups, kh, kw],
   * bias [O] or null.
   */
  public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding,
      int[] outputPadding, int groups, int[] dilation) {
    return Convolution.convTranspose2d(x, weight, bias, stride, padding, outputPadding, groups, dilation);
  }

  /** Returns the 2-d transposed convolution with stride 1 and no padding. */
  public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias) {
    return Convolution.convTranspose2d(x, weight, bias, new int[] {1}, new int[] {0}, new int[] {0}, 1,
        new int[] {1});
  }

  /** Returns the 1-d transposed convolution of x [N, C, L] with weight [C, O / groups, k]. */
  public static Tensor convTranspose1d(Tensor x, Tensor weight, Tensor bias, int stride, int padding,
      int outputPadding, int groups, int dilation) {
    return Convolution.convTranspose1d(x, weight, bias, stride, padding, outputPadding, groups, dilation);
  }

  /**
   * Returns the sliding blocks of x [N, C, H, W] as columns [N, C * kh * kw, L] (im2col); an
   * unbatched [C, H, W] gives [C * kh * kw, L].
   */
  public static Tensor unfold(Tensor x, int[] kernel, int[] dilation, int[] padding, int[] stride) {
    return Convolution.unfold(x, kernel, dilation, padding, stride);
  }

  /** Returns columns [N, C * kh * kw, L] summed back into [N, C, H, W] (col2im). */
  public static Tensor fold(Tensor cols, int[] outputSize, int[] kernel, int[] dilation, int[] padding,
      int[] stride) {
    return Convolution.fold(cols, outputSize, kernel, dilation, padding, stride);
  }

  // ---------------------------------------------------------------- pooling

  /** Returns 2-d max pooling of x [N, C, H, W] with a square kernel and stride = kernel. */
  public static Tensor maxPool2d(Tensor x, int kernel) {
    return Pooling.maxPool2d(x, kernel);
  }

  /** Returns 2-d max pooling with square kernel, stride and padding. */
  public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
    return Pooling.maxPool2d(x, Pool2d.of(kernel).withStride(stride).withPadding(padding));
  }

  /** Returns 2-d max pooling with all of PyTorch's options. */
  public static Tensor maxPool2d(Tensor x, Pool2d options) {
    return Pooling.maxPool2d(x, options);
  }

  /** Returns 1-d max pooling of x [N, C, L]. */
  public static Tensor maxPool1d(Tensor x, int kernel, int stride, int padding, int dilation, boolean ceilMode) {
    return Pooling.maxPool1d(x, kernel, stride, padding, dilation, ceilMode);
  }

  /** Returns 2-d average pooling with a square kernel and stride = kernel. */
  public static Tensor avgPool2d(Tensor x, int kernel) {
    return Pooling.avgPool2d(x, kernel);
  }

  /** Returns 2-d average pooling with square kernel, stride and padding (padding counted). */
  public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
    return Pooling.avgPool2d(x, Pool2d.of(kernel).withStride(stride).withPadding(padding), true, null);
  }

  /** Returns 2-d average pooling with all of PyTorch's options. */
  public static Tensor avgPool2d(Tensor x, Pool2d options, boolean countIncludePad, Integer divisorOverride) {
    return Pooling.avgPool2d(x, options, countIncludePad, divisorOverride);
  }

  /** Returns 1-d average pooling of x [N, C, L]. */
  public static Tensor avgPool1d(Tensor x, int kernel, int stride, int padding, boolean ceilMode,
      boolean countIncludePad) {
    return Pooling.avgPool1d(x, kernel, stride, padding, ceilMode, countIncludePad);
  }

  /** Returns adaptive average pooling of x [N, C, H, W] to [N, C, oh, ow]. */
  public static Tensor adaptiveAvgPool2d(Tensor x, int... outputSize) {
    return Pooling.adaptiveAvgPool2d(x, outputSize);
  }

  // ---------------------------------------------------------------- normalization

  /** Returns layer normalization over the trailing {@code normalizedShape} dims. */
  public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
    return Normalization.layerNorm(x, normalizedShape, weight, bias, eps);
  }

  /** Returns layer normalization with eps 1e-5. */
  public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias) {
    return Normalization.layerNorm(x, normalizedShape, weight, bias, 1e-5);
  }

  /** Returns batch normalization of x [N, C, *]; in training it updates the running stats in place. */
  public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training, double momentum, double eps) {
    return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
  }

  /** Returns batch normalization with momentum 0.1 and eps 1e-5. */
  public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
      boolean training) {
    return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, 0.1, 1e-5);
  }

  /** Returns group normalization of x [N, C, *] with {@code numGroups} groups. */
  public static Tensor groupNorm(Tensor x, int numGroups, Tensor weight, Tensor bias, double eps) {
    return Normalization.groupNorm(x, numGroups, weight, bias, eps);
  }

  /** Returns RMS normalization over the trailing dims; eps null for the dtype's epsilon. */
  public static Tensor rmsNorm(Tensor x, int[] normalizedShape, Tensor weight, Double eps) {
    return Normalization.rmsNorm(x, normalizedShape, weight, eps);
  }

  // ---------------------------------------------------------------- embedding, attention

  /** Returns the rows of weight [V, D] at int64 {@code indices}: [*indices.shape, D]. */
  public static Tensor embedding(Tensor indices, Tensor weight) {
    return Embedding.embedding(indices, weight, null);
  }

  /** Returns embedding rows; row {@code paddingIdx} (if non-null) gets no gradient. */
  public static Tensor embedding(Tensor indices, Tensor weight, Long paddingIdx) {
    return Embedding.embedding(indices, weight, paddingIdx);
  }

  /** Returns the int64 one-hot encoding [*indices.shape, numClasses] (-1: max + 1 classes). */
  public static Tensor oneHot(Tensor indices, int numClasses) {
    return Embedding.oneHot(indices, numClasses);
  }

  /** Returns {@code softmax(q k^T / sqrt(E) + mask) v}, see {@link Attention}. */
  public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, double dropoutP,
      boolean isCausal, Double scale) {
    return Attention.scaledDotProductAttention(q, k, v, attnMask, dropoutP, isCausal, scale);
  }

  /** Returns attention without mask, dropout or explicit scale; causal if {@code isCausal}. */
  public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean isCausal) {
    return Attention.scaledDotProductAttention(q, k, v, isCausal);
  }

  // ---------------------------------------------------------------- losses

  /** Returns the mean cross-entropy of logits [N, C, ...] against int64 class targets [N, ...]. */
  public static Tensor crossEntropy(Tensor input, Tensor target) {
    return Losses.crossEntropy(input, target, Losses.Options.defaults());
  }

  /** Returns the cross-entropy with weight, ignore index, reduction and label smoothing. */
  public static Tensor crossEntropy(Tensor input, Tensor target, Losses.Options options) {
    return Losses.crossEntropy(input, target, options);
  }

  /** Returns the mean negative log-likelihood of log-probabilities at int64 targets. */
  public static Tensor nllLoss(Tensor input, Tensor target) {
    return Losses.nllLoss(input, target, Losses.Options.defaults());
  }

  /** Returns the negative log-likelihood with PyTorch's options. */
  public static Tensor nllLoss(Tensor input, Tensor target, Losses.Options options) {
    return Losses.nllLoss(input, target, options);
  }

  /** Returns the mean squared error. */
  public static Tensor mseLoss(Tensor input, Tensor target) {
    return NnLosses.mseLoss(input, target, Reduction.MEAN);
  }

  /** Returns the squared error with a reduction. */
  public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
    return NnLosses.mseLoss(input, target, reduction);
  }

  /** Returns the mean absolute error. */
  public static Tensor l1Loss(Tensor input, Tensor target) {
    return NnLosses.l1Loss(input, target, Reduction.MEAN);
  }

  /** Returns the absolute error with a reduction. */
  public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
    return NnLosses.l1Loss(input, target, reduction);
  }

  /** Returns the mean smooth L1 loss with beta 1. */
  public static Tensor smoothL1Loss(Tensor input, Tensor target) {
    return NnLosses.smoothL1Loss(input, target, Reduction.MEAN, 1);
  }

  /** Returns the smooth L1 loss with a reduction and {@code beta}. */
  public static Tensor smoothL1Loss(Tensor input, Tensor target, Reduction reduction, double beta) {
    return NnLosses.smoothL1Loss(input, target, reduction, beta);
  }

  /** Returns the Huber loss with a reduction and {@code delta}. */
  public static Tensor huberLoss(Tensor input, Tensor target, Reduction reduction, double delta) {
    return NnLosses.huberLoss(input, target, reduction, delta);
  }

  /** Returns the mean binary cross-entropy of probabilities. */
  public static Tensor binaryCrossEntropy(Tensor input, Tensor target) {
    return NnLosses.binaryCrossEntropy(input, target, null, Reduction.MEAN);
  }

  /** Returns the binary cross-entropy of probabilities with weight (or null) and a reduction. */
  public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, Reduction reduction) {
    return NnLosses.binaryCrossEntropy(input, target, weight, reduction);
  }

  /** Returns the mean binary cross-entropy of logits. */
  public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target) {
    return NnLosses.binaryCrossEntropyWithLogits(input, target, null, null, Reduction.MEAN);
  }

  /** Returns the binary cross-entropy of logits with weight, pos_weight (each or null), reduction. */
  public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight,
      Reduction reduction) {
    return NnLosses.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction);
  }

  // ---------------------------------------------------------------- more activations, similarity, padding
  // modes and resizing (ops.Activations, ops.NnLosses, ops.Padding, ops.Interpolation)

  /** Returns {@code x} clamped to [-1, 1]; the gradient passes strictly inside. */
  public static Tensor hardtanh(Tensor x) {
    return Activations.hardtanh(x, -1, 1);
  }

  /** Returns {@code x} clamped to {@code [minVal, maxVal]}; the gradient passes strictly inside. */
  public static Tensor hardtanh(Tensor x, double minVal, double maxVal) {
    return Activations.hardtanh(x, minVal, maxVal);
  }

  /** Returns {@code min(max(x, 0), 6)}. */
  public static Tensor relu6(Tensor x) {
    return Activations.relu6(x);
  }

  /** Returns {@code x tanh(softplus(x))}. */
  public static Tensor mish(Tensor x) {
    return Activations.mish(x);
  }

  /** Returns the cosine similarity along dim 1 with eps 1e-8; shapes broadcast, dim 1 is removed. */
  public static Tensor cosineSimilarity(Tensor x1, Tensor x2) {
    return NnLosses.cosineSimilarity(x1, x2, 1, 1e-8);
  }

  /** Returns the cosine similarity along {@code dim}, norms clamped to at least {@code eps}. */
  public static Tensor cosineSimilarity(Tensor x1, Tensor x2, int dim, double eps) {
    return NnLosses.cosineSimilarity(x1, x2, dim, eps);
  }

  /** Returns the KL divergence of log-probabilities {@code input} from probabilities {@code target}, mean. */
  public static Tensor klDiv(Tensor input, Tensor target) {
    return NnLosses.klDiv(input, target, "mean", false);
  }

  /**
   * Returns the KL divergence with a reduction ({@code "none"}, {@code "mean"}, {@code "sum"},
   * {@code "batchmean"}); with {@code logTarget} the target holds log-probabilities.
   */
  public static Tensor klDiv(Tensor input, Tensor target, String reduction, boolean logTarget) {
    return NnLosses.klDiv(input, target, reduction, logTarget);
  }

  /**
   * Returns {@code x} padded by (before, after) pairs from the last dim in {@code mode}: {@code
   * "constant"} (with {@code value}), {@code "reflect"}, {@code "replicate"} or {@code "circular"}.
   */
  public static Tensor pad(Tensor x, int[] pad, String mode, double value) {
    return Padding.pad(x, pad, mode, value);
  }

  /** Returns {@code x} [N, C, ...] resized to {@code size} (one value or one per spatial dim). */
  public static Tensor interpolate(Tensor x, int[] size, String mode, Boolean alignCorners) {
    return Interpolation.interpolate(x, size, null, mode, alignCorners);
  }

  /** Returns {@code x} [N, C, ...] resized by {@code scaleFactor} (output size floor(in * factor)). */
  public static Tensor interpolate(Tensor x, double scaleFactor, String mode, Boolean alignCorners) {
    return Interpolation.interpolate(x, null, new double[] {scaleFactor}, mode, alignCorners);
  }

  /** Returns {@code x} resized to {@code size} or by {@code scaleFactor} (exactly one non-null). */
  public static Tensor interpolate(Tensor x, int[] size, double[] scaleFactor, String mode, Boolean alignCorners) {
    return Interpolation.interpolate(x, size, scaleFactor, mode, alignCorners);
  }

  /** Returns {@code dropout(x, p, training=true)}, PyTorch's default. */
  public static Tensor dropout(Tensor x, double p) {
    return Activations.dropout(x, p, true, Generator.global());
  }

  /** Returns {@code x / max(||x||_2, 1e-12)} along dim 1. */
  public static Tensor normalize(Tensor x) {
    return NnLosses.normalize(x, 2, 1, 1e-12);
  }

  /** Returns {@code x / max(||x||_p, eps)} along {@code dim}. */
  public static Tensor normalize(Tensor x, double p, int dim, double eps) {
    return NnLosses.normalize(x, p, dim, eps);
  }
}
