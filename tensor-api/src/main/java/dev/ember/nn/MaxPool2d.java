package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Pooling;

/**
 * 2-d max pooling, PyTorch's {@code nn.MaxPool2d}: [N, C, H, W] (or [C, H, W]) to [N, C, oh, ow],
 * {@code oh = (H + 2 ph - dh (kh - 1) - 1) / sh + 1} (rounded up in ceil mode). No parameters.
 */
public final class MaxPool2d extends Module {
  private final Pooling.Pool2d options;

  /** Pools square windows of {@code kernelSize} with stride = kernel, no padding. */
  public MaxPool2d(int kernelSize) {
    this(Pooling.Pool2d.of(kernelSize));
  }

  /** Pools square windows with the given stride and padding. */
  public MaxPool2d(int kernelSize, int stride, int padding) {
    this(Pooling.Pool2d.of(kernelSize).withStride(stride).withPadding(padding));
  }

  /** Pools with every option (kernel, stride, padding, dilation, ceil mode). */
  public MaxPool2d(Pooling.Pool2d options) {
    this.options = options;
  }

  /** Returns the window maxima. */
  @Override
  public Tensor forward(Tensor input) {
    return Pooling.maxPool2d(input, options);
  }

  @Override
  protected String extraRepr() {
    return "kernel_size=" + Layers.tuple(options.kernel()) + ", stride="
        + Layers.tuple(options.stride() == null ? options.kernel() : options.stride()) + ", padding="
        + Layers.tuple(options.padding());
  }

  /** Returns the window (kh, kw) as given. */
  public int[] kernelSize() {
    return options.kernel().clone();
  }

  /** Returns the stride as given (the kernel when unset). */
  public int[] stride() {
    return options.stride() == null ? options.kernel().clone() : options.stride().clone();
  }

  /** Returns the padding as given. */
  public int[] padding() {
    return options.padding().clone();
  }

  /** Returns the dilation as given. */
  public int[] dilation() {
    return options.dilation().clone();
  }

  /** Returns whether output sizes round up. */
  public boolean ceilMode() {
    return options.ceilMode();
  }
}
