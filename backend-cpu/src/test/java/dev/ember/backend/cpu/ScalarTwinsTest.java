package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.spi.UnaryOp;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The scalar twins give the vector code's bits, once the vector code runs compiled by C2 (its
 * intrinsics: fused multiply-add, lane reductions) as in a warm training loop: the element-wise
 * functions over random values and edge cases, and the row sums of log-softmax, softmax's backward
 * and layer norm's backward over rows that are not a multiple of the vector length.
 */
class ScalarTwinsTest {
  private static final UnaryOp[] UNARY = {UnaryOp.RELU, UnaryOp.EXP, UnaryOp.EXPM1, UnaryOp.LOG, UnaryOp.LOG1P,
      UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.GELU, UnaryOp.GELU_GRAD, UnaryOp.GELU_TANH, UnaryOp.GELU_TANH_GRAD};

  @BeforeAll
  static void compileTheVectorCode() {
    assertTrue(VectorSupport.ENABLED, "the tests run with --add-modules=jdk.incubator.vector (surefire argLine)");
    float[] block = new float[2048];
    for (UnaryOp op : UNARY) {
      for (int rep = 0; rep < 300; rep++) {   // about what C2 needs to compile each loop
        for (int i = 0; i < block.length; i++) {
          block[i] = op == UnaryOp.LOG ? 0.5f + (i & 63) / 16f : ((i & 63) - 32) / 8f;
        }
        VectorMath.apply(op, block, block.length);
      }
    }
    float[] a = new float[64];
    float[] b = new float[64];
    float[] w = new float[64];
    float[] sums = new float[2];
    float[] row = new float[58];
    float[] stats = new float[4];
    float[] scratch = new float[58 + VectorMath.LANES];
    java.util.Arrays.fill(w, 1f);
    for (int rep = 0; rep < 5000; rep++) {
      VectorMath.softmaxRows(row, 0, 2, 29, stats, scratch, true);
      float s = VectorMath.dot(a, b, 0, 64, true);
      VectorMath.layerNormGradSums(a, b, 0, 64, s * 1e-9f, 1f, w, w, w, sums, true);
    }
  }

  @ParameterizedTest
  @EnumSource(value = UnaryOp.class, names = {"RELU", "EXP", "EXPM1", "LOG", "LOG1P", "TANH", "SIGMOID", "GELU",
      "GELU_GRAD", "GELU_TANH", "GELU_TANH_GRAD"})
  void unaryTwinsGiveTheVectorBits(UnaryOp op) {
    Random random = new Random(op.ordinal());
    int n = 16 * 2048 + 13;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = op == UnaryOp.LOG ? (float) Math.exp(random.nextDouble() * 160 - 80)
          : (float) (random.nextGaussian() * (i % 3 == 0 ? 1 : i % 3 == 1 ? 4 : 30));
    }
    float[] edges = {0f, -0f, 0.663f, -0.6249f, 0.625f, 0.6251f, 87f, -87f, 87.5f, -88f, -103f, 89f, 9f, -9f,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, Float.MIN_NORMAL, -1f,
        1f, 1e-20f, -1e-20f, 1e20f, -1e20f, 3.999f, -9.5f, 9.5f, 10f, -10f, 10.5f};
    for (int e = 0; e < edges.length; e++) {
      x[100 + 17 * e] = edges[e];   // one edge per vector: its neighbours stay on the formula
    }
    x[1000] = Float.NEGATIVE_INFINITY;   // exp: -inf lanes stay on the formula beside ordinary ones
    float[] vector = x.clone();
    VectorMath.apply(op, vector, n);
    float[] twin = x.clone();
    ScalarTwins.apply(op, twin, 0, n);
    for (int i = 0; i < n; i++) {
      assertEquals(Float.floatToRawIntBits(vector[i]), Float.floatToRawIntBits(twin[i]),
          op + "(" + x[i] + ") at " + i + ": vector " + vector[i] + ", twin " + twin[i]);
    }
  }

  @Test
  void rowSumTwinsGiveTheVectorBits() {
    Random random = new Random(9);
    for (int c : new int[] {5, 8, 9, 26, 65, 130}) {
      for (int row = 0; row < 50; row++) {
        float[] a = gaussians(random, c + 3, 3);
        float[] b = gaussians(random, c + 3, 1);
        String what = ", row " + row + " of " + c;
        assertBits(VectorMath.dot(a, b, 3, c, true), ScalarTwins.dot(a, b, 3, c), "dot" + what);
        a[3 + random.nextInt(c)] = row % 10 == 0 ? Float.NEGATIVE_INFINITY : a[3];
        a[3 + random.nextInt(c)] = row % 7 == 0 ? a[3] - 90 : a[3];   // below e^-87: 0
        for (boolean log : new boolean[] {true, false}) {
          float[] vector = a.clone();
          VectorMath.softmaxRows(vector, 3, 1, c, new float[2], new float[c + VectorMath.LANES], log);
          float[] twin = a.clone();
          ScalarTwins.softmaxRow(twin, 3, c, log);
          for (int i = 0; i < a.length; i++) {
            assertBits(vector[i], twin[i], (log ? "log-softmax" : "softmax") + " at " + i + what);
          }
        }
      }
    }
  }

  /** Several rows at once (the vector code's passes run over all of them) give each row's twin bits. */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void softmaxRowsGiveEachRowsTwinBits(boolean log) {
    Random random = new Random(11);
    for (int c : new int[] {3, 8, 26, 65}) {
      int rows = 9;
      float[] a = gaussians(random, 5 + rows * c, 4);
      java.util.Arrays.fill(a, 5 + 2 * c, 5 + 3 * c, Float.NEGATIVE_INFINITY);   // a row of -inf: NaN
      a[5 + 4 * c + c / 2] = Float.NaN;
      a[5 + 6 * c] = Float.POSITIVE_INFINITY;
      a[5 + 7 * c] = a[5 + 7 * c + c - 1] - 100;   // e^(x - max) below e^-87: 0
      float[] vector = a.clone();
      VectorMath.softmaxRows(vector, 5, rows, c, new float[2 * rows], new float[rows * c + VectorMath.LANES], log);
      float[] twin = a.clone();
      for (int r = 0; r < rows; r++) {
        ScalarTwins.softmaxRow(twin, 5 + r * c, c, log);
      }
      for (int i = 0; i < a.length; i++) {
        assertBits(vector[i], twin[i], (log ? "log-softmax" : "softmax") + " rows of " + c + " at " + i);
      }
    }
  }

  @Test
  void layerNormGradSumTwinGivesTheVectorBits() {
    Random random = new Random(10);
    for (int d : new int[] {6, 8, 27, 64, 131}) {
      float[] w = gaussians(random, d, 1);
      for (boolean affine : new boolean[] {true, false}) {
        float[][] gwb = {gaussians(random, d, 1), gaussians(random, d, 1)};
        float[][][] vectorAndTwin = new float[2][][];
        for (int form = 0; form < 2; form++) {
          Random rows = new Random(d);
          float[] gw = gwb[0].clone();
          float[] gb = gwb[1].clone();
          float[] out = new float[0];
          for (int row = 0; row < 20; row++) {
            float[] x = gaussians(rows, d + 2, 2);
            float[] g = gaussians(rows, d + 2, 1);
            float[] sums = new float[2];
            if (form == 0) {
              VectorMath.layerNormGradSums(x, g, 2, d, 0.1f, 1.3f, affine ? w : null, affine ? gw : null,
                  affine ? gb : null, sums, true);
            } else {
              ScalarTwins.layerNormGradSums(x, g, 2, d, 0.1f, 1.3f, affine ? w : null, affine ? gw : null,
                  affine ? gb : null, sums);
            }
            out = concat(out, x, sums);
          }
          vectorAndTwin[form] = new float[][] {out, gw, gb};
        }
        for (int k = 0; k < 3; k++) {
          for (int i = 0; i < vectorAndTwin[0][k].length; i++) {
            assertBits(vectorAndTwin[0][k][i], vectorAndTwin[1][k][i], "layer norm d=" + d + " output " + k + " at " + i);
          }
        }
      }
    }
  }

  private static float[] gaussians(Random random, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (random.nextGaussian() * scale);
    }
    return a;
  }

  private static float[] concat(float[] a, float[] b, float[] c) {
    float[] out = java.util.Arrays.copyOf(a, a.length + b.length + c.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    System.arraycopy(c, 0, out, a.length + b.length, c.length);
    return out;
  }

  private static void assertBits(float vector, float twin, String what) {
    assertEquals(Float.floatToRawIntBits(vector), Float.floatToRawIntBits(twin), what + ": vector " + vector + ", twin " + twin);
  }
}
