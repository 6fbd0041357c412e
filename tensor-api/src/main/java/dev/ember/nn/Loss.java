package dev.ember.nn;

import dev.ember.Tensor;

/**
 * A loss module: {@link #forward(Tensor, Tensor)} maps a prediction and a target to a loss (0-d
 * unless the reduction is {@code NONE}). {@link #call(Tensor, Tensor)} also runs the forward pre-hooks and hooks.
 * Optional weights are buffers, so they move with {@link Module#to} and appear in state dicts under
 * PyTorch's names ({@code weight}, {@code pos_weight}).
 */
public abstract class Loss extends Module {
  /** Creates a loss module. */
  protected Loss() {}

  /** Returns the loss of {@code input} against {@code target}. */
  public abstract Tensor forward(Tensor input, Tensor target);

  /**
   * Runs {@link #forward(Tensor, Tensor)} and the forward hooks, PyTorch's {@code loss_fn(x, y)}.
   */
  public final Tensor call(Tensor input, Tensor target) {
    return call(new Tensor[] {input, target}).single(getClass().getSimpleName());
  }

  /** Takes exactly the two inputs (prediction, target) and returns the loss as the only output. */
  @Override
  public Outputs forward(Tensor... inputs) {
    if (inputs.length != 2) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": a loss takes 2 inputs (input,"
          + " target), got " + inputs.length);
    }
    return Outputs.of(forward(inputs[0], inputs[1]));
  }
}
