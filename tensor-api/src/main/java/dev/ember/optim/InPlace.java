package dev.ember.optim;

import dev.ember.Tensor;

/** In-place update helpers shared by the optimizers (run under no-grad). Package-private. */
final class InPlace {
  private InPlace() {}

  /**
   * Sets {@code self = self + w (end - self)} in place, in PyTorch's two-branch form ({@code end -
   * (end - self)(1 - w)} for {@code w >= 0.5}) so the rounding matches {@code lerp_}.
   */
  static Tensor lerp(Tensor self, Tensor end, double w) {
    Tensor diff = end.sub(self);
    if (w < 0.5) {
      return self.addInPlace(diff, w);
    }
    return self.copyInPlace(end.sub(diff.mul(1 - w)));
  }
}
