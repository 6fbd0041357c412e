package dev.ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Packing and dim merging of kernel geometries; pure Java. */
class GeometryTest {
  private static final int MAX = 8;

  /** Returns {rank, numel, shape..., offsets..., strides of operand k...} trimmed to rank. */
  private static long[] trimmed(long[] g, int n) {
    int rank = (int) g[0];
    long[] out = new long[2 + rank + n + n * rank];
    out[0] = g[0];
    out[1] = g[1];
    System.arraycopy(g, 2, out, 2, rank);
    System.arraycopy(g, 2 + MAX, out, 2 + rank, n);
    for (int k = 0; k < n; k++) {
      System.arraycopy(g, 2 + MAX + n + k * MAX, out, 2 + rank + n + k * rank, rank);
    }
    return out;
  }

  @Test
  void contiguousOperandsMergeToRankOne() {
    long[] g = Geometry.of("t", new int[] {2, 3, 4}, new long[] {0, 5},
        new int[][] {{12, 4, 1}, {12, 4, 1}});
    assertArrayEquals(new long[] {1, 24, 24, 0, 5, 1, 1}, trimmed(g, 2));
    assertEquals(2 + MAX + 2 + 2 * MAX, g.length);
  }

  @Test
  void broadcastDimStaysSeparateAndSizeOneDimsDrop() {
    // out [4, 1, 3] contiguous; b broadcast along dim 0.
    long[] g = Geometry.of("t", new int[] {4, 1, 3}, new long[] {0, 0},
        new int[][] {{3, 3, 1}, {0, 7, 1}});
    assertArrayEquals(new long[] {2, 12, 4, 3, 0, 0, 3, 1, 0, 1}, trimmed(g, 2));
  }

  @Test
  void transposedOperandDoesNotMerge() {
    long[] g = Geometry.of("t", new int[] {2, 3}, new long[] {0, 0}, new int[][] {{3, 1}, {1, 2}});
    assertArrayEquals(new long[] {2, 6, 2, 3, 0, 0, 3, 1, 1, 2}, trimmed(g, 2));
  }

  @Test
  void scalarHasRankZeroAndOneElement() {
    long[] g = Geometry.of("t", new int[0], new long[] {9}, new int[][] {{}});
    assertArrayEquals(new long[] {0, 1, 9}, trimmed(g, 1));
  }

  @Test
  void emptyShapeHasZeroElements() {
    long[] g = Geometry.of("t", new int[] {3, 0}, new long[] {0}, new int[][] {{0, 1}});
    assertEquals(0, Geometry.numel(g));
  }

  @Test
  void tooManyUnmergeableDimsIsUnsupportedNamingTheOp() {
    int[] shape = new int[10];
    int[] strides = new int[10];
    Arrays.fill(shape, 2);
    for (int d = 0; d < 10; d++) {
      strides[d] = 1 << (2 * (9 - d));  // every dim has a gap: nothing merges
    }
    var e = assertThrows(UnsupportedOperationException.class,
        () -> Geometry.of("add", shape, new long[] {0}, new int[][] {strides}));
    assertEquals("add: cuda kernels take at most 8 dims that cannot be merged; got 10", e.getMessage());
  }

  @Test
  void highRankContiguousViewStillFits() {
    int[] shape = new int[12];
    Arrays.fill(shape, 2);
    int[] strides = dev.ember.spi.Strided.contiguousStrides(shape);
    long[] g = Geometry.of("t", shape, new long[] {0}, new int[][] {strides});
    assertEquals(1, Geometry.rank(g));
    assertEquals(4096, Geometry.numel(g));
  }
}
