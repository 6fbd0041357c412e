package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.nn.Sigmoid;
import dev.ember.nn.Tanh;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch names that docs/pytorch-coverage.md maps to existing Ember methods which no other test
 * calls directly: comparisons and rounding, in-place fills, the {@code *_like} factories,
 * {@code linspace}, and the activation modules.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class SmallNamesConformanceTest {
  @Parameter
  Device device;

  @Test
  void comparisonsAndRounding() {
    Tensor x = Tensor.of(new double[] {-1.5, -0.5, 0.5, 2.0}).to(device);
    assertArrayEquals(new double[] {-2, -1, 0, 2}, x.floor().toDoubleArray(), 0);
    assertArrayEquals(new double[] {-1, -0, 1, 2}, x.ceil().toDoubleArray(), 0);
    Tensor same = x.eq(Tensor.of(new double[] {-1.5, 0, 0.5, 0}).to(device));
    assertEquals(DType.BOOL, same.dtype());
    assertArrayEquals(new boolean[] {true, false, true, false}, same.toBooleanArray());
    assertArrayEquals(new boolean[] {false, false, false, true}, x.eq(2.0).toBooleanArray());
  }

  @Test
  void inPlaceFillsAndLikeFactories() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).to(device);
    Tensor z = Tensor.zerosLike(x);
    Tensor f = Tensor.fullLike(x, 2.5);
    Tensor e = Tensor.emptyLike(x);
    for (Tensor t : new Tensor[] {z, f, e}) {
      assertEquals(x.shape(), t.shape());
      assertEquals(DType.FLOAT64, t.dtype());
      assertEquals(device, t.device());
    }
    assertArrayEquals(new double[6], z.toDoubleArray(), 0);
    assertArrayEquals(new double[] {2.5, 2.5, 2.5, 2.5, 2.5, 2.5}, f.toDoubleArray(), 0);
    Tensor row = x.select(0, 1);
    assertSame(row, row.zeroInPlace());
    assertArrayEquals(new double[] {1, 2, 3, 0, 0, 0}, x.toDoubleArray(), 0);
  }

  @Test
  void linspaceEndpoints() {
    Tensor t = Tensor.linspace(-1, 1, 5);
    assertEquals(DType.FLOAT32, t.dtype());
    assertArrayEquals(new float[] {-1f, -0.5f, 0f, 0.5f, 1f}, t.toFloatArray(), 0f);
    assertArrayEquals(new float[] {3f}, Tensor.linspace(3, 7, 1).toFloatArray(), 0f);
  }

  @Test
  void activationModules() {
    Tensor x = Tensor.of(new double[] {-2, 0, 3}).to(device);
    assertArrayEquals(x.sigmoid().toDoubleArray(), new Sigmoid().forward(x).toDoubleArray(), 0);
    assertArrayEquals(x.tanh().toDoubleArray(), new Tanh().forward(x).toDoubleArray(), 0);
    assertEquals(0.5, new Sigmoid().forward(x).toDoubleArray()[1], 0);
  }
}
