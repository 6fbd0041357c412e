package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.ops.Convolution;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Convolutions run their im2col in batch chunks once the column buffer would pass {@code
 * -Dember.conv.columnBytes}: chunked and whole-batch results and gradients (first and second order)
 * are identical (float64 with small-integer values, so every sum is exact), and a convolution whose
 * whole-batch columns would exceed 2 GiB runs.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class ConvChunkingConformanceTest {
  private static final String BOUND = "ember.conv.columnBytes";

  @Parameter
  Device device;

  /** Returns small integers as a float64 tensor that requires grad. */
  private Tensor ints(Random r, int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt(7) - 3;
    }
    return Tensor.of(v, shape).to(device).requiresGrad(true);
  }

  /** Runs {@code body} with the column bound set to {@code bytes}. */
  private static <T> T withBound(long bytes, Supplier<T> body) {
    String old = System.getProperty(BOUND);
    System.setProperty(BOUND, Long.toString(bytes));
    try {
      return body.get();
    } finally {
      if (old == null) {
        System.clearProperty(BOUND);
      } else {
        System.setProperty(BOUND, old);
      }
    }
  }

  /**
   * Returns the output, first-order gradients of x, w, b and a second-order gradient (of the
   * squared input gradient with respect to w), all flattened.
   */
  private static double[][] run(Tensor x, Tensor w, Tensor b, boolean transpose) {
    Tensor y = transpose
        ? Convolution.convTranspose2d(x, w, b, new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 0}, 2,
            new int[] {1, 2})
        : Convolution.conv2d(x, w, b, new int[] {2, 1}, new int[] {1, 2}, new int[] {1, 2}, 2);
    Tensor gy = y.detach().sin().sign(); // a fixed, non-uniform pattern of -1, 0, 1
    Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {x, w, b}, new Tensor[] {gy}, true, true, false);
    Tensor[] gg = Autograd.grad(new Tensor[] {g[0].mul(g[0]).sum()}, new Tensor[] {w}, null, false, false, false);
    return new double[][] {Checks.values(y), Checks.values(g[0]), Checks.values(g[1]), Checks.values(g[2]),
        Checks.values(gg[0])};
  }

  /** {@code perSampleBytes}: one sample's columns, so that a bound of 3x that makes chunks of 2. */
  private void chunkedMatchesWholeBatch(boolean transpose, long perSampleBytes) {
    Random r = new Random(5);
    Tensor x = ints(r, 5, 4, 7, 6);
    Tensor w = transpose ? ints(r, 4, 3, 3, 2) : ints(r, 6, 2, 3, 2);
    Tensor b = ints(r, 6);
    double[][] whole = withBound(Long.MAX_VALUE, () -> run(x, w, b, transpose));
    String[] what = {"output", "grad x", "grad w", "grad b", "grad of grad"};
    // 1 byte: one sample per chunk; then chunks of 2, 2 and 1.
    for (long bound : new long[] {1, 3 * perSampleBytes - 1}) {
      double[][] chunked = withBound(bound, () -> run(x, w, b, transpose));
      for (int i = 0; i < what.length; i++) {
        assertArrayEquals(whole[i], chunked[i], what[i] + " with a column bound of " + bound + " bytes");
      }
    }
  }

  @Test
  void chunkedConv2dMatchesTheWholeBatchExactly() {
    chunkedMatchesWholeBatch(false, 4 * 3 * 2 * 4 * 8 * 8); // C kh kw oh ow, float64
  }

  @Test
  void chunkedConvTranspose2dMatchesTheWholeBatchExactly() {
    chunkedMatchesWholeBatch(true, 6 * 3 * 2 * 7 * 6 * 8); // O kh kw h w, float64
  }

  @Test
  void chunkedConv1dMatchesTheWholeBatchExactly() {
    Random r = new Random(9);
    Tensor x = ints(r, 4, 3, 11);
    Tensor w = ints(r, 5, 3, 3);
    double[] whole = withBound(Long.MAX_VALUE,
        () -> Checks.values(Convolution.conv1d(x, w, null, 2, 1, 1, 1)));
    double[] chunked = withBound(1, () -> Checks.values(Convolution.conv1d(x, w, null, 2, 1, 1, 1)));
    assertArrayEquals(whole, chunked);
  }

  @Test
  void aConvolutionWhoseWholeBatchColumnsPassTwoGibRuns() {
    // 32 samples of [1, 128, 128] with a 65 x 65 kernel: 32 * 4225 * 64 * 64 float32 columns = 2.2 GB,
    // more than one CPU tensor may hold; in chunks of at most 256 MiB it runs.
    Tensor x = Tensor.ones(32, 1, 128, 128).to(device);
    Tensor w = Tensor.full(1.0 / 4225, 1, 1, 65, 65).to(device);
    // The composed (im2col) path is what chunks: a fused backend primitive (oneDNN) has no columns.
    Tensor y;
    try (var composed = dev.ember.internal.FusedPrimitives.suspend()) {
      y = Convolution.conv2d(x, w, null);
    }
    assertArrayEquals(new int[] {32, 1, 64, 64}, y.shapeArray());
    assertEquals(DType.FLOAT32, y.dtype());
    assertEquals(32 * 64 * 64, y.sum().item(), 32 * 64 * 64 * 1e-4); // float32 sums of 4225 terms
  }
}
