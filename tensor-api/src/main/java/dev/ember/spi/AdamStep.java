package dev.ember.spi;

/**
 * The scalars of one fused Adam/AdamW update ({@link Backend#adamStep}), already derived from the
 * hyper-parameters and the step count, in the order PyTorch's single-tensor Adam applies them. Per
 * element, with {@code g} the gradient (negated if {@code maximize}):
 *
 * <pre>
 * g = g + l2WeightDecay * p                      (skipped when l2WeightDecay is 0)
 * m = lerp(m, g, lerpWeight)                     (m + w (g - m) for w &lt; 0.5, else g - (g - m)(1 - w))
 * v = beta2 * v + (1 - beta2) * (g * g)
 * vmax = max(vmax, v)                            (amsgrad; vmax then replaces v below)
 * p = paramScale * p + (-stepSize) * (m / (sqrt(v) / biasCorrection2Sqrt + eps))
 * </pre>
 *
 * Each scalar is rounded to the tensors' dtype before use, as the composed ops round theirs.
 *
 * @param lerpWeight {@code 1 - beta1}
 * @param beta2 the second moment's decay
 * @param eps added to the denominator
 * @param l2WeightDecay Adam's weight decay added to the gradient (0 for AdamW or none)
 * @param paramScale AdamW's {@code 1 - lr * weight_decay} (1 for Adam)
 * @param stepSize {@code lr / (1 - beta1^t)}
 * @param biasCorrection2Sqrt {@code sqrt(1 - beta2^t)}
 * @param maximize whether the gradient is negated first
 */
public record AdamStep(double lerpWeight, double beta2, double eps, double l2WeightDecay, double paramScale,
    double stepSize, double biasCorrection2Sqrt, boolean maximize) {}
