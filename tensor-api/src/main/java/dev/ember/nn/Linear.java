package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Linalg;

/**
 * Applies {@code y = x W^T + b}, PyTorch's {@code nn.Linear}: input [..., inFeatures], output
 * [..., outFeatures]. Parameters {@code weight} [outFeatures, inFeatures] and {@code bias}
 * [outFeatures], both initialized from {@code U(-1/sqrt(in), 1/sqrt(in))} as in PyTorch.
 */
public class Linear extends Module {
  private final int inFeatures;
  private final int outFeatures;

  /** Creates a layer with a bias, initialized from the global generator. */
  public Linear(int inFeatures, int outFeatures) {
    this(inFeatures, outFeatures, true, null);
  }

  /** Creates a layer, with a bias if {@code bias}, initialized from the global generator. */
  public Linear(int inFeatures, int outFeatures, boolean bias) {
    this(inFeatures, outFeatures, bias, null);
  }

  /** Creates a layer initialized from {@code generator} (null: the global one). */
  public Linear(int inFeatures, int outFeatures, boolean bias, Generator generator) {
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    registerParameter("weight", Layers.kaimingA5(generator, outFeatures, inFeatures));
    registerParameter("bias", bias ? Layers.fanInBias(generator, inFeatures, outFeatures) : null);
  }

  /** Returns the weight [outFeatures, inFeatures]. */
  public Tensor weight() {
    return param("weight");
  }

  /** Returns the bias [outFeatures], or null. */
  public Tensor bias() {
    return param("bias");
  }

  /** Maps [..., inFeatures] to [..., outFeatures]. */
  @Override
  public Tensor forward(Tensor input) {
    return Linalg.linear(input, weight(), bias());
  }

  @Override
  protected String extraRepr() {
    return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias() != null ? "True"
        : "False");
  }

  /** Returns the input size, PyTorch's {@code in_features}. */
  public int inFeatures() {
    return inFeatures;
  }

  /** Returns the output size, PyTorch's {@code out_features}. */
  public int outFeatures() {
    return outFeatures;
  }
}
