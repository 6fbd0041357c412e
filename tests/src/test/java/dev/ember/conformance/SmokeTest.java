package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ember.Tensor;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void basics() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
    Tensor y = x.mul(x).sum();
    y.backward();
    System.out.println(y + " " + x.grad());
    assertArrayEquals(new double[] {2, 4, 6}, x.grad().toDoubleArray(), 1e-12);
    Tensor a = Tensor.of(new float[][] {{1, 2, 3}, {4, 5, 6}});
    Tensor b = Tensor.of(new float[][] {{1, 0}, {0, 1}, {1, 1}});
    System.out.println(a.matmul(b));
    System.out.println(a.t().matmul(a));
    System.out.println(a.softmax(1));
    System.out.println(Tensor.randn(3, 4));
  }
}
