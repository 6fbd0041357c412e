package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Convolution;

/**
 * A 2-d transposed convolution layer, PyTorch's {@code nn.ConvTranspose2d}: input [N, inChannels,
 * H, W], output [N, outChannels, oh, ow] with {@code oh = (H - 1) sh - 2 ph + dh (kh - 1) +
 * outputPadding + 1}. Parameters {@code weight} [inChannels, outChannels / groups, kh, kw] (note
 * the order, as in PyTorch) and {@code bias} [outChannels], initialized as PyTorch does (its fan_in
 * is computed from the weight's shape: {@code outChannels / groups * kh * kw}).
 */
public class ConvTranspose2d extends ConvNd {
  private final int[] outputPadding;

  /** Creates a square-kernel layer with a bias, no output padding, dilation 1 and one group. */
  public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
    this(inChannels, outChannels, Layers.pair(kernelSize), Layers.pair(stride), Layers.pair(padding),
        Layers.pair(0), 1, true, Layers.pair(1), null);
  }

  /**
   * Creates a layer with every option (PyTorch's argument order).
   *
   * @param outputPadding extra rows/columns on the bottom/right, each below the stride or dilation
   * @param generator the initializer's generator, or null for the global one
   */
  public ConvTranspose2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding,
      int[] outputPadding, int groups, boolean bias, int[] dilation, Generator generator) {
    super("ConvTranspose2d", 2, inChannels, outChannels, kernel, stride, padding, dilation, groups, true, bias,
        generator);
    this.outputPadding = outputPadding.clone();
  }

  /** Maps [N, inChannels, H, W] (or unbatched) to [N, outChannels, oh, ow]. */
  @Override
  public Tensor forward(Tensor input) {
    return Convolution.convTranspose2d(input, weight(), bias(), stride(), padding(), outputPadding, groups(),
        dilation());
  }

  /** Channels, kernel, stride and padding when set (groups and bias are not shown, as before). */
  @Override
  protected String extraRepr() {
    return reprHead();
  }

  /** Returns the output padding. */
  public int[] outputPadding() {
    return outputPadding.clone();
  }
}
