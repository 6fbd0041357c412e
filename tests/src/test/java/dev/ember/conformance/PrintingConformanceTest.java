package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import org.junit.jupiter.api.Test;

/** {@code toString} matches what PyTorch 2.x prints for small tensors (strings taken from PyTorch). */
class PrintingConformanceTest {
  @Test
  void floatsArePaddedToOneWidth() {
    assertEquals("tensor([[ 4.,  5.],\n        [10., 11.]])",
        Tensor.of(new float[][] {{4, 5}, {10, 11}}).toString());
    assertEquals("tensor([ 1.5000, -2.2500,  3.0000])", Tensor.of(new float[] {1.5f, -2.25f, 3}).toString());
    assertEquals("tensor(3.5000, dtype=torch.float64)", Tensor.scalar(3.5, DType.FLOAT64).toString());
    assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.of(new float[] {1e-5f, 1}).toString());
  }

  @Test
  void integersAndBools() {
    assertEquals("tensor([ 1, 22, -3])", Tensor.of(new long[] {1, 22, -3}).toString());
    assertEquals("tensor([ True, False])", Tensor.of(new boolean[] {true, false}).toString());
    assertEquals("tensor([1, 2], dtype=torch.int32)", Tensor.of(new int[] {1, 2}).toString());
  }

  @Test
  void nestingAutogradAndEmpty() {
    assertEquals("tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])",
        Tensor.zeros(2, 2, 2).toString());
    Tensor x = Tensor.of(new float[] {1, 2}).requiresGrad(true);
    assertEquals("tensor([1., 2.], requires_grad=True)", x.toString());
    assertEquals("tensor([2., 4.], grad_fn=<MulBackward0>)", x.mul(2).toString());
    assertEquals("tensor([0.2689, 0.7311], grad_fn=<SoftmaxBackward0>)", x.softmax(0).toString());
    assertEquals("tensor([])", Tensor.zeros(0).toString());
    assertEquals("tensor([], size=(2, 0))", Tensor.zeros(2, 0).toString());
    assertEquals(Device.CPU, x.device());
  }

  @Test
  void nonFiniteValuesAndZerosDoNotWidenColumns() {
    // PyTorch sizes a floating column from its non-zero finite values only.
    assertEquals("tensor([inf, 2.])", Tensor.of(new float[] {Float.POSITIVE_INFINITY, 2}).toString());
    assertEquals("tensor([   nan, 1.5000])", Tensor.of(new float[] {Float.NaN, 1.5f}).toString());
    assertEquals("tensor([inf, -inf])",
        Tensor.of(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}).toString());
    assertEquals("tensor([1.0000e-05,        inf])", Tensor.of(new float[] {1e-5f, Float.POSITIVE_INFINITY})
        .toString());
    assertEquals("tensor([    0., -1000.])", Tensor.of(new float[] {0, -1000}).toString());
  }

  @Test
  void longRowsWrapAt80Columns() {
    assertEquals("tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        + "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        + "        28., 29.])", Tensor.arange(0, 30, 1, DType.FLOAT32).toString());
    String big = Tensor.zeros(Shape.of(2000), DType.FLOAT32, Device.CPU).toString();
    assertEquals("tensor([0., 0., 0.,  ..., 0., 0., 0.])", big);
  }
}
