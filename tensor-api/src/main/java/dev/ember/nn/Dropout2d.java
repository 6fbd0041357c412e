package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Zeroes whole channels in training mode, PyTorch's {@code nn.Dropout2d}: each (sample, channel)
 * plane of [N, C, H, W] (or unbatched [C, H, W]) is dropped with probability {@code p} and the kept
 * planes are scaled by {@code 1 / (1 - p)}; in eval mode the input passes unchanged. Draws come from
 * the module's generator (the global one unless given).
 */
public final class Dropout2d extends DropoutBase {
  /** Creates channel dropout with PyTorch's default probability 0.5. */
  public Dropout2d() {
    this(0.5);
  }

  /** Creates channel dropout with probability {@code p} in [0, 1], from the global generator. */
  public Dropout2d(double p) {
    this(p, null);
  }

  /** Creates channel dropout drawing from {@code generator} (null: the global one). */
  public Dropout2d(double p, Generator generator) {
    super("Dropout2d", p, generator);
  }

  /** Returns {@code input} [N, C, H, W] or [C, H, W] with channel dropout if training. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.dropout2d(input, p(), isTraining(), generator());
  }
}
