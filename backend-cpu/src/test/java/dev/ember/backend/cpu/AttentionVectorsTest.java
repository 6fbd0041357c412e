package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The register-tiled product of the fused attention kernel against a double-precision reference: every
 * edge of its tiles (rows not a multiple of 4, columns not a multiple of one or two vectors, k of 1),
 * A read row-major and transposed (as the kernel reads {@code ds^T} and {@code p^T}), with and without
 * accumulation, at offsets and row pitches wider than the product; elements outside C stay untouched.
 */
class AttentionVectorsTest {
  @Test
  void gemmMatchesTheReferenceAtEveryTileEdge() {
    Random random = new Random(8);
    int[] sizes = {1, 3, 4, 5, 8, 9, 16, 17, 33};
    for (int m : sizes) {
      for (int n : sizes) {
        for (int k : new int[] {1, 7, 32}) {
          for (boolean transposedA : new boolean[] {false, true}) {
            for (boolean accumulate : new boolean[] {false, true}) {
              check(random, m, n, k, transposedA, accumulate);
            }
          }
        }
      }
    }
  }

  private static void check(Random random, int m, int n, int k, boolean transposedA, boolean accumulate) {
    int ao = 3;
    int bo = 2;
    int co = 5;
    int ldb = n + 4;
    int ldc = n + 3;
    // A(i, p) at a[ao + i * ars + p * acs]: row-major [m, k], or transposed storage [k, m + 2].
    int ars = transposedA ? 1 : k;
    int acs = transposedA ? m + 2 : 1;
    float[] a = fill(random, ao + (transposedA ? k * (m + 2) : m * k));
    float[] b = fill(random, bo + k * ldb);
    float[] c = fill(random, co + m * ldc + 2);
    float[] before = c.clone();
    AttentionVectors.gemm(m, n, k, a, ao, ars, acs, b, bo, ldb, c, co, ldc, accumulate);
    String where = "m=" + m + " n=" + n + " k=" + k + " transposedA=" + transposedA + " accumulate=" + accumulate;
    for (int idx = 0; idx < c.length; idx++) {
      int rel = idx - co;
      int i = rel >= 0 ? rel / ldc : -1;
      int j = rel >= 0 ? rel % ldc : -1;
      if (i < 0 || i >= m || j >= n) {
        assertEquals(before[idx], c[idx], 0f, where + ": element " + idx + " outside C was written");
        continue;
      }
      double s = accumulate ? before[idx] : 0;
      for (int p = 0; p < k; p++) {
        s += (double) a[ao + i * ars + p * acs] * b[bo + p * ldb + j];
      }
      assertEquals(s, c[idx], 1e-5 * (1 + Math.abs(s)) * Math.sqrt(k), where + ": C[" + i + "][" + j + "]");
    }
  }

  private static float[] fill(Random random, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }
}
