package dev.ember.nn;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.Shape;
import dev.ember.Tensor;

/** Shared helpers for layer construction: PyTorch's default initializations. Package-private. */
final class Layers {
  private Layers() {}

  /** Returns an uninitialized float32 CPU tensor to be filled by an initializer. */
  static Tensor empty(int... shape) {
    return Tensor.zeros(Shape.of(shape), DType.FLOAT32, Device.CPU);
  }

  /**
   * Returns a weight initialized as PyTorch's Linear and Conv layers do: {@code
   * kaiming_uniform_(w, a=sqrt(5))}, i.e. {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}.
   */
  static Tensor kaimingA5(Generator g, int... shape) {
    return Init.kaimingUniform(empty(shape), Math.sqrt(5), Init.FanMode.FAN_IN, "leaky_relu", g);
  }

  /** Returns a bias uniform in {@code [-1/sqrt(fanIn), 1/sqrt(fanIn))} (0 bound if fanIn is 0). */
  static Tensor fanInBias(Generator g, int fanIn, int size) {
    double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    return Init.uniform(empty(size), -bound, bound, g);
  }

  /** Returns {@code v} as a pair {@code {v, v}}. */
  static int[] pair(int v) {
    return new int[] {v, v};
  }

  /** Returns a PyTorch-style tuple: {@code (1, 2)}. */
  static String tuple(int[] v) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < v.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(v[i]);
    }
    return sb.append(v.length == 1 ? ",)" : ")").toString();
  }
}
