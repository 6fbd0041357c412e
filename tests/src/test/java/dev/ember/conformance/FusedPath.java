package dev.ember.conformance;

import dev.ember.internal.FusedPrimitives;

/**
 * The two paths of ops that have optional fused backend primitives (convolution, pooling): suites
 * parameterized by {@link Devices#underTestFusedAndComposed} switch between them with {@link #use}.
 */
public final class FusedPath {
  private FusedPath() {}

  /**
   * Switches to {@code "fused"} (backends' fused primitives) or {@code "composed"} (tensor-api's
   * compositions); returns the previous setting for {@link FusedPrimitives#setEnabled}.
   */
  public static boolean use(String path) {
    if (!path.equals("fused") && !path.equals("composed")) {
      throw new IllegalArgumentException("path must be 'fused' or 'composed', got " + path);
    }
    return FusedPrimitives.setEnabled(path.equals("fused"));
  }
}
