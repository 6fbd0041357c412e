package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * In-place ops whose output shares memory with an input or with itself. PyTorch's rules: a
 * written-to tensor with broadcast dims raises, an input that partially overlaps the output raises,
 * the very same view is fine; Ember also copies an input that overlaps in a layout PyTorch doesn't
 * check, so no overlap can give a silent wrong answer. A raise never leaves a partial write.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class OverlapConformanceTest {
  private static final String PARTIAL = "some elements of the input tensor";
  private static final String INTERNAL = "more than one element of the written-to tensor";

  @Parameter
  Device device;

  private Tensor arange(int n) {
    return Tensor.arange(n).to(DType.FLOAT32).to(device);
  }

  private static void expectRaise(Executable body, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message should contain '" + f + "': " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ the cases of issue 13

  @Test
  void shiftedSliceOfTheSameStorageRaisesInsteadOfSmearingWrites() {
    Tensor x = arange(5);
    // Was [0, 1, 3, 6, 10]: each write was read again by the next element.
    expectRaise(() -> x.slice(0, 1, 5, 1).addInPlace(x.slice(0, 0, 4, 1)), "add_:", PARTIAL);
    assertArrayEquals(new double[] {0, 1, 2, 3, 4}, x.toDoubleArray());
    expectRaise(() -> x.slice(0, 1, 5, 1).copyInPlace(x.slice(0, 0, 4, 1)), "copy_:", PARTIAL);
    expectRaise(() -> x.slice(0, 0, 4, 1).addInPlace(x.slice(0, 1, 5, 1), 2.0), "add_:", PARTIAL);
    expectRaise(() -> x.slice(0, 0, 4, 1).mulInPlace(x.slice(0, 1, 5, 1)), "mul_:", PARTIAL);
    assertArrayEquals(new double[] {0, 1, 2, 3, 4}, x.toDoubleArray());
  }

  @Test
  void writingThroughABroadcastViewRaises() {
    Tensor base = Tensor.zeros(Shape.of(1, 3), DType.FLOAT32, device);
    Tensor wide = base.expand(4, 3);
    Tensor ones = Tensor.ones(Shape.of(4, 3), DType.FLOAT32, device);
    // Was 4s in the base: every row of the view wrote into the same three elements.
    expectRaise(() -> wide.addInPlace(ones), "add_:", INTERNAL, "[4, 3]");
    expectRaise(() -> wide.addInPlace(ones, 0.5), "add_:", INTERNAL);
    expectRaise(() -> wide.mulInPlace(2.0), "mul_:", INTERNAL);
    expectRaise(() -> wide.copyInPlace(ones), "copy_:", INTERNAL);
    expectRaise(() -> wide.clampInPlace(0, 1), "clamp_:", INTERNAL);
    expectRaise(() -> wide.indexPut(Tensor.scalar(5).to(device), 0), "index_put_:", INTERNAL);
    assertArrayEquals(new double[] {0, 0, 0}, base.toDoubleArray());
  }

  @Test
  void fillThroughABroadcastViewIsAllowedAsInPyTorch() {
    Tensor base = Tensor.zeros(Shape.of(1, 3), DType.FLOAT32, device);
    base.expand(4, 3).fillInPlace(7);
    assertArrayEquals(new double[] {7, 7, 7}, base.toDoubleArray());
  }

  @Test
  void theSameViewAsInputAndOutputIsAllowed() {
    Tensor x = arange(6).reshape(2, 3);
    x.addInPlace(x);
    x.mulInPlace(x.view(2, 3));
    x.addInPlace(x, -0.5);
    x.copyInPlace(x);
    assertArrayEquals(new double[] {0, 2, 8, 18, 32, 50}, x.toDoubleArray());
  }

  @Test
  void disjointSlicesOfOneStorageAreAllowedAndCorrect() {
    Tensor x = arange(8);
    x.slice(0, 0, 4, 1).addInPlace(x.slice(0, 4, 8, 1));
    assertArrayEquals(new double[] {4, 6, 8, 10, 4, 5, 6, 7}, x.toDoubleArray());
    // Interleaved columns: their address ranges overlap but no element is shared.
    Tensor m = arange(6).reshape(3, 2);
    m.select(1, 0).addInPlace(m.select(1, 1));
    assertArrayEquals(new double[] {1, 1, 5, 3, 9, 5}, m.toDoubleArray());
  }

  @Test
  void aPermutedViewOfTheSameElementsReadsTheOldValues() {
    // The same address range in another order: PyTorch lets it pass unchecked (and reads values it
    // already wrote); Ember copies the input, so the result is x + x^T of the old x.
    Tensor x = arange(9).reshape(3, 3);
    x.addInPlace(x.t());
    assertArrayEquals(new double[] {0, 4, 8, 4, 8, 12, 8, 12, 16}, x.toDoubleArray());
  }

  @Test
  void overlapRulesHoldWhenAutogradRecordsTheOp() {
    Tensor w = arange(9).reshape(3, 3).to(DType.FLOAT64).requiresGrad(true);
    Tensor x = w.mul(1);
    x.addInPlace(x.t());
    assertArrayEquals(new double[] {0, 4, 8, 4, 8, 12, 8, 12, 16}, x.toDoubleArray());
    x.sum().backward();
    assertArrayEquals(new double[] {2, 2, 2, 2, 2, 2, 2, 2, 2}, w.grad().toDoubleArray());
    Tensor y = w.reshape(9).mul(1);
    expectRaise(() -> y.addInPlace(y.narrow(0, 4, 1)), "add_:", PARTIAL);
  }

  @Test
  void indexPutOfAnOverlappingValueRaises() {
    Tensor x = arange(5);
    expectRaise(() -> x.indexPut(x.slice(0, 0, 2, 1), dev.ember.Index.slice(1, 3)), "index_put_:", PARTIAL);
    assertArrayEquals(new double[] {0, 1, 2, 3, 4}, x.toDoubleArray());
  }

  @Test
  void aBroadcastInputThatPartiallyOverlapsRaises() {
    Tensor x = arange(9).reshape(3, 3);
    expectRaise(() -> x.addInPlace(x.select(0, 0)), "add_:", PARTIAL);
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, x.toDoubleArray());
  }

  // ------------------------------------------------------------------ property test

  /** A random non-self-overlapping view of a 1-d storage of {@code n} elements, of a given shape. */
  private static Tensor randomView(Random r, Tensor base, int n, int[] shape) {
    // Dense layouts (unit inner stride, no gap) half the time, so partial overlaps are common.
    boolean dense = r.nextBoolean();
    int inner = dense ? 1 : 1 + r.nextInt(2);
    int gap = dense ? 0 : r.nextInt(3);
    int[] strides = new int[shape.length];
    if (shape.length == 1) {
      strides[0] = inner + gap;
    } else if (r.nextBoolean()) {
      strides[1] = inner;
      strides[0] = shape[1] * inner + gap;
    } else {
      strides[0] = inner;
      strides[1] = shape[0] * inner + gap;
    }
    int span = 0;
    for (int d = 0; d < shape.length; d++) {
      span += (shape[d] - 1) * strides[d];
    }
    return base.asStrided(shape, strides, r.nextInt(n - span));
  }

  private static long[] addresses(Tensor view) {
    return Arrays.stream(view.toDoubleArray()).mapToLong(v -> (long) v).toArray();
  }

  /** Whether the addresses, in any order, fill their [min, max] range exactly once. */
  private static boolean dense(long[] a) {
    long[] s = a.clone();
    Arrays.sort(s);
    for (int i = 1; i < s.length; i++) {
      if (s[i] != s[i - 1] + 1) {
        return false;
      }
    }
    return true;
  }

  @Test
  void randomViewsOfOneStorageRaiseOnPartialOverlapAndAreOtherwiseCorrect() {
    Random r = new Random(1313);
    int n = 48;
    int raised = 0;
    int allowedOverlap = 0;
    int disjoint = 0;
    for (int trial = 0; trial < 300; trial++) {
      int[] shape = r.nextBoolean() ? new int[] {1 + r.nextInt(8)}
          : new int[] {1 + r.nextInt(4), 1 + r.nextInt(4)};
      Tensor base = arange(n);
      Tensor out = randomView(r, base, n, shape);
      Tensor in = r.nextInt(6) == 0 ? out.view(shape) : randomView(r, base, n, shape);
      long[] oa = addresses(out);
      long[] ia = addresses(in);
      int op = r.nextInt(4);
      String what = "trial " + trial + ": op " + op + ", out " + out.shape() + " strides "
          + Arrays.toString(out.stridesArray()) + " offset " + out.storageOffset() + ", in strides "
          + Arrays.toString(in.stridesArray()) + " offset " + in.storageOffset();
      boolean identical = Arrays.equals(oa, ia);
      Set<Long> outSet = new HashSet<>();
      Arrays.stream(oa).forEach(outSet::add);
      boolean shared = Arrays.stream(ia).anyMatch(outSet::contains);
      long oMin = Arrays.stream(oa).min().getAsLong();
      long oMax = Arrays.stream(oa).max().getAsLong();
      long iMin = Arrays.stream(ia).min().getAsLong();
      long iMax = Arrays.stream(ia).max().getAsLong();
      boolean partial = !identical && shared && dense(oa) && dense(ia) && (oMin != iMin || oMax != iMax);
      double[] expected = new double[n];
      for (int i = 0; i < n; i++) {
        expected[i] = i;
      }
      for (int k = 0; k < oa.length; k++) {
        double o = oa[k];
        double v = ia[k];
        expected[(int) oa[k]] = switch (op) {
          case 0 -> o + v;
          case 1 -> o * v;
          case 2 -> o + 3 * v;
          default -> v;
        };
      }
      try {
        switch (op) {
          case 0 -> out.addInPlace(in);
          case 1 -> out.mulInPlace(in);
          case 2 -> out.addInPlace(in, 3.0);
          default -> out.copyInPlace(in);
        }
      } catch (IllegalArgumentException e) {
        assertTrue(shared && !identical, what + ": raised without a shared element: " + e.getMessage());
        assertTrue(e.getMessage().contains(PARTIAL), what + ": " + e.getMessage());
        double[] untouched = new double[n];
        Arrays.setAll(untouched, i -> i);
        assertArrayEquals(untouched, base.toDoubleArray(), what + ": a raise must not leave a partial write");
        raised++;
        continue;
      }
      assertFalse(partial, what + ": dense views that partially overlap must raise");
      Checks.assertClose(expected, base.toDoubleArray(), 0, what);
      if (shared) {
        allowedOverlap++;
      } else {
        disjoint++;
      }
    }
    if (raised < 10 || disjoint < 10 || allowedOverlap < 10) {
      fail("the trials should cover every class: raised " + raised + ", disjoint " + disjoint
          + ", overlapping but allowed " + allowedOverlap);
    }
  }
}
