package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.Tensor;
import org.junit.jupiter.api.Test;

/**
 * float32 sums over leading dims (a bias gradient: the sum over the batch), which the CPU adds row by
 * row into double sums on a unit-stride loop: bit for bit the sequential double sum over the rows,
 * rounded once to float, for contiguous rows, rows of a narrowed view, and odd row lengths.
 */
class RowSumTest {
  private static void check(Tensor x2d, Tensor sum) {
    double[] v = x2d.toDoubleArray();
    int rows = x2d.size(0);
    int cols = x2d.size(1);
    double[] got = sum.toDoubleArray();
    for (int j = 0; j < cols; j++) {
      double acc = 0;
      for (int i = 0; i < rows; i++) {
        acc += (float) v[i * cols + j];
      }
      assertEquals(Float.floatToIntBits((float) acc), Float.floatToIntBits((float) got[j]), "column " + j);
    }
  }

  @Test
  void sumOverRowsIsTheSequentialDoubleSum() {
    Tensor.manualSeed(3);
    Tensor x = Tensor.randn(257, 37).mul(100);
    check(x, x.sum(0, false));
    Tensor wide = Tensor.randn(33, 50);
    Tensor narrowed = wide.narrow(1, 3, 41);
    check(narrowed.contiguous(), narrowed.sum(0, false));
    Tensor three = Tensor.randn(4, 9, 13);
    check(three.reshape(36, 13), three.sum(new int[] {0, 1}, false));
  }
}
