package dev.ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 inner loops of {@link AttentionKernels} on the Vector API: a small matrix product with
 * register tiles (4 rows by 2 vectors of accumulators, so each loaded vector of B feeds four
 * multiply-adds and nothing is stored until the end), a dot product and the softmax-gradient row.
 * Loaded only when {@link VectorSupport#ENABLED}, so a JVM without {@code jdk.incubator.vector} never
 * touches this class.
 */
final class AttentionVectors {
  private static final VectorSpecies<Float> S = VectorShape.FLOATS;
  private static final int LANES = S.length();

  private AttentionVectors() {}

  /**
   * Computes {@code C[i][j] (+)= sum_p A(i, p) B[p][j]} for {@code i < m, j < n, p < k}, where {@code
   * A(i, p) = a[ao + i * ars + p * acs]} (any layout, so a transposed A costs nothing), {@code B[p][j] =
   * b[bo + p * ldb + j]} and {@code C[i][j] = c[co + i * ldc + j]}; adds to C when {@code accumulate}.
   */
  static void gemm(int m, int n, int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb,
      float[] c, int co, int ldc, boolean accumulate) {
    int wide = n - n % (2 * LANES);
    int vectors = n - n % LANES;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      int j = 0;
      for (; j < wide; j += 2 * LANES) {
        tile4x2(k, a, ao + i * ars, ars, acs, b, bo + j, ldb, c, co + i * ldc + j, ldc, accumulate);
      }
      for (; j < vectors; j += LANES) {
        for (int r = 0; r < 4; r++) {
          tile1x1(k, a, ao + (i + r) * ars, acs, b, bo + j, ldb, c, co + (i + r) * ldc + j, accumulate);
        }
      }
      scalarColumns(i, i + 4, j, n, k, a, ao, ars, acs, b, bo, ldb, c, co, ldc, accumulate);
    }
    for (; i < m; i++) {
      int j = 0;
      for (; j < vectors; j += LANES) {
        tile1x1(k, a, ao + i * ars, acs, b, bo + j, ldb, c, co + i * ldc + j, accumulate);
      }
      scalarColumns(i, i + 1, j, n, k, a, ao, ars, acs, b, bo, ldb, c, co, ldc, accumulate);
    }
  }

  private static void tile4x2(int k, float[] a, int a0, int ars, int acs, float[] b, int b0, int ldb, float[] c,
      int c0, int ldc, boolean accumulate) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    int a1 = a0 + ars;
    int a2 = a1 + ars;
    int a3 = a2 + ars;
    for (int p = 0; p < k; p++) {
      int bp = b0 + p * ldb;
      int ap = p * acs;
      FloatVector v0 = FloatVector.fromArray(S, b, bp);
      FloatVector v1 = FloatVector.fromArray(S, b, bp + LANES);
      FloatVector x = FloatVector.broadcast(S, a[a0 + ap]);
      c00 = v0.fma(x, c00);
      c01 = v1.fma(x, c01);
      x = FloatVector.broadcast(S, a[a1 + ap]);
      c10 = v0.fma(x, c10);
      c11 = v1.fma(x, c11);
      x = FloatVector.broadcast(S, a[a2 + ap]);
      c20 = v0.fma(x, c20);
      c21 = v1.fma(x, c21);
      x = FloatVector.broadcast(S, a[a3 + ap]);
      c30 = v0.fma(x, c30);
      c31 = v1.fma(x, c31);
    }
    store(c00, c, c0, accumulate);
    store(c01, c, c0 + LANES, accumulate);
    store(c10, c, c0 + ldc, accumulate);
    store(c11, c, c0 + ldc + LANES, accumulate);
    store(c20, c, c0 + 2 * ldc, accumulate);
    store(c21, c, c0 + 2 * ldc + LANES, accumulate);
    store(c30, c, c0 + 3 * ldc, accumulate);
    store(c31, c, c0 + 3 * ldc + LANES, accumulate);
  }

  private static void tile1x1(int k, float[] a, int a0, int acs, float[] b, int b0, int ldb, float[] c, int c0,
      boolean accumulate) {
    FloatVector acc = FloatVector.zero(S);
    for (int p = 0; p < k; p++) {
      acc = FloatVector.fromArray(S, b, b0 + p * ldb).fma(FloatVector.broadcast(S, a[a0 + p * acs]), acc);
    }
    store(acc, c, c0, accumulate);
  }

  private static void store(FloatVector v, float[] c, int at, boolean accumulate) {
    (accumulate ? v.add(FloatVector.fromArray(S, c, at)) : v).intoArray(c, at);
  }

  private static void scalarColumns(int i0, int i1, int j0, int n, int k, float[] a, int ao, int ars, int acs,
      float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean accumulate) {
    for (int i = i0; i < i1; i++) {
      for (int j = j0; j < n; j++) {
        float s = 0;
        for (int p = 0; p < k; p++) {
          s = Math.fma(a[ao + i * ars + p * acs], b[bo + p * ldb + j], s);
        }
        c[co + i * ldc + j] = accumulate ? c[co + i * ldc + j] + s : s;
      }
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

  /** Computes {@code dp[o + i] = p[o + i] * (dp[o + i] - d) * scale} for {@code i < n}: the scores' gradient. */
  static void scoreGrad(float[] p, float[] dp, int o, float d, float scale, int n) {
    int full = n - n % LANES;
    FloatVector dv = FloatVector.broadcast(S, d);
    for (int i = 0; i < full; i += LANES) {
      FloatVector.fromArray(S, dp, o + i).sub(dv).mul(FloatVector.fromArray(S, p, o + i)).mul(scale)
          .intoArray(dp, o + i);
    }
    for (int i = full; i < n; i++) {
      dp[o + i] = (dp[o + i] - d) * p[o + i] * scale;
    }
  }
}
