package dev.ember.nn;

import dev.ember.Tensor;
import dev.ember.ops.Normalization;

/**
 * Layer normalization, PyTorch's {@code nn.LayerNorm}: each input [..., *normalizedShape] is
 * standardized over its last {@code normalizedShape.length} dims (biased variance), then scaled by
 * {@code weight} (ones) and shifted by {@code bias} (zeros), both of shape {@code normalizedShape}.
 */
public class LayerNorm extends Module {
  private final int[] normalizedShape;
  private final double eps;

  /**
   * Normalizes over a last dim of size {@code normalizedShape}, eps 1e-5, with affine parameters.
   */
  public LayerNorm(int normalizedShape) {
    this(new int[] {normalizedShape}, 1e-5, true, true);
  }

  /**
   * Creates a layer with every option.
   *
   * @param normalizedShape the trailing dims to normalize over
   * @param eps added to the variance
   * @param elementwiseAffine whether to learn {@code weight} (and {@code bias})
   * @param bias whether to learn {@code bias} (when affine)
   */
  public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, boolean bias) {
    this.normalizedShape = normalizedShape.clone();
    this.eps = eps;
    registerParameter("weight", elementwiseAffine ? Tensor.ones(normalizedShape) : null);
    registerParameter("bias", elementwiseAffine && bias ? Tensor.zeros(normalizedShape) : null);
  }

  /** Returns the scale (shape {@code normalizedShape}), or null. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the shift (shape {@code normalizedShape}), or null. */
  public Tensor bias() {
    return param("bias");
  }

  /** Normalizes [..., *normalizedShape]; same shape out. */
  @Override
  public Tensor forward(Tensor input) {
    return Normalization.layerNorm(input, normalizedShape, weight(), bias(), eps);
  }

  @Override
  protected String extraRepr() {
    return Layers.tuple(normalizedShape) + ", eps=" + eps + ", elementwise_affine="
        + (weight() != null ? "True" : "False");
  }

  /** Returns the normalized trailing shape. */
  public int[] normalizedShape() {
    return normalizedShape.clone();
  }

  /** Returns the value added to the variance. */
  public double eps() {
    return eps;
  }
}
