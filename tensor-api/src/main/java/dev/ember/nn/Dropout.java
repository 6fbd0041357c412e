package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Activations;

/**
 * Zeroes each element with probability {@code p} in training mode and scales the others by {@code
 * 1 / (1 - p)}, PyTorch's {@code nn.Dropout}; in eval mode returns its input. Masks come from the
 * Philox stream of the module's generator (the global one unless given), so a seed reproduces them
 * on every backend. Any shape.
 */
public final class Dropout extends DropoutBase {
  /** Creates dropout with PyTorch's default probability 0.5. */
  public Dropout() {
    this(0.5);
  }

  /** Creates dropout with probability {@code p} in [0, 1], drawing from the global generator. */
  public Dropout(double p) {
    this(p, null);
  }

  /** Creates dropout drawing masks from {@code generator} (null: the global one). */
  public Dropout(double p, Generator generator) {
    super("Dropout", p, generator);
  }

  /** Returns {@code input} with dropout applied if training, else {@code input} itself. */
  @Override
  public Tensor forward(Tensor input) {
    return Activations.dropout(input, p(), isTraining(), generator());
  }
}
