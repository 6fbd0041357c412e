package dev.ember.internal;

import dev.ember.Autocast;
import dev.ember.DType;
import dev.ember.Tensor;

/**
 * The casts an op applies to its floating inputs under {@link Autocast}: {@link #lower} for the
 * ops on its lower-precision list, {@link #full} for those on its float32 list. Both return their
 * argument unchanged (and cost one thread-local read) when autocast is off.
 */
public final class Autocasting {
  private Autocasting() {}

  /** Returns {@code x} in the scope's dtype if it is float32 and a scope is open, else {@code x}. */
  public static Tensor lower(Tensor x) {
    DType t = Autocast.current();
    return t == null || x == null || x.dtype() != DType.FLOAT32 ? x : x.to(t);
  }

  /** Returns {@code x} in float32 if it is float16 or bfloat16 and a scope is open, else {@code x}. */
  public static Tensor full(Tensor x) {
    return Autocast.current() == null || x == null || !x.dtype().isHalf() ? x : x.to(DType.FLOAT32);
  }
}
