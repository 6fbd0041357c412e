package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code resize_} and {@code resize_as_} ({@link Tensor#resizeInPlace}, {@link
 * Tensor#resizeAsInPlace}) on every device, with the results PyTorch 2.13 gives for the same calls
 * (checked by hand in PyTorch; noted per assertion): the storage's elements in row-major order,
 * growth with zeros seen by views, no shrinking, and the refusal of tensors that require grad.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class ResizeConformanceTest {
  @Parameter
  Device device;

  private Tensor range(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return Tensor.of(v).to(device);
  }

  @Test
  void resizeInPlaceReadsTheStorageInRowMajorOrder() {
    Tensor x = range(6).reshape(2, 3);
    int version = x.version();
    assertSame(x, x.resizeInPlace(3, 2));
    assertArrayEquals(new int[] {3, 2}, x.shapeArray());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, x.toDoubleArray(), 0);
    assertTrue(x.version() > version, "a new shape bumps the version");
    // a transposed view resized to another shape reads its storage, not its transposed values
    // (PyTorch: arange(6.).reshape(2, 3).t().resize_(2, 3) is [[0, 1, 2], [3, 4, 5]], strides (3, 1))
    Tensor t = range(6).reshape(2, 3).t();
    t.resizeInPlace(2, 3);
    assertArrayEquals(new int[] {3, 1}, t.stridesArray());
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, t.toDoubleArray(), 0);
    // the same shape changes nothing: strides and version kept, as PyTorch
    Tensor u = range(6).reshape(2, 3).t();
    int before = u.version();
    u.resizeInPlace(3, 2);
    assertArrayEquals(new int[] {1, 3}, u.stridesArray());
    assertEquals(before, u.version());
    // a strided view [0, 2, 4] resized to [3, 1] reads storage elements 0, 1, 2 (PyTorch: strides (1, 1))
    Tensor every2 = range(6).asStrided(new int[] {3}, new int[] {2}, 0);
    assertArrayEquals(new double[] {0, 1, 2}, every2.resizeInPlace(3, 1).toDoubleArray(), 0);
    // to a scalar and to nothing
    Tensor s = range(4).narrow(0, 1, 3);
    assertEquals(1.0, s.resizeInPlace().item(), 0, "the storage offset is kept");
    assertEquals(0, s.resizeInPlace(0).numel());
    // resize_as_ takes the other tensor's shape, whatever its dtype
    Tensor r = range(6).resizeAsInPlace(Tensor.zeros(2, 2).to(DType.INT64).to(device));
    assertArrayEquals(new int[] {2, 2}, r.shapeArray());
    assertEquals(DType.FLOAT64, r.dtype());
    assertArrayEquals(new double[] {0, 1, 2, 3}, r.toDoubleArray(), 0);
  }

  @Test
  void growingFillsWithZerosIsSeenByViewsAndTheStorageNeverShrinks() {
    Tensor a = range(4);
    Tensor b = a.view(2, 2);
    a.resizeInPlace(8);
    assertArrayEquals(new double[] {0, 1, 2, 3, 0, 0, 0, 0}, a.toDoubleArray(), 0,
        "new elements: PyTorch leaves them uninitialized, Ember zeros them");
    a.narrow(0, 4, 4).fillInPlace(1);
    b.view(4).narrow(0, 0, 1).fillInPlace(-1);
    assertEquals(-1.0, a.toDoubleArray()[0], 0, "the view shares the grown storage");
    assertArrayEquals(new int[] {2, 2}, b.shapeArray(), "a view keeps its shape");
    a.resizeInPlace(2);
    a.resizeInPlace(8);
    assertArrayEquals(new double[] {-1, 1, 2, 3, 1, 1, 1, 1}, a.toDoubleArray(), 0,
        "resizing down and up again gives back the old elements (PyTorch too)");
    // a view past the end of its base's storage grows the shared storage; the base keeps its shape
    // (PyTorch: v = arange(6.)[2:4]; v.resize_(10) is [2, 3, 4, 5, 0...] and the base stays [0..5])
    Tensor base = range(6);
    Tensor v = base.narrow(0, 2, 2);
    v.resizeInPlace(10);
    assertArrayEquals(new double[] {2, 3, 4, 5, 0, 0, 0, 0, 0, 0}, v.toDoubleArray(), 0);
    assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, base.toDoubleArray(), 0);
    // integer tensors and an empty tensor grow the same way
    Tensor e = Tensor.zeros(0).to(DType.INT64).to(device);
    assertArrayEquals(new long[] {0, 0, 0}, e.resizeInPlace(3).toLongArray());
  }

  @Test
  void tensorsThatRequireGradAreRefusedAndSavedOnesAreCaughtAtBackward() {
    Tensor w = range(3).requiresGrad(true);
    IllegalStateException leaf = assertThrows(IllegalStateException.class, () -> w.resizeInPlace(2));
    assertTrue(leaf.getMessage().contains("resize_") && leaf.getMessage().contains("requires grad")
        && leaf.getMessage().contains("[3]"), leaf.getMessage());
    assertThrows(IllegalStateException.class, () -> w.mul(2).resizeInPlace(2), "a non-leaf");
    try (GradMode off = GradMode.noGrad()) {
      assertThrows(IllegalStateException.class, () -> w.resizeInPlace(2), "even under no_grad, as PyTorch");
    }
    assertThrows(IllegalStateException.class, () -> w.resizeAsInPlace(range(2)));
    String negative = assertThrows(IllegalArgumentException.class, () -> range(3).resizeInPlace(2, -1))
        .getMessage();
    assertTrue(negative.contains("negative size -1"), negative);
    // a tensor saved by a recorded op may be resized, but backward then raises (PyTorch too)
    Tensor c = range(3);
    Tensor y = w.mul(c).sum();
    c.resizeInPlace(2);
    RuntimeException stale = assertThrows(RuntimeException.class, y::backward);
    assertTrue(stale.getMessage().contains("in-place"), stale.getMessage());
  }
}
