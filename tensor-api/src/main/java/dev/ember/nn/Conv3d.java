package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Convolution3d;

/**
 * A 3-d convolution layer, PyTorch's {@code nn.Conv3d}: input [N, inChannels, D, H, W] (or unbatched
 * [inChannels, D, H, W]), output [N, outChannels, od, oh, ow] with {@code od = (D + 2 pd - dd (kd -
 * 1) - 1) / sd + 1}, likewise oh and ow. Parameters {@code weight} [outChannels, inChannels / groups,
 * kd, kh, kw] and {@code bias} [outChannels], initialized as in PyTorch ({@code U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in))}, fan_in = inChannels / groups * kd * kh * kw). Computed as {@code kd} 2-d
 * convolutions ({@link Convolution3d}).
 */
public class Conv3d extends Module {
  private final int inChannels;
  private final int outChannels;
  private final int[] kernel;
  private final int[] stride;
  private final int[] padding;
  private final int[] dilation;
  private final int groups;

  /** Creates a cubic-kernel layer with stride 1, no padding, and a bias. */
  public Conv3d(int inChannels, int outChannels, int kernelSize) {
    this(inChannels, outChannels, kernelSize, 1, 0);
  }

  /** Creates a cubic-kernel layer with a bias, dilation 1 and one group. */
  public Conv3d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
    this(inChannels, outChannels, triple(kernelSize), triple(stride), triple(padding), triple(1), 1, true, null);
  }

  /**
   * Creates a layer with every option.
   *
   * @param kernel (kd, kh, kw)
   * @param stride (sd, sh, sw)
   * @param padding zero padding (pd, ph, pw) on both sides
   * @param dilation (dd, dh, dw)
   * @param groups channel groups; both channel counts must divide by it
   * @param bias whether to add a learned bias
   * @param generator the initializer's generator, or null for the global one
   */
  public Conv3d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] dilation,
      int groups, boolean bias, Generator generator) {
    if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0) {
      throw new IllegalArgumentException("Conv3d: in_channels " + inChannels + " and out_channels " + outChannels
          + " must both be divisible by groups " + groups);
    }
    if (kernel.length != 3) {
      throw new IllegalArgumentException("Conv3d: kernel must be (kd, kh, kw), got " + java.util.Arrays.toString(kernel));
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = kernel.clone();
    this.stride = stride.clone();
    this.padding = padding.clone();
    this.dilation = dilation.clone();
    this.groups = groups;
    registerParameter("weight", Layers.kaimingA5(generator, outChannels, inChannels / groups, kernel[0], kernel[1],
        kernel[2]));
    int fanIn = inChannels / groups * kernel[0] * kernel[1] * kernel[2];
    registerParameter("bias", bias ? Layers.fanInBias(generator, fanIn, outChannels) : null);
  }

  private static int[] triple(int v) {
    return new int[] {v, v, v};
  }

  /** Returns the weight [outChannels, inChannels / groups, kd, kh, kw]. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the bias [outChannels], or null. */
  public Tensor bias() {
    return param("bias");
  }

  /** Convolves [N, C, D, H, W] (or [C, D, H, W]) into [N, outChannels, od, oh, ow]. */
  @Override
  public Tensor forward(Tensor input) {
    return Convolution3d.conv3d(input, weight(), bias(), stride, padding, dilation, groups);
  }

  /** Returns the input channel count. */
  public int inChannels() {
    return inChannels;
  }

  /** Returns the output channel count. */
  public int outChannels() {
    return outChannels;
  }

  /** Returns the kernel (kd, kh, kw). */
  public int[] kernelSize() {
    return kernel.clone();
  }

  /** Returns the stride as given. */
  public int[] stride() {
    return stride.clone();
  }

  /** Returns the padding as given. */
  public int[] padding() {
    return padding.clone();
  }

  /** Returns the dilation as given. */
  public int[] dilation() {
    return dilation.clone();
  }

  /** Returns the number of channel groups. */
  public int groups() {
    return groups;
  }

  @Override
  protected String extraRepr() {
    return inChannels + ", " + outChannels + ", kernel_size=" + Layers.tuple(kernel) + ", stride="
        + Layers.tuple(stride) + (java.util.Arrays.stream(padding).anyMatch(v -> v != 0) ? ", padding="
        + Layers.tuple(padding) : "") + (groups != 1 ? ", groups=" + groups : "")
        + (bias() == null ? ", bias=False" : "");
  }
}
