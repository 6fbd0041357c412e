package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatSums}: the vector and scalar loops give the same bits (one fixed order), the order is
 * the documented one (checked against a plain re-implementation), long runs split across threads
 * give the same bits as one thread would, and the result stays within a float32 rounding or two of
 * the exact sum.
 */
class FloatSumsTest {
  private final List<Pointer> blocks = new ArrayList<>();

  /** n random floats in native memory (freed after each test), mixed magnitudes and signs; its address. */
  private long floats(int n, long seed) {
    Pointer p = Pointer.malloc(4L * n);
    blocks.add(p);
    Random random = new Random(seed);
    for (int i = 0; i < n; i++) {
      Raw.putFloat(p.address() + 4L * i, (float) (random.nextGaussian() * (i % 7 == 0 ? 100 : 1)));
    }
    return p.address();
  }

  @AfterEach
  void free() {
    blocks.forEach(Pointer::free);
  }

  /** The documented order, written out plainly: chunks, 32 lanes of 8 float adds, pairwise combine, tail. */
  private static double reference(long a, int n) {
    double total = 0;
    for (int c0 = 0; c0 < n; c0 += FloatSums.CHUNK) {
      int len = Math.min(FloatSums.CHUNK, n - c0);
      int full = len - len % 256;
      double[] d = new double[32];
      for (int b = 0; b < full; b += 256) {
        for (int j = 0; j < 32; j++) {
          float f = 0f;
          for (int i = 0; i < 8; i++) {
            f += Raw.getFloat(a + 4L * (c0 + b + 32 * i + j));
          }
          d[j] += f;
        }
      }
      for (int w = 16; w >= 1; w /= 2) {
        for (int j = 0; j < w; j++) {
          d[j] += d[j + w];
        }
      }
      double r = d[0];
      for (int k = full; k < len; k++) {
        r += Raw.getFloat(a + 4L * (c0 + k));
      }
      total += r;
    }
    return total;
  }

  @Test
  void theJava22VersionLoadsOffHeapWhereBuiltOnJdk22() {
    // set by the java22-versions profile (pom.xml), active when Maven runs on JDK 22+
    assertEquals(Boolean.getBoolean("ember.expectJava22Classes"), VectorSums.loadsOffHeap());
  }

  @Test
  void vectorAndScalarLoopsFollowTheDocumentedOrder() {
    // Lengths around the block (256) and chunk (65,536) edges, and one past the parallel threshold.
    for (int n : new int[] {0, 1, 255, 256, 257, 1000, 65_535, 65_536, 65_537, 200_003, 1 << 20}) {
      long a = floats(n, n);
      double want = reference(a, n);
      assertEquals(want, FloatSums.sum(a, n, false), "scalar, n = " + n);
      if (FloatSums.vector()) {
        FloatSums.BLOCKS_GATE.close();
        assertEquals(want, FloatSums.sum(a, n, true), "vector cold (one block a chunk), n = " + n);
        FloatSums.BLOCKS_GATE.openNow();
        assertEquals(want, FloatSums.sum(a, n, true), "vector, n = " + n);
      }
    }
  }

  /**
   * Values where the order shows in the bits or in the kind of result: denormals, lane sums that overflow
   * float32 to infinity (and cancel to NaN against one of the other sign), negative zeros, float32's
   * largest values: the vector loop gives the documented order's result on every one.
   */
  @Test
  void specialValuesFollowTheDocumentedOrderOnTheVectorLoop() {
    float[] specials = {Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -0f, 3e38f, -3e38f, 1e-40f, 1f};
    int n = 4 * FloatSums.CHUNK + 777;
    Pointer p = Pointer.malloc(4L * n);
    blocks.add(p);
    long a = p.address();
    Random random = new Random(7);
    for (int mix = 0; mix < 3; mix++) {
      for (int i = 0; i < n; i++) {
        float v = specials[random.nextInt(specials.length)];
        Raw.putFloat(a + 4L * i, mix == 0 ? v : mix == 1 ? v * (float) random.nextGaussian() : Math.abs(v));
      }
      double want = reference(a, n);
      assertEquals(want, FloatSums.sum(a, n, false), "scalar, mix " + mix);
      if (FloatSums.vector()) {
        FloatSums.BLOCKS_GATE.openNow();
        assertEquals(want, FloatSums.sum(a, n, true), "vector, mix " + mix);
      }
    }
  }

  /**
   * A sum over a middle dim gives the bits of the sequential double sum in row order whether {@link
   * VectorRowSums#addRows} takes all columns (its gate open) or a few with the scalar loop doing the rest
   * (cold), with pieces of column blocks or of whole outer indices (16 outer: split across threads).
   */
  @Test
  void middleDimSumsAreTheSameColdAndOpen() {
    middleDimSumsInRowOrder(3, 37, 150);    // few outer indices: pieces are column blocks
    middleDimSumsInRowOrder(16, 70, 130);   // enough for the threads: pieces are whole outer indices
  }

  private static void middleDimSumsInRowOrder(int outer, int rows, int inner) {
    try (dev.ember.Tensor x = dev.ember.Tensor.randn(outer, rows, inner)) {
      FloatSums.ROWS_GATE.close();
      float[] cold = x.sum(1, false).toFloatArray();
      FloatSums.ROWS_GATE.openNow();
      float[] open = x.sum(1, false).toFloatArray();
      double[] exact = new double[outer * inner];
      float[] v = x.toFloatArray();
      for (int a = 0; a < outer; a++) {
        for (int r = 0; r < rows; r++) {
          for (int b = 0; b < inner; b++) {
            exact[a * inner + b] += v[(a * rows + r) * inner + b];
          }
        }
      }
      for (int i = 0; i < exact.length; i++) {
        assertEquals((float) exact[i], cold[i], "cold at " + i);
        assertEquals((float) exact[i], open[i], "open at " + i);
      }
    }
  }

  @Test
  void sumIsWithinAFewFloatRoundingsOfTheExactSum() {
    int n = 1 << 20;
    long a = floats(n, 3);
    double exact = 0;
    double abs = 0;
    for (int k = 0; k < n; k++) {
      float v = Raw.getFloat(a + 4L * k);
      exact += v; // double with 2^20 terms: far more exact than the float32 result needs
      abs += Math.abs(v);
    }
    double got = FloatSums.sum(a, n);
    assertTrue(Math.abs(got - exact) <= 1e-6 * abs, got + " vs " + exact);
  }

  /**
   * {@link VectorRowSums#addRows} (a sum over a middle dim, [outer, R, inner] over R) gives the bits of
   * the scalar row loop it replaces: each accumulator adds its column's values in row order, in
   * double, for widths with vector tails, column windows, row blocks past the staging block and a
   * width wider than it.
   */
  @Test
  void rowSumsMatchTheScalarRowOrderBitForBit() {
    if (!FloatSums.vector()) {
      return; // nothing to compare: sumMiddleF32 runs the scalar loop itself
    }
    int[][] cases = {{64, 128, 0, 128}, {3, 5, 0, 5}, {17, 37, 3, 30}, {300, 19, 0, 19}, {5, 5000, 7, 4999},
        {1, 16, 0, 16}, {40, 2100, 100, 2100}};
    for (int[] c : cases) {
      int rows = c[0];
      int stride = c[1];
      int from = c[2];
      int to = c[3];
      long a = floats(rows * stride, rows * 31L + stride);
      double[] want = new double[to - from + 3];
      double[] got = new double[to - from + 3];
      for (int k = 0; k < want.length; k++) {
        want[k] = k * 0.25;
        got[k] = k * 0.25;
      }
      for (int r = 0; r < rows; r++) {
        for (int k = from; k < to; k++) {
          want[2 + k - from] += Raw.getFloat(a + 4L * ((long) r * stride + k));
        }
      }
      VectorRowSums.addRows(a, rows, stride, from, to, got, 2);
      assertTrue(java.util.Arrays.equals(want, got), "rows " + rows + ", stride " + stride + ", columns ["
          + from + ", " + to + ")");
    }
  }
}
