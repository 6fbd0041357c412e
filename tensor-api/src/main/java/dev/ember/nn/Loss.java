package dev.ember.nn;

import dev.ember.Tensor;
import java.util.List;

/**
 * A loss module: {@link #forward(Tensor, Tensor)} maps a prediction and a target to a loss (0-d
 * unless the reduction is {@code NONE}). {@link #call(Tensor, Tensor)} also runs forward hooks.
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
    return runHooks(List.of(input, target), forward(input, target));
  }
}
