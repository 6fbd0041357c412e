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
public class Conv3d extends ConvNd {
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
    super("Conv3d", 3, inChannels, outChannels, kernel, stride, padding, dilation, groups, false, bias, generator);
  }

  private static int[] triple(int v) {
    return new int[] {v, v, v};
  }

  /** Convolves [N, C, D, H, W] (or [C, D, H, W]) into [N, outChannels, od, oh, ow]. */
  @Override
  public Tensor forward(Tensor input) {
    return Convolution3d.conv3d(input, weight(), bias(), stride(), padding(), dilation(), groups());
  }
}
