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
public class ConvTranspose2d extends Module {
  private final int inChannels;
  private final int outChannels;
  private final int[] kernel;
  private final int[] stride;
  private final int[] padding;
  private final int[] outputPadding;
  private final int[] dilation;
  private final int groups;

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
    if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0) {
      throw new IllegalArgumentException("ConvTranspose2d: in_channels " + inChannels + " and out_channels "
          + outChannels + " must both be divisible by groups " + groups);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = kernel.clone();
    this.stride = stride.clone();
    this.padding = padding.clone();
    this.outputPadding = outputPadding.clone();
    this.dilation = dilation.clone();
    this.groups = groups;
    registerParameter("weight", Layers.kaimingA5(generator, inChannels, outChannels / groups, kernel[0],
        kernel[1]));
    int fanIn = outChannels / groups * kernel[0] * kernel[1];
    registerParameter("bias", bias ? Layers.fanInBias(generator, fanIn, outChannels) : null);
  }

  /** Returns the weight [inChannels, outChannels / groups, kh, kw]. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the bias [outChannels], or null. */
  public Tensor bias() {
    return param("bias");
  }

  /** Maps [N, inChannels, H, W] (or unbatched) to [N, outChannels, oh, ow]. */
  @Override
  public Tensor forward(Tensor input) {
    return Convolution.convTranspose2d(input, weight(), bias(), stride, padding, outputPadding, groups, dilation);
  }

  @Override
  protected String extraRepr() {
    return inChannels + ", " + outChannels + ", kernel_size=" + Layers.tuple(kernel) + ", stride="
        + Layers.tuple(stride) + (padding[0] != 0 || padding[1] != 0 ? ", padding=" + Layers.tuple(padding) : "");
  }

  /** Returns the input channel count. */
  public int inChannels() {
    return inChannels;
  }

  /** Returns the output channel count. */
  public int outChannels() {
    return outChannels;
  }

  /** Returns the kernel (kh, kw). */
  public int[] kernelSize() {
    return kernel.clone();
  }

  /** Returns the stride (sh, sw). */
  public int[] stride() {
    return stride.clone();
  }

  /** Returns the padding (ph, pw). */
  public int[] padding() {
    return padding.clone();
  }

  /** Returns the output padding. */
  public int[] outputPadding() {
    return outputPadding.clone();
  }

  /** Returns the dilation (dh, dw). */
  public int[] dilation() {
    return dilation.clone();
  }

  /** Returns the number of channel groups. */
  public int groups() {
    return groups;
  }
}
