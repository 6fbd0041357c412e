package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.spi.Strided;
import org.junit.jupiter.api.Test;

/**
 * {@link StridedCopy}: permutations that keep the last dim, narrows and offsets copy every element
 * to its place (against a per-element reference walk), on one thread and split across threads;
 * layouts whose inner run is strided or short are left to the element loops.
 */
class StridedCopyTest {
  /** A float32 storage of {@code n} elements holding 0, 1, 2, ... */
  private static CpuStorage counting(int n) {
    CpuStorage s = new CpuStorage(DType.FLOAT32, n);
    for (int i = 0; i < n; i++) {
      Raw.putFloat(s.at(i), i);
    }
    return s;
  }

  /** The view of {@code base} [a, b, c, d] (contiguous) with dims 1 and 2 swapped. */
  private static Strided swapped12(CpuStorage base, int a, int b, int c, int d) {
    return new Strided(base, DType.FLOAT32, new int[] {a, c, b, d}, new int[] {b * c * d, d, c * d, 1}, 0);
  }

  /** Copies with {@link StridedCopy#copyRuns} and checks each element against the source's strides. */
  private static void copyAndCheck(Strided src, String what) {
    CpuStorage out = new CpuStorage(DType.FLOAT32, (int) src.numel());
    Strided dst = Strided.contiguous(out, src.shape());
    assertTrue(StridedCopy.copyRuns(src, dst, 4), what + ": took the run copy");
    int[] shape = src.shape();
    int[] index = new int[shape.length];
    for (int lin = 0; lin < src.numel(); lin++) {
      long at = src.offset();
      for (int d = 0, rem = lin; d < shape.length; d++) {
        int below = 1;
        for (int e = d + 1; e < shape.length; e++) {
          below *= shape[e];
        }
        index[d] = rem / below;
        rem %= below;
        at += (long) index[d] * src.strides()[d];
      }
      assertEquals(Raw.getFloat(((CpuStorage) src.storage()).at(at)), Raw.getFloat(out.at(lin)),
          what + ", element " + lin);
    }
    out.close();
  }

  @Test
  void permutationsAndNarrowsCopyEveryElementToItsPlace() {
    CpuStorage small = counting(16 * 64 * 4 * 32);
    copyAndCheck(swapped12(small, 16, 64, 4, 32), "transpose(1, 2) of [16, 64, 4, 32]");
    // A narrow of the last dim (runs of 20 of 32) starting at an offset, inside a transposed view.
    copyAndCheck(new Strided(small, DType.FLOAT32, new int[] {16, 4, 64, 20}, new int[] {8192, 32, 128, 1}, 5),
        "narrowed transpose");
    small.close();
    // Past the parallel threshold: the runs are split across threads.
    int n = 8 * 128 * 4 * 64;
    assertTrue(n >= StridedLoop.PARALLEL_THRESHOLD);
    CpuStorage large = counting(n);
    copyAndCheck(swapped12(large, 8, 128, 4, 64), "transpose(1, 2) of [8, 128, 4, 64]");
    large.close();
    // Odd sizes: the threads' share of the runs starts and ends inside the innermost outer dim.
    CpuStorage odd = counting(9 * 131 * 5 * 64);
    copyAndCheck(swapped12(odd, 9, 131, 5, 64), "transpose(1, 2) of [9, 131, 5, 64]");
    odd.close();
    // One outer dim (the rows of a narrow) and three (a 5-d permutation keeping the last dim).
    CpuStorage rows = counting(37 * 40);
    copyAndCheck(new Strided(rows, DType.FLOAT32, new int[] {37, 24}, new int[] {40, 1}, 3), "narrowed rows");
    rows.close();
    CpuStorage five = counting(3 * 5 * 7 * 2 * 16);
    copyAndCheck(new Strided(five, DType.FLOAT32, new int[] {7, 3, 2, 5, 16}, new int[] {32, 1120, 16, 224, 1}, 0),
        "permute(2, 0, 3, 1, 4) of [3, 5, 7, 2, 16]");
    five.close();
  }

  @Test
  void stridedOrShortInnerRunsAreLeftToTheElementLoops() {
    CpuStorage s = counting(64 * 64);
    CpuStorage out = new CpuStorage(DType.FLOAT32, 64 * 64);
    Strided transposed = new Strided(s, DType.FLOAT32, new int[] {64, 64}, new int[] {1, 64}, 0);
    assertFalse(StridedCopy.copyRuns(transposed, Strided.contiguous(out, 64, 64), 4), "strided inner run");
    Strided shortRuns = new Strided(s, DType.FLOAT32, new int[] {64, 8}, new int[] {64, 1}, 0);
    CpuStorage out2 = new CpuStorage(DType.FLOAT32, 64 * 8);
    assertFalse(StridedCopy.copyRuns(shortRuns, Strided.contiguous(out2, 64, 8), 4), "runs of 8");
    s.close();
    out.close();
    out2.close();
  }
}
