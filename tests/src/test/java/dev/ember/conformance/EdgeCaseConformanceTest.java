package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Edges where Ember used to answer quietly wrong or name the wrong op: view bounds ({@code narrow},
 * {@code slice}), ops on empty tensors that PyTorch allows, and errors that must name the op and
 * the real cause.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class EdgeCaseConformanceTest {
  @Parameter
  Device device;

  private Tensor arange(int n) {
    return Tensor.arange(n).to(DType.FLOAT32).to(device);
  }

  private Tensor zeros(int... shape) {
    return Tensor.zeros(Shape.of(shape), DType.FLOAT32, device);
  }

  private static <T extends Throwable> void expect(Class<T> type, Executable body, String... fragments) {
    T e = assertThrows(type, body);
    for (String f : fragments) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(f),
          "message should contain '" + f + "': " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ ReLU's signed zeros

  /**
   * ReLU as PyTorch computes it, {@code x < 0 ? +0.0 : x}, bit for bit: -0.0 and NaN stay, negatives
   * (-inf and the smallest denormal too) become +0.0. PyTorch 2.13: {@code torch.relu(torch.tensor(
   * [-0.0, nan, -inf]))} is {@code [-0., nan, 0.]}. Every path: small and large (the CPU's oneDNN
   * chain from 262,144 floats), contiguous and strided, float32 and float64, forward and in place.
   */
  @Test
  void reluKeepsNegativeZeroAndNaNAsPyTorchDoes() {
    double[] edges = {-0.0, 0.0, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -1, 2, -1e-45, 1e-45};
    double[] want = {-0.0, 0.0, Double.NaN, 0.0, Double.POSITIVE_INFINITY, 0.0, 2, 0.0, 1e-45};
    for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
      for (int n : new int[] {edges.length, 300_000}) {
        Tensor x = Tensor.of(edges).to(dtype).repeat(n / edges.length + 1).narrow(0, 0, n).contiguous().to(device);
        Tensor strided = x.unsqueeze(1).repeat(1, 2).select(1, 0); // a view with stride 2
        String where = dtype + ", " + n + " elements";
        assertEdgesBitForBit(want, x.relu(), where);
        assertEdgesBitForBit(want, strided.relu(), where + ", strided");
        assertEdgesBitForBit(want, x.clone().reluInPlace(), where + ", in place");
        assertEdgesBitForBit(want, x.clamp(0, Double.NaN), where + ", clamp(min = 0)"); // PyTorch's clamp keeps -0.0 too
        assertEdgesBitForBit(want, x.clone().clampInPlace(0, Double.NaN), where + ", clampInPlace(0, NaN)");
      }
    }
  }

  /** PyTorch's sign is {@code (x > 0) - (x < 0)}: +0.0 for -0.0 and for NaN (2.13, every size). */
  @Test
  void signOfNegativeZeroAndNaNIsPositiveZeroAsInPyTorch() {
    double[] edges = {-0.0, 0.0, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -1e-45, 1e-45, -3, 2};
    double[] want = {0.0, 0.0, 0.0, -1, 1, -1, 1, -1, 1};
    for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
      for (int n : new int[] {edges.length, 300_000}) {
        Tensor x = Tensor.of(edges).to(dtype).repeat(n / edges.length + 1).narrow(0, 0, n).contiguous().to(device);
        assertEdgesBitForBit(want, x.sign(), dtype + ", " + n + " elements, sign");
      }
    }
  }

  /** tanh saturates to exactly ±1 in float32 where the true value rounds there (|x| > 9.01), as in PyTorch. */
  @Test
  void tanhReachesExactlyOneInFloat32() {
    double[] edges = {9.5, -9.5, 20, -20, 88, -100, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0};
    double[] want = {1, -1, 1, -1, 1, -1, 1, -1, -0.0};
    for (int n : new int[] {edges.length, 4096, 300_000}) {
      Tensor x = Tensor.of(edges).to(DType.FLOAT32).repeat(n / edges.length + 1).narrow(0, 0, n).contiguous().to(device);
      assertEdgesBitForBit(want, x.tanh(), n + " elements, tanh");
    }
  }

  /**
   * Binary edges as PyTorch 2.13 gives them: C's pow (1^y = 1 for every y, NaN included; (-1)^(+-inf) =
   * 1; Java's Math.pow gives NaN), maximum/minimum returning the second of two equal values (+0.0 and
   * -0.0) and NaN from either side, and fmod/remainder/floor_divide exact at the extremes (the former
   * composition overflowed to NaN in float32 near 1e38 and lost all bits for quotients beyond 2^53).
   */
  @Test
  void binaryEdgesFollowPyTorch() {
    for (DType dtype : List.of(DType.FLOAT32, DType.FLOAT64)) {
      for (int n : new int[] {1, 70_000}) { // 70,000: large enough for the CPU's oneDNN binary path
        String where = dtype + ", " + n + " elements";
        Tensor a = Tensor.of(new double[] {1, 1, 1, -1, -1, 0.0, -0.0, Double.NaN, 2}).to(dtype)
            .repeat(n).to(device);
        Tensor b = Tensor.of(new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1, Double.NaN}).to(dtype).repeat(n).to(device);
        assertEdgesBitForBit(new double[] {1, 1, 1, 1, 1, 1, 1, Double.NaN, Double.NaN}, a.pow(b), where + ", pow");
        assertEdgesBitForBit(new double[] {Double.NaN, Double.POSITIVE_INFINITY, 1, Double.POSITIVE_INFINITY, -1, -0.0,
            0.0, Double.NaN, Double.NaN}, a.maximum(b), where + ", maximum");
        assertEdgesBitForBit(new double[] {Double.NaN, 1, Double.NEGATIVE_INFINITY, -1, Double.NEGATIVE_INFINITY, -0.0,
            0.0, Double.NaN, Double.NaN}, a.minimum(b), where + ", minimum");
      }
      Tensor big = Tensor.of(new double[] {-1, 1, 0.0, -2.5}).to(dtype).to(device);
      Tensor huge = Tensor.of(new double[] {1e38, -1e38, 1e38, 1e38}).to(dtype).to(device);
      assertEdgesBitForBit(new double[] {-1, 1, 0.0, -2.5}, big.fmod(huge), dtype + ", fmod by 1e38");
      assertEdgesBitForBit(new double[] {-1, -1, 0.0, -1}, big.floorDivide(huge), dtype + ", floor_divide by 1e38");
      if (dtype == DType.FLOAT64) { // quotients of 1e45: exact only on an fmod primitive (PyTorch's std::fmod)
        Tensor tiny = Tensor.of(new double[] {1e-45, 1e-45, 1e-45, 1e-45}).to(device);
        Tensor num = Tensor.of(new double[] {1, -2.5, 3, -1}).to(device);
        assertEdgesBitForBit(new double[] {5.6817036928598406E-46, -4.204259232149602E-46, 7.045111078579522E-46,
            -5.6817036928598406E-46}, num.fmod(tiny), "float64 fmod by 1e-45");
        assertEdgesBitForBit(new double[] {5.6817036928598406E-46, 5.795740767850398E-46, 7.045111078579522E-46,
            4.318296307140159E-46}, num.remainder(tiny), "float64 remainder by 1e-45");
      }
      // clamp keeps x of two equal values (PyTorch's x > max ? max : x), scalar and tensor bounds alike
      Tensor zeros = Tensor.of(new double[] {0.0, -0.0, Double.NaN, 1}).to(dtype).to(device);
      assertEdgesBitForBit(new double[] {0.0, -0.0, Double.NaN, -0.0}, zeros.clamp(Double.NaN, -0.0),
          dtype + ", clamp(max = -0.0)");
      assertEdgesBitForBit(new double[] {0.0, -0.0, Double.NaN, 1}, zeros.clamp(Tensor.zeros(4).to(dtype).to(device), null),
          dtype + ", clamp(min = zeros)");
      double h = dtype == DType.FLOAT32 ? (float) 1e38 : 1e38; // 1e38 - 1 and - 2.5 round back to it
      assertEdgesBitForBit(new double[] {h, -h, 0.0, h}, big.remainder(huge), dtype + ", remainder by 1e38");
    }
  }

  private static void assertEdgesBitForBit(double[] want, Tensor y, String where) {
    double[] got = y.narrow(0, 0, want.length).toDoubleArray();
    for (int i = 0; i < want.length; i++) {
      double w = y.dtype() == DType.FLOAT32 ? (float) want[i] : want[i];
      assertTrue(Double.doubleToRawLongBits(w) == Double.doubleToRawLongBits(got[i])
          || (Double.isNaN(w) && Double.isNaN(got[i])), "edge " + i + " (" + where + "): " + got[i] + ", want " + w);
    }
  }

  // ------------------------------------------------------------------ narrow / slice bounds

  @Test
  void narrowWrapsANegativeStartAsPyTorchDoes() {
    assertArrayEquals(new double[] {3, 4}, arange(5).narrow(0, -2, 2).toDoubleArray());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4}, arange(5).narrow(0, -5, 5).toDoubleArray());
    assertArrayEquals(new double[] {}, arange(5).narrow(0, 5, 0).toDoubleArray());
    assertArrayEquals(new double[] {4, 5},
        arange(6).reshape(2, 3).narrow(-1, -2, 2).select(0, 1).toDoubleArray());
  }

  @Test
  void narrowOutsideTheDimRaisesInsteadOfClamping() {
    expect(IllegalArgumentException.class, () -> zeros(5).narrow(0, 3, 4), "narrow:", "3", "4", "5");
    expect(IllegalArgumentException.class, () -> zeros(5).narrow(0, 3, -1), "narrow:", "-1");
    expect(IndexOutOfBoundsException.class, () -> zeros(5).narrow(0, 7, 1), "narrow:", "7");
    expect(IndexOutOfBoundsException.class, () -> zeros(5).narrow(0, -6, 1), "narrow:", "-6");
    expect(IllegalArgumentException.class, () -> zeros(5).narrow(0, 1, Integer.MAX_VALUE), "narrow:");
  }

  @Test
  void sliceWithAHugeStepDoesNotOverflow() {
    Tensor x = arange(5);
    assertArrayEquals(new double[] {0}, x.slice(0, 0, 5, Integer.MAX_VALUE).toDoubleArray());
    assertArrayEquals(new double[] {2}, x.slice(0, 2, Integer.MAX_VALUE, Integer.MAX_VALUE).toDoubleArray());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4},
        x.slice(0, Integer.MIN_VALUE, Integer.MAX_VALUE, 1).toDoubleArray());
    Tensor m = arange(12).reshape(3, 4);
    assertArrayEquals(new double[] {0, 1, 2, 3}, m.slice(0, 0, 3, Integer.MAX_VALUE).toDoubleArray());
    assertArrayEquals(new double[] {1, 5, 9}, m.slice(1, 1, 4, Integer.MAX_VALUE - 1).toDoubleArray());
  }

  @Test
  void windowsWithAHugeDilationDoNotOverflow() {
    Tensor x = zeros(1, 1, 5, 5);
    expect(IllegalArgumentException.class, () -> dev.ember.nn.functional.F.unfold(x, new int[] {3, 3},
        new int[] {Integer.MAX_VALUE, 1}, new int[] {0}, new int[] {1}), "unfold:", "4294967295");
  }

  @Test
  void splitsStillCoverTheDim() {
    List<Tensor> parts = arange(5).split(2, 0);
    assertArrayEquals(new double[] {4}, parts.get(2).toDoubleArray());
    assertArrayEquals(new double[] {2, 3, 4},
        dev.ember.ops.Shaping.split(arange(5), new int[] {2, 3}, 0).get(1).toDoubleArray());
  }

  // ------------------------------------------------------------------ empty tensors

  @Test
  void softmaxFamilyOnEmptyTensorsReturnsEmptyResults() {
    Tensor e = zeros(0, 3);
    assertArrayEquals(new int[] {0, 3}, e.softmax(0).shapeArray());
    assertArrayEquals(new int[] {0, 3}, e.softmax(1).shapeArray());
    assertArrayEquals(new int[] {0, 3}, e.logSoftmax(0).shapeArray());
    assertArrayEquals(new int[] {0, 3}, e.logSoftmax(-1).shapeArray());
  }

  @Test
  void logsumexpOverAnEmptyDimIsMinusInfinity() {
    Tensor e = zeros(0, 3);
    double inf = Double.NEGATIVE_INFINITY;
    assertArrayEquals(new double[] {inf, inf, inf}, e.logsumexp(0, false).toDoubleArray());
    assertArrayEquals(new int[] {1, 3}, e.logsumexp(0, true).shapeArray());
    assertArrayEquals(new int[] {0}, e.logsumexp(1, false).shapeArray());
    assertArrayEquals(new double[] {inf}, e.logsumexp(new int[] {0, 1}, false).reshape(1).toDoubleArray());
  }

  // ------------------------------------------------------------------ messages naming the cause

  @Test
  void errorsNameTheOpAndTheCause() {
    expect(IllegalArgumentException.class, () -> Tensor.zeros(65536, 65536, 65536, 65536), "overflow",
        "[65536, 65536, 65536, 65536]");
    expect(IllegalArgumentException.class, () -> zeros(2).repeat(-1), "repeat:", "negative", "[-1]");
    expect(IllegalArgumentException.class, () -> zeros(2).repeat(Integer.MAX_VALUE), "repeat:", "4294967294");
    Tensor index = Tensor.zeros(Shape.of(1, 3), DType.INT64, device);
    expect(IllegalArgumentException.class,
        () -> zeros(2, 3).scatterAdd(0, index, Tensor.ones(Shape.of(3), DType.FLOAT32, device)),
        "scatter_add:", "src [3]", "[2, 3]");
    expect(IllegalArgumentException.class, () -> zeros(0, 3).max(0, false), "max:", "zero-size dim 0");
    expect(IllegalArgumentException.class, () -> zeros(0, 3).min(0, false), "min:", "zero-size dim 0");
    expect(IllegalArgumentException.class, () -> Tensor.arange(3_000_000_000L), "arange:", "3000000000");
  }
}
