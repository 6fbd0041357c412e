package dev.ember.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatSums}' float additions on the Vector API, 8 lanes at a time, in exactly its order, so
 * they give its bits. Loaded only through {@link FloatSums} once {@link VectorSupport#ENABLED} says
 * the module is there. Off-heap data moves through per-thread float[] blocks, as in {@link
 * VectorMath} (Java 17's Vector API loads from arrays; its byte-buffer loads are gone from Java 19).
 */
final class VectorSums {
  private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
  private static final int BLOCK = 2048;
  private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][BLOCK]);
  /** Whether the machine has 256-bit vectors; narrower ones would run 8-float lanes in slow Java code. */
  private static final boolean USABLE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;

  private VectorSums() {}

  /** Returns whether the vector loops run here (256-bit vectors or wider). */
  static boolean usable() {
    return USABLE;
  }

  /**
   * Adds {@link FloatSums}' 32 lane sums of every 256-float block of the {@code full} floats at
   * {@code address} (a multiple of 256) into {@code d}.
   */
  static void blocks(long address, int full, double[] d) {
    float[][] b = BUFFERS.get();
    float[] buf = b[0];
    float[] lanes = b[1];
    for (int start = 0; start < full; start += BLOCK) {
      int len = Math.min(BLOCK, full - start);
      Raw.copyToArray(address + 4L * start, buf, 0, 4L * len);
      for (int k = 0; k < len; k += 256) {
        blockLanes(buf, k, lanes);
        for (int j = 0; j < 32; j++) {
          d[j] += lanes[j];
        }
      }
    }
  }

  /**
   * Sums buf[k, k + 256) into 32 float lanes ({@code lanes[0, 32)}), lane j taking elements 32i + j:
   * four independent vector chains, so the adds overlap instead of waiting on each other.
   */
  private static void blockLanes(float[] buf, int k, float[] lanes) {
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
    a0.intoArray(lanes, 0);
    a1.intoArray(lanes, 8);
    a2.intoArray(lanes, 16);
    a3.intoArray(lanes, 24);
  }
}
