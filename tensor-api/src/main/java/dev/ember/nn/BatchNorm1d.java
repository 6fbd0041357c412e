package dev.ember.nn;

import dev.ember.Tensor;

/**
 * Batch normalization over [N, C] or [N, C, L] inputs, PyTorch's {@code nn.BatchNorm1d}: each channel C
 * is standardized with the batch's statistics (training) or the running ones (eval), then scaled
 * and shifted. State dict keys: {@code weight}, {@code bias}, {@code running_mean}, {@code
 * running_var}, {@code num_batches_tracked}.
 */
public class BatchNorm1d extends BatchNorm {
  /**
   * Creates a layer with PyTorch's defaults: eps 1e-5, momentum 0.1, affine, tracking statistics.
   */
  public BatchNorm1d(int numFeatures) {
    this(numFeatures, 1e-5, 0.1, true, true);
  }

  /**
   * Creates a layer with every option.
   *
   * @param eps added to the variance
   * @param momentum the running statistics' update weight, or null for a cumulative average
   * @param affine whether to learn a per-channel scale and shift
   * @param trackRunningStats whether to keep running statistics (else batch statistics are used
   *     in eval mode too)
   */
  public BatchNorm1d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
    super(numFeatures, eps, momentum, affine, trackRunningStats);
  }

  @Override
  void checkInput(Tensor input) {
    if (input.dim() != 2 && input.dim() != 3) {
      throw new IllegalArgumentException("BatchNorm1d: expected 2D or 3D input, got " + input.dim()
          + "D input " + input.shape());
    }
  }
}
