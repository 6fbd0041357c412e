package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
import dev.ember.ops.Pooling.Pool2d;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The CPU's direct max-pooling kernel (the 2x2 stride-2 fast path and the general window loop, float32
 * and float64) against the composed path on inputs full of ties and NaNs: the same values, and the
 * gradient at the same (first maximum, or first NaN) position of every window.
 */
class MaxPoolKernelTest {
  private static Tensor tiesAndNans(DType dtype, int... shape) {
    Random r = new Random(3);
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(8);
      v[i] = k == 0 ? Double.NaN : k < 4 ? 0 : k < 6 ? 1 : -1;
    }
    return Tensor.of(v, shape).to(dtype);
  }

  private static void sameBothWays(Function<Tensor, Tensor> pool, Tensor x) {
    double[][] fused = run(pool, x, true);
    double[][] composed = run(pool, x, false);
    assertArrayEquals(composed[0], fused[0], 0.0, "values");     // assertArrayEquals treats NaN == NaN
    assertArrayEquals(composed[1], fused[1], 0.0, "gradient");
  }

  private static double[][] run(Function<Tensor, Tensor> pool, Tensor x, boolean fused) {
    boolean was = FusedPrimitives.setEnabled(fused);
    try {
      long before = FusedPrimitives.calls();
      Tensor leaf = x.detach().clone().requiresGrad(true);
      Tensor y = pool.apply(leaf);
      y.backward(Tensor.onesLike(y));
      assertTrue(fused == FusedPrimitives.calls() > before, "fused path taken: " + fused);
      return new double[][] {y.toDoubleArray(), leaf.grad().toDoubleArray()};
    } finally {
      FusedPrimitives.setEnabled(was);
    }
  }

  @Test
  void twoByTwoFastPath() {
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      sameBothWays(x -> F.maxPool2d(x, 2), tiesAndNans(t, 2, 3, 6, 8));
      sameBothWays(x -> F.maxPool2d(x, 2), tiesAndNans(t, 1, 2, 7, 5));   // odd sizes: last row/column dropped
    }
  }

  @Test
  void twoByTwoKeepsSignedZerosInfinitiesAndNegativeNansBitForBit() {
    double negativeNan = Double.longBitsToDouble(0xfff8000000000000L);
    double[] pick = {-0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, negativeNan, 1, -1};
    Random r = new Random(5);
    double[] v = new double[2 * 4 * 10 * 12];
    for (int i = 0; i < v.length; i++) {
      v[i] = pick[r.nextInt(i % 3 == 0 ? pick.length : 4)];   // many windows of zeros and infinities only
    }
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = Tensor.of(v, 2, 4, 10, 12).to(t);
      double[][] fused = run(p -> F.maxPool2d(p, 2), x, true);
      double[][] composed = run(p -> F.maxPool2d(p, 2), x, false);
      for (int i = 0; i < fused[0].length; i++) {
        if (!Double.isNaN(composed[0][i])) {   // NaN payloads: the gradient below pins the chosen element
          assertEquals(Double.doubleToRawLongBits(composed[0][i]), Double.doubleToRawLongBits(fused[0][i]),
              t + " output " + i + ": " + composed[0][i] + " vs " + fused[0][i]);
        }
      }
      assertArrayEquals(composed[1], fused[1], 0.0, t + " gradient");
    }
  }

  @Test
  void twoByTwoOnRandomValues() {
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = Tensor.randn(3, 5, 12, 10).to(t);
      double[][] fused = run(p -> F.maxPool2d(p, 2), x, true);
      double[][] composed = run(p -> F.maxPool2d(p, 2), x, false);
      assertArrayEquals(composed[0], fused[0], 0.0, t + " values");
      assertArrayEquals(composed[1], fused[1], 0.0, t + " gradient");
    }
  }

  @Test
  void generalWindows() {
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      sameBothWays(x -> F.maxPool2d(x, 3, 2, 1), tiesAndNans(t, 2, 2, 7, 6));
      sameBothWays(x -> F.maxPool2d(x, Pool2d.of(2, 3).withStride(1, 2).withPadding(1).withCeilMode(true)),
          tiesAndNans(t, 1, 3, 5, 7));
      sameBothWays(x -> F.maxPool1d(x, 3, 2, 1, 1, true), tiesAndNans(t, 2, 3, 10));
    }
  }
}
