package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ember.DType;
import dev.ember.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Arg-max and arg-min along every dim of float32 and float64 tensors with ties and NaNs, on
 * contiguous and permuted layouts (each takes its own CPU path), against a plain-Java reference:
 * the first extreme wins and NaN counts as the extreme, as in PyTorch.
 */
class ArgmaxPathsTest {
  private static long[] reference(double[] v, int[] shape, int dim, boolean max) {
    int outer = 1;
    int inner = 1;
    for (int d = 0; d < dim; d++) {
      outer *= shape[d];
    }
    for (int d = dim + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    int k = shape[dim];
    long[] out = new long[outer * inner];
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        int best = 0;
        double b = v[(o * k) * inner + i];
        for (int s = 1; s < k && !Double.isNaN(b); s++) {
          double x = v[(o * k + s) * inner + i];
          if (Double.isNaN(x) || (max ? x > b : x < b)) {
            best = s;
            b = x;
          }
        }
        out[o * inner + i] = best;
      }
    }
    return out;
  }

  @Test
  void amaxAndAminPropagateNan() {
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = Tensor.of(new double[] {1, Double.NaN, 3, -2, 5, 0}, 2, 3).to(t);
      assertArrayEquals(new double[] {Double.NaN, 5}, x.amax(1, false).toDoubleArray(), 0.0, t.toString());
      assertArrayEquals(new double[] {Double.NaN, -2}, x.amin(1, false).toDoubleArray(), 0.0, t.toString());
      assertArrayEquals(new double[] {1, Double.NaN, 3}, x.amax(0, false).toDoubleArray(), 0.0, t.toString());
    }
  }

  @Test
  void firstExtremeWinsAndNanIsTheExtreme() {
    Random rnd = new Random(5);
    int[] shape = {3, 5, 700};
    double[] v = new double[3 * 5 * 700];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextInt(4);                   // many ties
      if (rnd.nextInt(50) == 0) {
        v[i] = Double.NaN;
      }
    }
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor x = Tensor.of(v, shape).to(t);
      for (int dim = 0; dim < 3; dim++) {
        for (boolean max : new boolean[] {true, false}) {
          long[] expected = reference(v, shape, dim, max);
          Tensor got = max ? x.argmax(dim, false) : x.argmin(dim, false);
          assertArrayEquals(expected, got.toLongArray(), t + " dim " + dim + (max ? " argmax" : " argmin"));
          // The same values through a permuted (non-contiguous) view.
          Tensor permuted = x.permute(2, 0, 1).contiguous().permute(1, 2, 0);
          Tensor viaView = max ? permuted.argmax(dim, false) : permuted.argmin(dim, false);
          assertArrayEquals(expected, viaView.toLongArray(), t + " permuted dim " + dim);
        }
      }
    }
  }
}
