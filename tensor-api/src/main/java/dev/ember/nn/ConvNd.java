package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import java.util.Arrays;

/**
 * What the convolution layers {@link Conv2d}, {@link Conv3d} and {@link ConvTranspose2d} share, as
 * PyTorch's {@code _ConvNd}: the hyper-parameters (channels, kernel, stride, padding, dilation,
 * groups) and their getters, the checks on them (with the subclass's name in the message), the
 * {@code weight} and {@code bias} parameters initialized as PyTorch does, and the repr's common
 * part. A plain layer's weight is [outChannels, inChannels / groups, k...], a transposed layer's
 * [inChannels, outChannels / groups, k...]; the bias is [outChannels].
 */
abstract class ConvNd extends Module {
  private static final String[] KERNEL_NAMES = {"()", "(k,)", "(kh, kw)", "(kd, kh, kw)"};

  private final int inChannels;
  private final int outChannels;
  private final int[] kernel;
  private final int[] stride;
  private final int[] padding;
  private final int[] dilation;
  private final int groups;

  /**
   * Checks the options and registers {@code weight} and {@code bias}.
   *
   * @param name the layer's name for messages ({@code "Conv2d"})
   * @param rank the number of spatial dims (the kernel's length)
   * @param transposed whether the weight is laid out [inChannels, outChannels / groups, k...]
   * @param generator the initializer's generator, or null for the global one
   */
  ConvNd(String name, int rank, int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding,
      int[] dilation, int groups, boolean transposed, boolean bias, Generator generator) {
    if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0) {
      throw new IllegalArgumentException(name + ": in_channels " + inChannels + " and out_channels " + outChannels
          + " must both be divisible by groups " + groups);
    }
    if (kernel.length != rank) {
      throw new IllegalArgumentException(name + ": kernel must be " + KERNEL_NAMES[rank] + ", got "
          + Arrays.toString(kernel));
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = kernel.clone();
    this.stride = stride.clone();
    this.padding = padding.clone();
    this.dilation = dilation.clone();
    this.groups = groups;
    int rows = transposed ? inChannels : outChannels;
    int perGroup = (transposed ? outChannels : inChannels) / groups;
    int[] weightShape = new int[2 + rank];
    weightShape[0] = rows;
    weightShape[1] = perGroup;
    System.arraycopy(kernel, 0, weightShape, 2, rank);
    registerParameter("weight", Layers.kaimingA5(generator, weightShape));
    int fanIn = perGroup * Arrays.stream(kernel).reduce(1, (a, b) -> a * b);
    registerParameter("bias", bias ? Layers.fanInBias(generator, fanIn, outChannels) : null);
  }

  /**
   * Returns the weight: [outChannels, inChannels / groups, k...]; a transposed layer's is
   * [inChannels, outChannels / groups, k...].
   */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the bias [outChannels], or null. */
  public Tensor bias() {
    return param("bias");
  }

  /** Returns the input channel count. */
  public int inChannels() {
    return inChannels;
  }

  /** Returns the output channel count. */
  public int outChannels() {
    return outChannels;
  }

  /** Returns the kernel size per spatial dim ((kh, kw) for 2-d, (kd, kh, kw) for 3-d). */
  public int[] kernelSize() {
    return kernel.clone();
  }

  /** Returns the stride per spatial dim. */
  public int[] stride() {
    return stride.clone();
  }

  /** Returns the zero padding per spatial dim, on both sides ((0, 0) when a Conv2d's padding was given by name). */
  public int[] padding() {
    return padding.clone();
  }

  /** Returns the dilation per spatial dim. */
  public int[] dilation() {
    return dilation.clone();
  }

  /** Returns the number of channel groups. */
  public int groups() {
    return groups;
  }

  /** Returns the repr's padding part: {@code ", padding=(1, 1)"} when any padding is set, else empty. */
  String paddingRepr() {
    return Arrays.stream(padding).anyMatch(v -> v != 0) ? ", padding=" + Layers.tuple(padding) : "";
  }

  /** Returns the repr's head: {@code "3, 8, kernel_size=(3, 3), stride=(1, 1)"} and the padding part. */
  final String reprHead() {
    return inChannels + ", " + outChannels + ", kernel_size=" + Layers.tuple(kernel) + ", stride="
        + Layers.tuple(stride) + paddingRepr();
  }

  /** PyTorch's repr: channels, kernel, stride, padding when set, groups when not 1, {@code bias=False}. */
  @Override
  protected String extraRepr() {
    return reprHead() + (groups != 1 ? ", groups=" + groups : "") + (bias() == null ? ", bias=False" : "");
  }
}
