package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Index;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Backends;
import dev.ember.ops.Shaping;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Caller mistakes raise {@link IllegalArgumentException} (or {@link IndexOutOfBoundsException}),
 * bad state {@link IllegalStateException}; every message starts with the op's name and prints
 * shapes as {@code [2, 3]}. No exception from the native layers may reach a user.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class ErrorConformanceTest {
  @Parameter
  Device device;

  private Tensor zeros(DType t, int... shape) {
    return Tensor.zeros(Shape.of(shape), t, device);
  }

  private static <T extends Throwable> T expect(Class<T> type, Executable body, String... fragments) {
    T e = assertThrows(type, body);
    String m = e.getMessage();
    for (String f : fragments) {
      assertTrue(m != null && m.contains(f), "message should contain '" + f + "': " + m);
    }
    return e;
  }

  @Test
  void viewsOutsideTheStorageAreRefusedBeforeAnyKernelReadsMemory() {
    Tensor a = zeros(DType.FLOAT32, 2, 3);
    expect(IndexOutOfBoundsException.class, () -> a.asStrided(new int[] {3, 3}, new int[] {3, 1}, 0),
        "as_strided:", "[3, 3]", "outside a storage of 6");
    expect(IndexOutOfBoundsException.class, () -> a.asStrided(new int[] {2}, new int[] {-1}, 0),
        "as_strided:");
    assertEquals(4.0, a.asStrided(new int[] {2, 2}, new int[] {1, 2}, 1).numel());
  }

  @Test
  void shapeMismatchesNameTheOpAndBothShapes() {
    Tensor a = zeros(DType.FLOAT32, 2, 3);
    Tensor b = zeros(DType.FLOAT32, 4);
    expect(IllegalArgumentException.class, () -> a.add(b), "add:", "[2, 3]", "[4]");
    expect(IllegalArgumentException.class, () -> a.mul(b), "mul:", "[2, 3]", "[4]");
    expect(IllegalArgumentException.class, () -> a.matmul(zeros(DType.FLOAT32, 4, 5)), "matmul:", "[2, 3]",
        "[4, 5]", "3 != 4");
    expect(IllegalArgumentException.class, () -> Shaping.cat(List.of(a, zeros(DType.FLOAT32, 3, 4)), 0),
        "cat:", "[2, 3]", "[3, 4]");
    expect(IllegalArgumentException.class, () -> a.view(4, 2), "view:", "[4, 2]", "[2, 3]");
    expect(IllegalArgumentException.class, () -> a.expand(4, 3, 2), "expand:");
    expect(IllegalArgumentException.class, () -> a.addInPlace(zeros(DType.FLOAT32, 3, 2, 3)), "add_:");
  }

  @Test
  void dtypeMismatchesThatPyTorchRefuses() {
    Tensor f = zeros(DType.FLOAT32, 2, 2);
    Tensor d = zeros(DType.FLOAT64, 2, 2);
    expect(IllegalArgumentException.class, () -> f.matmul(d), "matmul:", "float32", "float64");
    Tensor i = zeros(DType.INT64, 2);
    expect(IllegalArgumentException.class, () -> i.addInPlace(zeros(DType.FLOAT32, 2)), "add_:", "float32",
        "int64");
    expect(IllegalArgumentException.class, () -> i.divInPlace(2.0), "div_:");
    expect(IllegalArgumentException.class, () -> i.mulInPlace(0.5), "mul_:");
    expect(IllegalArgumentException.class, () -> f.where(f.gt(0).to(DType.FLOAT32), f, f), "where:");
    expect(IllegalArgumentException.class, () -> i.mean(), "mean:", "int64");
    // Allowed promotions still work.
    assertEquals(DType.FLOAT64, f.add(d).dtype());
    assertEquals(DType.FLOAT32, i.add(zeros(DType.FLOAT32, 2)).dtype());
    assertEquals(DType.FLOAT32, i.div(i.add(1)).dtype());
  }

  @Test
  void backwardMisuse() {
    Tensor x = zeros(DType.FLOAT64, 3).requiresGrad(true);
    Tensor y = x.mul(2);
    expect(IllegalArgumentException.class, y::backward, "backward:", "scalar", "[3]");
    expect(IllegalArgumentException.class, () -> y.backward(Tensor.ones(Shape.of(2), DType.FLOAT64, device)),
        "backward:", "[2]", "[3]");
    Tensor s = x.exp().sum();
    s.backward();
    expect(IllegalStateException.class, s::backward, "backward:", "second time");
    expect(IllegalArgumentException.class, () -> zeros(DType.FLOAT64, 1).sum().backward(), "backward:",
        "does not require grad");
  }

  @Test
  void inPlaceVersionConflicts() {
    Tensor x = zeros(DType.FLOAT64, 3).add(1).requiresGrad(true);
    Tensor h = x.mul(1);
    Tensor y = h.sigmoid(); // saves its output
    y.addInPlace(1);
    expect(IllegalStateException.class, () -> y.sum().backward(), "sigmoid", "in-place", "version");
    expect(IllegalStateException.class, () -> x.mulInPlace(2), "mul_:", "leaf");
  }

  @Test
  void indexOutOfRangeNamesDimIndexAndSize() {
    Tensor x = zeros(DType.FLOAT32, 3, 4);
    expect(IndexOutOfBoundsException.class, () -> x.index(0, 4), "index 4", "dimension 1", "size 4");
    expect(IndexOutOfBoundsException.class, () -> x.index(-4), "index -4", "dimension 0", "size 3");
    expect(IndexOutOfBoundsException.class, () -> x.select(1, 7), "index 7", "dim 1", "size 4");
    expect(IndexOutOfBoundsException.class, () -> x.index(Tensor.of(new long[] {0, 3}).to(device)), "index 3",
        "dimension 0", "size 3");
    expect(IndexOutOfBoundsException.class, () -> x.indexSelect(1, Tensor.of(new long[] {9}).to(device)),
        "index 9", "dimension 1", "size 4");
    expect(IndexOutOfBoundsException.class, () -> x.gather(1, Tensor.of(new long[][] {{4}}).to(device)),
        "index 4", "size 4");
    expect(IndexOutOfBoundsException.class, () -> x.index(0, 0, 0), "too many indices");
    expect(IllegalArgumentException.class, () -> x.index(Index.ELLIPSIS, Index.ELLIPSIS), "ellipsis");
    expect(IllegalArgumentException.class, () -> x.index(Tensor.of(new double[] {0}).to(device)), "index:");
    expect(IndexOutOfBoundsException.class, () -> x.size(2), "size:", "dim 2");
    expect(IndexOutOfBoundsException.class, () -> x.sum(5, false), "sum:", "dim 5");
  }

  @Test
  void unknownOrUnavailableDevicesFailClearly() {
    Tensor t = zeros(DType.FLOAT32, 2);
    if (!Backends.isAvailable(Device.cuda())) {
      IllegalArgumentException e = expect(IllegalArgumentException.class, () -> t.to("cuda"), "to:", "cuda");
      assertTrue(e.getMessage().contains(Backends.unavailableReason(Device.cuda())), e.getMessage());
      assertTrue(!Device.cudaAvailable() && !Device.cudaUnavailableReason().isEmpty());
    }
    expect(IllegalArgumentException.class, () -> t.to("tpu"), "to:", "tpu", "no backend");
    expect(IllegalArgumentException.class, () -> Device.parse("tpu:x"), "tpu:x");
    expect(IllegalArgumentException.class, () -> Device.parse("CUDA!"), "CUDA!");
    expect(IllegalArgumentException.class, () -> Device.parse("cpu:1"), "cpu:1");
    expect(IllegalArgumentException.class, () -> Device.parse(""), "device");
    assertEquals(Device.cuda(1), Device.parse("cuda:1"));
    assertEquals(Device.cuda(0), Device.parse("cuda"));
    assertSame(Device.CPU, Device.parse("cpu"));
  }

  @Test
  void transfersAreDifferentiableAndSameDeviceIsANoOp() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).to(device).requiresGrad(true);
    assertSame(x, x.to(device));
    assertSame(x, x.to(device.toString()));
    Tensor host = x.to(Device.CPU);
    assertEquals(Device.CPU, host.device());
    Tensor back = host.mul(2).to(device);
    assertEquals(device, back.device());
    back.sum().backward();
    assertEquals(device, x.grad().device());
    Checks.assertClose(new double[] {2, 2, 2}, x.grad().toDoubleArray(), 0, "grad across to()");
    if (!device.isCpu()) {
      Tensor c = Tensor.of(new double[] {1, 2, 3});
      expect(IllegalArgumentException.class, () -> c.add(x), "add:", "different devices", "cpu",
          device.toString());
    }
  }

  @Test
  void nativeFailuresAreTranslated() {
    // 2^33 float32 elements: larger than any backend allows per tensor; must not escape as a
    // JavaCPP or driver error.
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> Tensor.zeros(Shape.of(1 << 17, 1 << 16), DType.FLOAT32, device));
    assertTrue(e instanceof IllegalArgumentException || e instanceof UnsupportedOperationException
        || e instanceof IllegalStateException || e instanceof dev.ember.spi.BackendException, e.toString());
    assertTrue(e.getClass().getName().startsWith("java.") || e.getClass().getName().startsWith("dev.ember."),
        e.toString());
    Tensor t = zeros(DType.FLOAT32, 2);
    t.close();
    t.close(); // idempotent
    expect(IllegalStateException.class, () -> t.add(t), "use after close");
    // Empty tensors go through the kernels without native errors.
    Tensor empty = zeros(DType.FLOAT32, 0, 3);
    assertEquals(0, empty.matmul(zeros(DType.FLOAT32, 3, 2)).numel());
    assertEquals(0.0, empty.sum().item());
    assertEquals(List.of(2, 0), List.of(zeros(DType.FLOAT32, 2, 0).size(0), zeros(DType.FLOAT32, 2, 0).size(1)));
    Checks.assertClose(new double[] {0, 0, 0, 0}, zeros(DType.FLOAT32, 2, 0).matmul(zeros(DType.FLOAT32, 0, 2))
        .toDoubleArray(), 0, "k = 0 matmul");
  }
}
