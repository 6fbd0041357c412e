package dev.ember.optim;

import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import dev.ember.spi.AdamStep;
import dev.ember.spi.Strided;
import java.util.Arrays;

/**
 * Adam's update as one backend pass ({@link dev.ember.spi.Backend#adamStep}) where the backend has
 * one and the operands allow it: all contiguous, of one shape, dtype and device, the gradient apart
 * from the parameter and state. Otherwise {@link Adam} composes the update from tensor ops.
 */
final class FusedAdam {
  private FusedAdam() {}

  /**
   * Tries the fused update of {@code param} with {@code grad} and the state {@code expAvg}, {@code
   * expAvgSq} and {@code maxExpAvgSq} (null without amsgrad), all of {@code param}'s shape; returns
   * whether the backend did it (then every written tensor's version is bumped).
   */
  static boolean tryStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq,
      AdamStep step) {
    if (!FusedPrimitives.enabled() || param.numel() == 0) {
      return false;
    }
    Tensor[] all = maxExpAvgSq == null ? new Tensor[] {param, grad, expAvg, expAvgSq}
        : new Tensor[] {param, grad, expAvg, expAvgSq, maxExpAvgSq};
    for (Tensor t : all) {
      if (t.dtype() != param.dtype() || !t.device().equals(param.device()) || !t.isContiguous()
          || !Arrays.equals(t.shapeArray(), param.shapeArray())
          || (t != grad && t.strided().storage() == grad.strided().storage())) {
        return false;
      }
    }
    Strided max = maxExpAvgSq == null ? null : maxExpAvgSq.strided();
    if (!param.backend().adamStep(param.strided(), grad.strided(), expAvg.strided(), expAvgSq.strided(), max,
        step)) {
      return false;
    }
    for (Tensor t : all) {
      if (t != grad) {
        t.bumpVersion();
      }
    }
    FusedPrimitives.countCall();
    return true;
  }
}
