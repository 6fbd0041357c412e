package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Pooling;

/**
 * 2-d average pooling, PyTorch's {@code nn.AvgPool2d}: [N, C, H, W] (or [C, H, W]) to [N, C, oh,
 * ow]. Padding counts in the divisor unless {@code countIncludePad} is false. No parameters.
 */
public final class AvgPool2d extends Module {
  private final Pooling.Pool2d options;
  private final boolean countIncludePad;
  private final Integer divisorOverride;

  /** Averages square windows of {@code kernelSize} with stride = kernel, no padding. */
  public AvgPool2d(int kernelSize) {
    this(Pooling.Pool2d.of(kernelSize), true, null);
  }

  /** Averages square windows with the given stride and padding (padding counted). */
  public AvgPool2d(int kernelSize, int stride, int padding) {
    this(Pooling.Pool2d.of(kernelSize).withStride(stride).withPadding(padding), true, null);
  }

  /**
   * Averages with every option.
   *
   * @param options kernel, stride, padding and ceil mode (dilation must be 1)
   * @param countIncludePad whether padding zeros count in the divisor (PyTorch's default true)
   * @param divisorOverride if non-null, the divisor of every window
   */
  public AvgPool2d(Pooling.Pool2d options, boolean countIncludePad, Integer divisorOverride) {
    this.options = options;
    this.countIncludePad = countIncludePad;
    this.divisorOverride = divisorOverride;
  }

  /** Returns the window means. */
  @Override
  public Tensor forward(Tensor input) {
    return Pooling.avgPool2d(input, options, countIncludePad, divisorOverride);
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

  /** Returns whether output sizes round up. */
  public boolean ceilMode() {
    return options.ceilMode();
  }

  /** Returns whether padding counts in the divisor. */
  public boolean countIncludePad() {
    return countIncludePad;
  }
}
