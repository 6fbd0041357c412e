package dev.ember.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A sum over a middle dim ({@code [outer, R, inner]} over R, see {@link Reductions}) on the Vector API,
 * in the scalar loop's order, so it gives its bits: rows are staged into a per-thread float[] a block
 * at a time and 16 columns at a time are widened to double and added in registers. Loaded only once
 * {@link VectorSupport#ENABLED} says the module is there, and used only where {@link
 * FloatSums#vector()} says the 8-float and 4-double shapes run.
 */
final class VectorRowSums {
  private static final VectorSpecies<Float> F8 = VectorShape.FLOATS;
  private static final VectorSpecies<Double> D4 = VectorShape.DOUBLES;
  private static final VectorOperators.Conversion<Float, Double> F2D = VectorOperators.F2D;
  private static final int BLOCK = 2048;
  /**
   * Staging block, 4 floats longer: 4 floats widen to 4 doubles as the low half of an 8-float load,
   * which Java 17 compiles to one load and one conversion (see {@link VectorShape} on why not a
   * 128-bit load).
   */
  private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[BLOCK + 4]);

  private VectorRowSums() {}

  /**
   * Adds rows {@code [0, rows)} of a float32 matrix at {@code address} (row r starts {@code
   * rowStride} floats after row r - 1), columns {@code [from, to)}, into {@code acc[at + k - from]}
   * for column k, in double: each accumulator takes its column's values in row order, as the scalar
   * loop {@code acc[at + k - from] += x[r][k]} over r = 0, 1, ... does, so the result is the same
   * bit for bit. Rows are staged into a per-thread float[] a block at a time, and 16 columns at a
   * time are widened to double (4 floats to 4 doubles per vector) and added in registers over the
   * block's rows.
   */
  static void addRows(long address, int rows, long rowStride, int from, int to, double[] acc, int at) {
    float[] stage = STAGE.get();
    for (int c0 = from; c0 < to; c0 += BLOCK) {
      int width = Math.min(BLOCK, to - c0);
      int rowsPerBlock = BLOCK / width;
      int a0 = at + c0 - from;
      for (int r0 = 0; r0 < rows; r0 += rowsPerBlock) {
        int n = Math.min(rowsPerBlock, rows - r0);
        long first = address + 4L * (r0 * rowStride + c0);
        if (rowStride == width) {
          Raw.copyToArray(first, stage, 0, 4L * n * width);
        } else {
          for (int r = 0; r < n; r++) {
            Raw.copyToArray(first + 4L * r * rowStride, stage, 4L * r * width, 4L * width);
          }
        }
        addStaged(stage, n, width, acc, a0);
      }
    }
  }

  /** Adds the {@code n} staged rows of {@code width} floats into {@code acc[a0, a0 + width)}, rows in order. */
  private static void addStaged(float[] stage, int n, int width, double[] acc, int a0) {
    int k = 0;
    for (; k + 16 <= width; k += 16) {
      DoubleVector s0 = DoubleVector.fromArray(D4, acc, a0 + k);
      DoubleVector s1 = DoubleVector.fromArray(D4, acc, a0 + k + 4);
      DoubleVector s2 = DoubleVector.fromArray(D4, acc, a0 + k + 8);
      DoubleVector s3 = DoubleVector.fromArray(D4, acc, a0 + k + 12);
      for (int r = 0, i = k; r < n; r++, i += width) {
        s0 = s0.add((DoubleVector) FloatVector.fromArray(F8, stage, i).convertShape(F2D, D4, 0));
        s1 = s1.add((DoubleVector) FloatVector.fromArray(F8, stage, i + 4).convertShape(F2D, D4, 0));
        s2 = s2.add((DoubleVector) FloatVector.fromArray(F8, stage, i + 8).convertShape(F2D, D4, 0));
        s3 = s3.add((DoubleVector) FloatVector.fromArray(F8, stage, i + 12).convertShape(F2D, D4, 0));
      }
      s0.intoArray(acc, a0 + k);
      s1.intoArray(acc, a0 + k + 4);
      s2.intoArray(acc, a0 + k + 8);
      s3.intoArray(acc, a0 + k + 12);
    }
    for (; k + 4 <= width; k += 4) {
      DoubleVector s0 = DoubleVector.fromArray(D4, acc, a0 + k);
      for (int r = 0, i = k; r < n; r++, i += width) {
        s0 = s0.add((DoubleVector) FloatVector.fromArray(F8, stage, i).convertShape(F2D, D4, 0));
      }
      s0.intoArray(acc, a0 + k);
    }
    for (; k < width; k++) {
      double v = acc[a0 + k];
      for (int r = 0, i = k; r < n; r++, i += width) {
        v += stage[i];
      }
      acc[a0 + k] = v;
    }
  }
}
