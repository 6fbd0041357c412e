package dev.ember.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatSums}' float additions over one run on the Vector API, 8 lanes at a time, in exactly its
 * order, so they give its bits. Loaded only through {@link FloatSums} once {@link VectorSupport#ENABLED}
 * says the module is there. Off-heap data moves through per-thread float[] blocks, as in {@link
 * VectorMath}: Java 17's Vector API loads fast only from arrays (its byte-buffer loads ran at half the
 * speed of the copy, and are gone from Java 19). Built on JDK 22+, the multi-release jar carries a
 * second version of this class ({@code src/main/java22}) that loads straight from off-heap memory.
 */
final class VectorSums {
  private static final VectorSpecies<Float> F8 = VectorShape.FLOATS;
  private static final VectorSpecies<Double> D4 = VectorShape.DOUBLES;
  private static final VectorOperators.Conversion<Float, Double> F2D = VectorOperators.F2D;
  private static final int BLOCK = 2048;
  /**
   * Staging blocks, 4 floats longer: 4 floats widen to 4 doubles as the low half of an 8-float load,
   * {@code fromArray(F8, buf, i).convertShape(F2D, D4, 0)}, which Java 17 compiles to one load and one
   * conversion (part 1 would not be; and a 128-bit load would be a second vector shape, see {@link
   * VectorShape}). Written out at each use, not in a helper: C2 compiled such a helper on its own and then
   * did not inline it, and every widened vector was boxed.
   */
  private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][BLOCK + 4]);

  private VectorSums() {}

  /** Whether this version of the class loads straight from off-heap memory (false here: the floats are copied into heap blocks first, tests). */
  static boolean loadsOffHeap() {
    return false;
  }

  /**
   * Adds {@link FloatSums}' 32 lane sums of every 256-float block of the {@code full} floats at
   * {@code address} (a multiple of 256) into {@code d}. The lane sums of a staged run of blocks are
   * stored first and then widened to double 4 lanes at a time into 8 double vectors that hold {@code
   * d} (lane j still adds block after block, in order): reading a lane sum back right after its
   * 256-bit store, or adding the 32 lanes one by one in scalar code, measured 25-30% slower.
   */
  static void blocks(long address, int full, double[] d) {
    float[][] b = BUFFERS.get();
    float[] buf = b[0];
    float[] lanes = b[1];
    for (int start = 0; start < full; start += BLOCK) {
      int len = Math.min(BLOCK, full - start);
      Raw.copyToArray(address + 4L * start, buf, 0, 4L * len);
      for (int k = 0; k < len; k += 256) {
        blockLanes(buf, k, lanes, k / 8);
      }
      addLanes(lanes, len / 8, d);
    }
  }

  /** Adds the staged lane sums {@code lanes[0, count)} (32 per block, blocks in order) into {@code d[0, 32)}. */
  private static void addLanes(float[] lanes, int count, double[] d) {
    DoubleVector d0 = DoubleVector.fromArray(D4, d, 0);
    DoubleVector d1 = DoubleVector.fromArray(D4, d, 4);
    DoubleVector d2 = DoubleVector.fromArray(D4, d, 8);
    DoubleVector d3 = DoubleVector.fromArray(D4, d, 12);
    DoubleVector d4 = DoubleVector.fromArray(D4, d, 16);
    DoubleVector d5 = DoubleVector.fromArray(D4, d, 20);
    DoubleVector d6 = DoubleVector.fromArray(D4, d, 24);
    DoubleVector d7 = DoubleVector.fromArray(D4, d, 28);
    for (int l = 0; l < count; l += 32) {
      d0 = d0.add((DoubleVector) FloatVector.fromArray(F8, lanes, l).convertShape(F2D, D4, 0));
      d1 = d1.add((DoubleVector) FloatVector.fromArray(F8, lanes, l + 4).convertShape(F2D, D4, 0));
      d2 = d2.add((DoubleVector) FloatVector.fromArray(F8, lanes, l + 8).convertShape(F2D, D4, 0));
      d3 = d3.add((DoubleVector) FloatVector.fromArray(F8, lanes, l + 12).convertShape(F2D, D4, 0));
      d4 = d4.add((DoubleVector) FloatVector.fromArray(F8, lanes, l + 16).convertShape(F2D, D4, 0));
      d5 = d5.add((DoubleVector) FloatVector.fromArray(F8, lanes, l + 20).convertShape(F2D, D4, 0));
      d6 = d6.add((DoubleVector) FloatVector.fromArray(F8, lanes, l + 24).convertShape(F2D, D4, 0));
      d7 = d7.add((DoubleVector) FloatVector.fromArray(F8, lanes, l + 28).convertShape(F2D, D4, 0));
    }
    d0.intoArray(d, 0);
    d1.intoArray(d, 4);
    d2.intoArray(d, 8);
    d3.intoArray(d, 12);
    d4.intoArray(d, 16);
    d5.intoArray(d, 20);
    d6.intoArray(d, 24);
    d7.intoArray(d, 28);
  }

  /**
   * Sums buf[k, k + 256) into 32 float lanes ({@code lanes[at, at + 32)}), lane j taking elements
   * 32i + j: four independent vector chains, so the adds overlap instead of waiting on each other.
   */
  private static void blockLanes(float[] buf, int k, float[] lanes, int at) {
    FloatVector a0 = FloatVector.zero(F8);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    for (int i = k; i < k + 256; i += 32) {
      a0 = a0.add(FloatVector.fromArray(F8, buf, i));
      a1 = a1.add(FloatVector.fromArray(F8, buf, i + 8));
      a2 = a2.add(FloatVector.fromArray(F8, buf, i + 16));
      a3 = a3.add(FloatVector.fromArray(F8, buf, i + 24));
    }
    a0.intoArray(lanes, at);
    a1.intoArray(lanes, at + 8);
    a2.intoArray(lanes, at + 16);
    a3.intoArray(lanes, at + 24);
  }
}
