package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Convolution;

/**
 * A 2-d convolution layer, PyTorch's {@code nn.Conv2d}: input [N, inChannels, H, W] (or unbatched
 * [inChannels, H, W]), output [N, outChannels, oh, ow] with {@code oh = (H + 2 ph - dh (kh - 1) -
 * 1) / sh + 1}. Parameters {@code weight} [outChannels, inChannels / groups, kh, kw] and {@code
 * bias} [outChannels], initialized as in PyTorch ({@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}, fan_in
 * = inChannels / groups * kh * kw).
 */
public class Conv2d extends ConvNd {
  private final String paddingName;

  /** Creates a square-kernel layer with stride 1, no padding, and a bias. */
  public Conv2d(int inChannels, int outChannels, int kernelSize) {
    this(inChannels, outChannels, kernelSize, 1, 0);
  }

  /** Creates a square-kernel layer with a bias, dilation 1 and one group. */
  public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
    this(inChannels, outChannels, Layers.pair(kernelSize), Layers.pair(stride), Layers.pair(padding),
        Layers.pair(1), 1, true, null);
  }

  /**
   * Creates a layer with every option.
   *
   * @param kernel (kh, kw)
   * @param stride (sh, sw)
   * @param padding zero padding (ph, pw) on both sides
   * @param dilation (dh, dw)
   * @param groups channel groups; both channel counts must divide by it
   * @param bias whether to add a learned bias
   * @param generator the initializer's generator, or null for the global one
   */
  public Conv2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, int[] dilation,
      int groups, boolean bias, Generator generator) {
    this(inChannels, outChannels, kernel, stride, padding, null, dilation, groups, bias, generator);
  }

  /**
   * Creates a square-kernel layer with padding by name, stride 1 and a bias: {@code "valid"} (none)
   * or {@code "same"} (output size = input size; for an even {@code dilation * (k - 1)} the extra
   * row and column go at the bottom and right, as in PyTorch).
   */
  public Conv2d(int inChannels, int outChannels, int kernelSize, String padding) {
    this(inChannels, outChannels, Layers.pair(kernelSize), Layers.pair(1), padding, Layers.pair(1), 1, true, null);
  }

  /**
   * Creates a layer with padding by name, {@code "valid"} or {@code "same"} (stride must then be 1,
   * as in PyTorch); other options as in the all-numbers constructor.
   */
  public Conv2d(int inChannels, int outChannels, int[] kernel, int[] stride, String padding, int[] dilation,
      int groups, boolean bias, Generator generator) {
    this(inChannels, outChannels, kernel, stride, null, checkedPaddingName(padding, stride), dilation, groups, bias,
        generator);
  }

  private static String checkedPaddingName(String padding, int[] stride) {
    if (!"valid".equals(padding) && !"same".equals(padding)) {
      throw new IllegalArgumentException("Conv2d: padding must be 'valid', 'same' or numbers, got '" + padding
          + "'");
    }
    if (padding.equals("same") && java.util.Arrays.stream(stride).anyMatch(s -> s != 1)) {
      throw new IllegalArgumentException("Conv2d: padding='same' is not supported for strided convolutions"
          + " (stride " + java.util.Arrays.toString(stride) + ")");
    }
    return padding;
  }

  private Conv2d(int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding, String paddingName,
      int[] dilation, int groups, boolean bias, Generator generator) {
    super("Conv2d", 2, inChannels, outChannels, kernel, stride, padding == null ? new int[] {0, 0} : padding,
        dilation, groups, false, bias, generator);
    this.paddingName = paddingName;
  }

  /** Convolves [N, C, H, W] (or [C, H, W]) into [N, outChannels, oh, ow]. */
  @Override
  public Tensor forward(Tensor input) {
    if (paddingName != null) {
      return Convolution.conv2d(input, weight(), bias(), stride(), paddingName, dilation(), groups());
    }
    return Convolution.conv2d(input, weight(), bias(), stride(), padding(), dilation(), groups());
  }

  @Override
  String paddingRepr() {
    return paddingName != null ? ", padding=" + paddingName : super.paddingRepr();
  }

  /** Returns {@code "valid"} or {@code "same"} if padding was given by name, else null. */
  public String paddingName() {
    return paddingName;
  }
}
