package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.RemovableHandle;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Small pieces of PyTorch's API: a null generator meaning the global one, removable hook handles,
 * {@code max()}/{@code min()} of all elements and {@code flatten(startDim)}.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class SmallApiConformanceTest {
  @Parameter
  Device device;

  @Test
  void aNullGeneratorMeansTheGlobalOne() {
    Shape s = Shape.of(2, 3);
    Generator.global().manualSeed(7);
    double[] expectedN = Tensor.randn(s, DType.FLOAT64, device, Generator.global()).toDoubleArray();
    double[] expectedU = Tensor.rand(s, DType.FLOAT64, device, Generator.global()).toDoubleArray();
    long[] expectedI = Tensor.randint(0, 9, s, device, Generator.global()).toLongArray();
    Generator.global().manualSeed(7);
    assertArrayEquals(expectedN, Tensor.randn(s, DType.FLOAT64, device, null).toDoubleArray(), 0);
    assertArrayEquals(expectedU, Tensor.rand(s, DType.FLOAT64, device, null).toDoubleArray(), 0);
    assertArrayEquals(expectedI, Tensor.randint(0, 9, s, device, null).toLongArray());
    Tensor ones = Tensor.ones(Shape.of(100), DType.FLOAT32, device);
    assertEquals(100, Activations.dropout(ones, 0.5, true, null).numel());
  }

  @Test
  void aHookHandleRemovesItsHook() {
    Tensor x = Tensor.of(new double[] {1, 2}).to(device).requiresGrad(true);
    AtomicInteger calls = new AtomicInteger();
    RemovableHandle doubling = x.registerHook(g -> g.mul(2));
    x.registerHook(g -> {
      calls.incrementAndGet();
      return null;
    });
    x.sum().backward();
    assertArrayEquals(new double[] {2, 2}, x.grad().toDoubleArray(), 0);
    doubling.remove();
    doubling.remove();
    x.setGrad(null);
    x.sum().backward();
    assertArrayEquals(new double[] {1, 1}, x.grad().toDoubleArray(), 0, "the removed hook no longer runs");
    assertEquals(2, calls.get(), "the other hook still runs");
    // On a non-leaf, and as try-with-resources.
    Tensor y = x.mul(3);
    try (RemovableHandle h = y.registerHook(g -> g.mul(0))) {
      x.setGrad(null);
      y.sum().backward(null, true, false);
      assertArrayEquals(new double[] {0, 0}, x.grad().toDoubleArray(), 0);
    }
    x.setGrad(null);
    y.sum().backward();
    assertArrayEquals(new double[] {3, 3}, x.grad().toDoubleArray(), 0);
  }

  @Test
  void maxAndMinOfAllElementsAndFlattenFromADim() {
    Tensor x = Tensor.of(new double[] {3, -1, 7, 7, 0, 2}, 2, 3).to(device).requiresGrad(true);
    Tensor max = x.max();
    assertEquals(0, max.dim());
    assertEquals(7, max.item(), 0);
    assertEquals(-1, x.min().item(), 0);
    max.backward();
    assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 0, 0}, x.grad().toDoubleArray(), 0, "ties share the gradient");
    assertEquals(7, Tensor.of(new long[] {3, 7, 1}).to(device).max().item(), 0);
    Tensor t = Tensor.zeros(Shape.of(2, 3, 4, 5), DType.FLOAT32, device);
    assertArrayEquals(new int[] {2, 60}, t.flatten(1).shapeArray());
    assertArrayEquals(new int[] {2, 3, 20}, t.flatten(-2).shapeArray());
    assertArrayEquals(new int[] {120}, t.flatten(0).shapeArray());
  }
}
