package dev.ember.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatSums}' float additions over one run on the Vector API, the Java 22+ version (in the
 * multi-release jar's {@code META-INF/versions/22}): the same additions in the same order as the Java
 * 17 class of {@code src/main/java}, so the same bits, but the floats are loaded straight from off-heap
 * memory ({@code FloatVector.fromMemorySegment}) instead of being copied into a heap block first, and
 * each block's 32 lane sums are widened to double in registers ({@code convertShape} part 0 and part 1,
 * which Java 17's C2 boxed). One thread sums the 1M floats of a {@code mean()} in 74 against 165-177 us
 * on Java 17 (docs/benchmarks.md, "tenth round").
 *
 * <p>Loads go through one segment over the whole address space ({@link MemorySegment#NULL}
 * reinterpreted, global scope, as in this version's {@link Raw}), sliced to the run, so a load outside
 * the run throws instead of reading other memory. {@code reinterpret} is
 * a restricted method: the JVM warns once unless native access is enabled ({@code
 * --enable-native-access=ALL-UNNAMED}, which JavaCPP's natives need on JDK 24+ anyway). Addresses come
 * only from {@link FloatSums}, whose callers check shapes and offsets against the storage.
 */
final class VectorSums {
  private static final VectorSpecies<Float> F8 = VectorShape.FLOATS;
  private static final VectorSpecies<Double> D4 = VectorShape.DOUBLES;
  private static final VectorOperators.Conversion<Float, Double> F2D = VectorOperators.F2D;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private VectorSums() {}

  /** The segment over the whole address space; initialized on the first sum. */
  private static final class Memory {
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
  }

  /** Whether this version of the class loads straight from off-heap memory (true in this version, tests). */
  static boolean loadsOffHeap() {
    return true;
  }

  /**
   * Adds {@link FloatSums}' 32 lane sums of every 256-float block of the {@code full} floats at
   * {@code address} (a multiple of 256) into {@code d}: lane j of a block sums its elements 32i + j,
   * i = 0..7, in float from 0 (four independent 8-float vectors), and goes into {@code d[j]}, block
   * after block. The 32 double accumulators stay in 8 vector registers for the whole run.
   */
  static void blocks(long address, int full, double[] d) {
    MemorySegment run = Memory.ALL.asSlice(address, 4L * full);
    DoubleVector d0 = DoubleVector.fromArray(D4, d, 0);
    DoubleVector d1 = DoubleVector.fromArray(D4, d, 4);
    DoubleVector d2 = DoubleVector.fromArray(D4, d, 8);
    DoubleVector d3 = DoubleVector.fromArray(D4, d, 12);
    DoubleVector d4 = DoubleVector.fromArray(D4, d, 16);
    DoubleVector d5 = DoubleVector.fromArray(D4, d, 20);
    DoubleVector d6 = DoubleVector.fromArray(D4, d, 24);
    DoubleVector d7 = DoubleVector.fromArray(D4, d, 28);
    int blocks = full / 256;
    for (int b = 0; b < blocks; b++) {
      long o = 1024L * b;
      FloatVector a0 = FloatVector.zero(F8);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      // Written out, the four chains interleaved: C2 kept an 8-step inner loop as a loop (102 us for 1M
      // floats) and a per-lane helper as four chains one after another (118 us), against 74 us here.
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 32, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 64, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 96, ORDER));
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o + 128, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 160, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 192, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 224, ORDER));
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o + 256, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 288, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 320, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 352, ORDER));
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o + 384, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 416, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 448, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 480, ORDER));
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o + 512, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 544, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 576, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 608, ORDER));
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o + 640, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 672, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 704, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 736, ORDER));
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o + 768, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 800, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 832, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 864, ORDER));
      a0 = a0.add(FloatVector.fromMemorySegment(F8, run, o + 896, ORDER));
      a1 = a1.add(FloatVector.fromMemorySegment(F8, run, o + 928, ORDER));
      a2 = a2.add(FloatVector.fromMemorySegment(F8, run, o + 960, ORDER));
      a3 = a3.add(FloatVector.fromMemorySegment(F8, run, o + 992, ORDER));
      d0 = d0.add((DoubleVector) a0.convertShape(F2D, D4, 0));
      d1 = d1.add((DoubleVector) a0.convertShape(F2D, D4, 1));
      d2 = d2.add((DoubleVector) a1.convertShape(F2D, D4, 0));
      d3 = d3.add((DoubleVector) a1.convertShape(F2D, D4, 1));
      d4 = d4.add((DoubleVector) a2.convertShape(F2D, D4, 0));
      d5 = d5.add((DoubleVector) a2.convertShape(F2D, D4, 1));
      d6 = d6.add((DoubleVector) a3.convertShape(F2D, D4, 0));
      d7 = d7.add((DoubleVector) a3.convertShape(F2D, D4, 1));
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
}
