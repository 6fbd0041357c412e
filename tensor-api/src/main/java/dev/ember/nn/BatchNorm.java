package dev.ember.nn;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.ops.Normalization;

/**
 * Batch normalization shared by {@link BatchNorm1d} and {@link BatchNorm2d}, PyTorch's {@code
 * _BatchNorm}. Package-private; the subclasses only check the input's rank.
 *
 * <p>Parameters {@code weight} (ones) and {@code bias} (zeros) [C] if affine; buffers {@code
 * running_mean} (zeros), {@code running_var} (ones) and {@code num_batches_tracked} (int64, 0-d) if
 * tracking running statistics. In training the batch statistics normalize and the running ones are
 * updated: {@code running = (1 - momentum) running + momentum batch} (unbiased variance), or the
 * cumulative average when momentum is null. In eval mode the running statistics normalize.
 */
abstract class BatchNorm extends Module {
  final int numFeatures;
  final double eps;
  final Double momentum;
  final boolean affine;
  final boolean trackRunningStats;

  BatchNorm(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    registerParameter("weight", affine ? Tensor.ones(numFeatures) : null);
    registerParameter("bias", affine ? Tensor.zeros(numFeatures) : null);
    registerBuffer("running_mean", trackRunningStats ? Tensor.zeros(numFeatures) : null);
    registerBuffer("running_var", trackRunningStats ? Tensor.ones(numFeatures) : null);
    registerBuffer("num_batches_tracked", trackRunningStats
        ? Tensor.zeros(Shape.scalar(), DType.INT64, Device.CPU) : null);
  }

  /** Throws unless {@code input} has a rank this layer accepts. */
  abstract void checkInput(Tensor input);

  /** Returns the scale [C], or null if not affine. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the shift [C], or null if not affine. */
  public Tensor bias() {
    return param("bias");
  }

  /** Returns the running mean [C], or null if statistics are not tracked. */
  public Tensor runningMean() {
    return buffer("running_mean");
  }

  /** Returns the running (unbiased) variance [C], or null if statistics are not tracked. */
  public Tensor runningVar() {
    return buffer("running_var");
  }

  /** Returns the number of training batches seen (int64, 0-d), or null if not tracked. */
  public Tensor numBatchesTracked() {
    return buffer("num_batches_tracked");
  }

  /** Resets the running statistics to mean 0, variance 1, and the batch count to 0. */
  public void resetRunningStats() {
    if (trackRunningStats) {
      try (GradMode off = GradMode.noGrad()) {
        runningMean().zeroInPlace();
        runningVar().fillInPlace(1);
        numBatchesTracked().zeroInPlace();
      }
    }
  }

  /** Normalizes [N, C, *] per channel; the output has the input's shape. */
  @Override
  public Tensor forward(Tensor input) {
    checkInput(input);
    if (input.size(1) != numFeatures) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": expected " + numFeatures
          + " channels in dim 1, got input " + input.shape());
    }
    double factor = momentum == null ? 0 : momentum;
    if (isTraining() && trackRunningStats) {
      Tensor n = numBatchesTracked();
      try (GradMode off = GradMode.noGrad()) {
        n.addInPlace(1);
      }
      if (momentum == null) {
        factor = 1.0 / n.item();
      }
    }
    boolean useBatchStats = isTraining() || !trackRunningStats;
    boolean updateRunning = isTraining() && trackRunningStats;
    return Normalization.batchNorm(input, updateRunning || !isTraining() ? runningMean() : null,
        updateRunning || !isTraining() ? runningVar() : null, weight(), bias(), useBatchStats, factor, eps);
  }

  @Override
  protected String extraRepr() {
    return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (affine ? "True" : "False")
        + ", track_running_stats=" + (trackRunningStats ? "True" : "False");
  }

  /** Returns the channel count C, PyTorch's {@code num_features}. */
  public int numFeatures() {
    return numFeatures;
  }

  /** Returns the value added to the variance. */
  public double eps() {
    return eps;
  }

  /** Returns the running statistics' momentum, or null for a cumulative average. */
  public Double momentum() {
    return momentum;
  }

  /** Returns whether the layer learns weight and bias. */
  public boolean affine() {
    return affine;
  }

  /** Returns whether running statistics are tracked. */
  public boolean trackRunningStats() {
    return trackRunningStats;
  }
}
