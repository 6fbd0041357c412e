package dev.ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 inner loops of {@link AttentionKernels} on the Vector API: a scaled add of one row into
 * another, a dot product and the softmax-gradient row. Loaded only when {@link VectorSupport#ready()},
 * so a JVM without {@code jdk.incubator.vector} never touches this class.
 */
final class AttentionVectors {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = S.length();

  private AttentionVectors() {}

  /** Computes {@code y[yo + i] += a * x[xo + i]} for {@code i < n}. */
  static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
    int full = n - n % LANES;
    FloatVector av = FloatVector.broadcast(S, a);
    for (int i = 0; i < full; i += LANES) {
      FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
    }
    for (int i = full; i < n; i++) {
      y[yo + i] = Math.fma(a, x[xo + i], y[yo + i]);
    }
  }

  /** Returns the sum of {@code a[ao + i] * b[bo + i]} for {@code i < n}, in float lanes. */
  static float dot(float[] a, int ao, float[] b, int bo, int n) {
    int full = n - n % LANES;
    float s = 0;
    if (full > 0) {
      FloatVector acc = FloatVector.zero(S);
      for (int i = 0; i < full; i += LANES) {
        acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
      }
      s = acc.reduceLanes(VectorOperators.ADD);
    }
    for (int i = full; i < n; i++) {
      s = Math.fma(a[ao + i], b[bo + i], s);
    }
    return s;
  }

  /** Computes {@code dp[i] = p[i] * (dp[i] - d) * scale} for {@code i < n}: the scores' gradient. */
  static void scoreGrad(float[] p, float[] dp, float d, float scale, int n) {
    int full = n - n % LANES;
    FloatVector dv = FloatVector.broadcast(S, d);
    for (int i = 0; i < full; i += LANES) {
      FloatVector.fromArray(S, dp, i).sub(dv).mul(FloatVector.fromArray(S, p, i)).mul(scale).intoArray(dp, i);
    }
    for (int i = full; i < n; i++) {
      dp[i] = (dp[i] - d) * p[i] * scale;
    }
  }
}
