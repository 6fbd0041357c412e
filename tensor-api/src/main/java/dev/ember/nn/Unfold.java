package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Convolution;

/**
 * Extracts sliding blocks as columns (im2col), PyTorch's {@code nn.Unfold}: [N, C, H, W] to [N, C *
 * kh * kw, L], L the number of block positions, {@code L = prod over h, w of ((size + 2 p - d (k -
 * 1) - 1) / s + 1)}. Column {@code c * kh * kw + i * kw + j} holds channel c at kernel offset (i,
 * j). Differentiable: the gradient folds the columns back (col2im, adding overlaps). No parameters.
 */
public final class Unfold extends Module {
  private final int[] kernel;
  private final int[] dilation;
  private final int[] padding;
  private final int[] stride;

  /** Extracts square blocks of {@code kernelSize} with dilation 1, no padding, stride 1. */
  public Unfold(int kernelSize) {
    this(new int[] {kernelSize}, new int[] {1}, new int[] {0}, new int[] {1});
  }

  /**
   * Extracts blocks with every option, each one value (both dims) or (h, w), in PyTorch's argument
   * order.
   */
  public Unfold(int[] kernelSize, int[] dilation, int[] padding, int[] stride) {
    this.kernel = kernelSize.clone();
    this.dilation = dilation.clone();
    this.padding = padding.clone();
    this.stride = stride.clone();
  }

  /**
   * Returns the columns [N, C * kh * kw, L] of {@code input} [N, C, H, W], or [C * kh * kw, L] of an
   * unbatched [C, H, W].
   */
  @Override
  public Tensor forward(Tensor input) {
    return Convolution.unfold(input, kernel, dilation, padding, stride);
  }

  /** Returns the kernel size as given. */
  public int[] kernelSize() {
    return kernel.clone();
  }

  /** Returns the dilation as given. */
  public int[] dilation() {
    return dilation.clone();
  }

  /** Returns the padding as given. */
  public int[] padding() {
    return padding.clone();
  }

  /** Returns the stride as given. */
  public int[] stride() {
    return stride.clone();
  }

  @Override
  protected String extraRepr() {
    return "kernel_size=" + one(kernel) + ", dilation=" + one(dilation) + ", padding=" + one(padding) + ", stride="
        + one(stride);
  }

  private static String one(int[] v) {
    return v.length == 1 ? Integer.toString(v[0]) : Layers.tuple(v);
  }
}
