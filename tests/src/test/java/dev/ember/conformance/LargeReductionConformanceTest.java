package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reductions over broadcast views of more than 2^31 - 1 elements: no count, index or run length
 * may wrap around an int. The views are expanded from a few stored elements, so nothing large is
 * allocated.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class LargeReductionConformanceTest {
  @Parameter
  Device device;

  private Tensor stored(double[] values, int... shape) {
    return Tensor.of(values, shape).to(DType.FLOAT32).to(device);
  }

  private static double value(Tensor t) {
    return t.to(DType.FLOAT64).item();
  }

  @Test
  void fullReductionsOfTwoAndAHalfBillionBroadcastElements() {
    Tensor x = stored(new double[] {2}, 1, 1).expand(50000, 50000);
    assertEquals(2_500_000_000L, x.numel());
    assertEquals(5e9, value(x.sum()));
    assertEquals(2.0, value(x.mean()));
    assertEquals(2.0, value(x.amax()));
    assertEquals(2.0, value(x.amin()));
    assertEquals(0L, x.argmax().toLongArray()[0]);
    // 2^32 elements: a 32-bit count is exactly 0 here.
    Tensor y = stored(new double[] {1}, 1, 1).expand(65536, 65536);
    assertEquals(4294967296.0, value(y.sum()));
    assertEquals(1.0, value(y.mean()));
  }

  @Test
  void reductionsOverSomeDimsOfALargeBroadcastView() {
    Tensor x = stored(new double[] {1, -2, 3}, 1, 3).expand(1 << 30, 3);
    assertEquals(3L << 30, x.numel());
    assertEquals(2.0 * (1 << 30), value(x.sum()));
    assertArrayEquals(new double[] {1 << 30, -2.0 * (1 << 30), 3.0 * (1 << 30)},
        x.sum(new int[] {0}, false).to(DType.FLOAT64).toDoubleArray());
    assertArrayEquals(new double[] {1, -2, 3}, x.mean(new int[] {0}, false).to(DType.FLOAT64).toDoubleArray());
    assertArrayEquals(new double[] {1, -2, 3}, x.amax(new int[] {0}, false).to(DType.FLOAT64).toDoubleArray());
    assertEquals(3.0, value(x.amax()));
    assertEquals(-2.0, value(x.amin()));
    // (1 * -2 * 3)^(2^30) overflows to +inf; with an odd count of -1s the sign survives.
    assertEquals(Double.POSITIVE_INFINITY, value(x.prod()));
    Tensor signs = stored(new double[] {-1, 1}, 1, 2).expand((1 << 30) + 1, 2);
    assertEquals(-1.0, value(signs.prod()));
    assertEquals(0L, x.argmax(0, false).toLongArray()[2]);
  }

  @Test
  void argmaxOfALargeBroadcastViewIsARowMajorIndexBeyondAnInt() {
    Tensor x = stored(new double[] {0, 1, 2, 3, 4, 5}, 2, 1, 3).expand(2, 1 << 30, 3);
    // The first 5 sits at [1, 0, 2]: 1 * (2^30 * 3) + 2.
    assertEquals(3L * (1 << 30) + 2, x.argmax().toLongArray()[0]);
    Tensor negated = stored(new double[] {0, -1, -2, -3, -4, -5}, 2, 1, 3).expand(2, 1 << 30, 3);
    assertEquals(0L, negated.argmax().toLongArray()[0]);
  }

  @Test
  void integerSumsCountInSixtyFourBits() {
    Tensor x = Tensor.arange(4).to(device).reshape(1, 4).expand(1 << 29, 4);
    assertEquals(6L << 29, x.sum().toLongArray()[0]);
    Tensor ones = Tensor.ones(Shape.of(1, 1), DType.INT32, device).expand(50000, 50000);
    assertEquals(2_500_000_000L, ones.sum().toLongArray()[0]);
  }

  @Test
  void flatteningMoreElementsThanADimHoldsRaisesInsteadOfWrapping() {
    Tensor x = stored(new double[] {1}, 1, 1).expand(50000, 50000);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.reshape(-1));
    assertTrue(e.getMessage().startsWith("reshape:") && e.getMessage().contains("2500000000"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> x.flatten());
    assertTrue(e.getMessage().startsWith("flatten:"), e.getMessage());
    int big = Integer.MAX_VALUE;
    e = assertThrows(IllegalArgumentException.class, () -> x.expand(big, big, big, 50000, 50000));
    assertTrue(e.getMessage().startsWith("expand:") && e.getMessage().contains("overflows"), e.getMessage());
  }
}
