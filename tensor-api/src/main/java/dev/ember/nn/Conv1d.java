package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Convolution;

/**
 * A 1-d convolution layer, PyTorch's {@code nn.Conv1d}: input [N, inChannels, L] (or [inChannels,
 * L]), output [N, outChannels, ol] with {@code ol = (L + 2 padding - dilation (k - 1) - 1) / stride
 * + 1}. Parameters {@code weight} [outChannels, inChannels / groups, k] and {@code bias}
 * [outChannels], initialized as in PyTorch.
 */
public class Conv1d extends Module {
  private final int inChannels;
  private final int outChannels;
  private final int kernel;
  private final int stride;
  private final int padding;
  private final int dilation;
  private final int groups;

  /** Creates a layer with stride 1, no padding, and a bias. */
  public Conv1d(int inChannels, int outChannels, int kernelSize) {
    this(inChannels, outChannels, kernelSize, 1, 0, 1, 1, true, null);
  }

  /**
   * Creates a layer with every option.
   *
   * @param groups channel groups; both channel counts must divide by it
   * @param bias whether to add a learned bias
   * @param generator the initializer's generator, or null for the global one
   */
  public Conv1d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation,
      int groups, boolean bias, Generator generator) {
    if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0) {
      throw new IllegalArgumentException("Conv1d: in_channels " + inChannels + " and out_channels " + outChannels
          + " must both be divisible by groups " + groups);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = kernelSize;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    registerParameter("weight", Layers.kaimingA5(generator, outChannels, inChannels / groups, kernelSize));
    registerParameter("bias", bias ? Layers.fanInBias(generator, inChannels / groups * kernelSize, outChannels)
        : null);
  }

  /** Returns the weight [outChannels, inChannels / groups, k]. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the bias [outChannels], or null. */
  public Tensor bias() {
    return param("bias");
  }

  /** Convolves [N, C, L] (or [C, L]) into [N, outChannels, ol]. */
  @Override
  public Tensor forward(Tensor input) {
    return Convolution.conv1d(input, weight(), bias(), stride, padding, dilation, groups);
  }

  @Override
  protected String extraRepr() {
    return inChannels + ", " + outChannels + ", kernel_size=(" + kernel + ",), stride=(" + stride + ",)"
        + (padding != 0 ? ", padding=(" + padding + ",)" : "") + (bias() == null ? ", bias=False" : "");
  }

  /** Returns the input channel count. */
  public int inChannels() {
    return inChannels;
  }

  /** Returns the output channel count. */
  public int outChannels() {
    return outChannels;
  }

  /** Returns the kernel width. */
  public int kernelSize() {
    return kernel;
  }

  /** Returns the stride. */
  public int stride() {
    return stride;
  }

  /** Returns the zero padding on each side. */
  public int padding() {
    return padding;
  }

  /** Returns the dilation. */
  public int dilation() {
    return dilation;
  }

  /** Returns the number of channel groups. */
  public int groups() {
    return groups;
  }
}
