package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Pooling;

/**
 * Adaptive 2-d average pooling, PyTorch's {@code nn.AdaptiveAvgPool2d}: [N, C, H, W] (or [C, H,
 * W]) to [N, C, oh, ow] whatever H and W are. No parameters.
 */
public final class AdaptiveAvgPool2d extends Module {
  private final int[] outputSize;

  /** Pools to a square {@code outputSize x outputSize}. */
  public AdaptiveAvgPool2d(int outputSize) {
    this(outputSize, outputSize);
  }

  /** Pools to {@code oh x ow}. */
  public AdaptiveAvgPool2d(int oh, int ow) {
    this.outputSize = new int[] {oh, ow};
  }

  /** Returns the pooled input [N, C, oh, ow]. */
  @Override
  public Tensor forward(Tensor input) {
    return Pooling.adaptiveAvgPool2d(input, outputSize);
  }

  @Override
  protected String extraRepr() {
    return "output_size=" + Layers.tuple(outputSize);
  }

  /** Returns the output size as given. */
  public int[] outputSize() {
    return outputSize.clone();
  }
}
