package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Normalization;

/**
 * Group normalization, PyTorch's {@code nn.GroupNorm}: the C channels of [N, C, *] are split into
 * {@code numGroups} groups, each (sample, group) standardized over its channels and positions, then
 * a per-channel {@code weight} (ones) and {@code bias} (zeros) [C] apply.
 */
public class GroupNorm extends Module {
  private final int numGroups;
  private final int numChannels;
  private final double eps;

  /** Creates a layer with eps 1e-5 and affine parameters. */
  public GroupNorm(int numGroups, int numChannels) {
    this(numGroups, numChannels, 1e-5, true);
  }

  /**
   * Creates a layer.
   *
   * @param numGroups must divide {@code numChannels}
   * @param eps added to the variance
   * @param affine whether to learn per-channel {@code weight} and {@code bias}
   */
  public GroupNorm(int numGroups, int numChannels, double eps, boolean affine) {
    if (numGroups <= 0 || numChannels % numGroups != 0) {
      throw new IllegalArgumentException("GroupNorm: num_channels " + numChannels
          + " must be divisible by num_groups " + numGroups);
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    registerParameter("weight", affine ? Tensor.ones(numChannels) : null);
    registerParameter("bias", affine ? Tensor.zeros(numChannels) : null);
  }

  /** Returns the scale [C], or null. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the shift [C], or null. */
  public Tensor bias() {
    return param("bias");
  }

  /** Normalizes [N, C, *]; same shape out. */
  @Override
  public Tensor forward(Tensor input) {
    return Normalization.groupNorm(input, numGroups, weight(), bias(), eps);
  }

  @Override
  protected String extraRepr() {
    return numGroups + ", " + numChannels + ", eps=" + eps + ", affine=" + (weight() != null ? "True" : "False");
  }

  /** Returns the number of groups. */
  public int numGroups() {
    return numGroups;
  }

  /** Returns the channel count. */
  public int numChannels() {
    return numChannels;
  }

  /** Returns the value added to the variance. */
  public double eps() {
    return eps;
  }
}
