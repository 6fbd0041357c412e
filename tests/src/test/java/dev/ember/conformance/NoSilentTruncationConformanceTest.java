package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Index;
import dev.ember.Shape;
import dev.ember.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ops that used to convert or wrap their input silently raise where PyTorch raises: index_put_
 * and scatter_add_ of another dtype, subtraction and negation of bool tensors, negative indices in
 * gather and scatter_add.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class NoSilentTruncationConformanceTest {
  @Parameter
  Device device;

  private Tensor longs(long... v) {
    return Tensor.of(v).to(device);
  }

  private static void expectMessage(Class<? extends Throwable> type, Executable body, String... fragments) {
    Throwable e = assertThrows(type, body);
    for (String f : fragments) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(f),
          "message should contain '" + f + "': " + e.getMessage());
    }
  }

  @Test
  void indexPutOfAnotherDtypeRaisesInsteadOfTruncating() {
    Tensor x = Tensor.zeros(Shape.of(3), DType.INT64, device);
    Tensor value = Tensor.scalar(1.7, DType.FLOAT64).to(device);
    expectMessage(IllegalArgumentException.class, () -> x.indexPut(value, longs(0)), "index_put_",
        "Index put requires the source and destination dtypes match", "int64", "float64");
    expectMessage(IllegalArgumentException.class, () -> x.indexPut(value, 0), "index_put_", "float64", "int64");
    expectMessage(IllegalArgumentException.class, () -> x.indexPut(value, Index.slice(0, 2)), "index_put_");
    assertArrayEquals(new long[] {0, 0, 0}, x.toLongArray(), "nothing was written");
    // Same dtype still writes; with integer/slice indices a lossless conversion is allowed (copy_).
    x.indexPut(Tensor.scalar(7, DType.INT64).to(device), longs(0, 2));
    x.indexPut(Tensor.scalar(5, DType.INT32).to(device), 1);
    assertArrayEquals(new long[] {7, 5, 7}, x.toLongArray());
    Tensor f = Tensor.zeros(Shape.of(2), DType.FLOAT64, device);
    f.indexPut(Tensor.scalar(2.5, DType.FLOAT32).to(device), Index.slice(0, 1));
    assertArrayEquals(new double[] {2.5, 0}, f.toDoubleArray(), 0);
  }

  @Test
  void indexPutWritesTheValueItselfWhateverWasThere() {
    // Writing old + (new - old) gave 0 next to 1e20 and NaN over infinity.
    Tensor x = Tensor.of(new double[] {1e20, Double.POSITIVE_INFINITY, Double.NaN, 4}).to(device);
    x.indexPut(Tensor.of(new double[] {1, 2, 3}).to(device), longs(0, 1, 2));
    assertArrayEquals(new double[] {1, 2, 3, 4}, x.toDoubleArray(), 0);
    Tensor z = Tensor.of(new double[] {5, 6}).to(device);
    z.indexPut(Tensor.scalar(-0.0, DType.FLOAT64).to(device), longs(0));
    assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY, 1 / 6.0}, z.reciprocal().toDoubleArray(), 0,
        "-0.0 is written as -0.0");
    Tensor b = Tensor.of(new boolean[] {false, true, true}, 3).to(device);
    b.indexPut(Tensor.of(new boolean[] {true, false}, 2).to(device), longs(0, 1));
    assertArrayEquals(new boolean[] {true, false, true}, b.toBooleanArray(), "bool tensors take index_put_");
  }

  @Test
  void scatterAddRequiresSrcToHaveSelfsDtype() {
    Tensor x = Tensor.zeros(Shape.of(3), DType.INT64, device);
    Tensor src = Tensor.of(new float[] {1.7f}).to(device);
    expectMessage(IllegalArgumentException.class, () -> x.scatterAdd(0, longs(0), src), "scatter_add",
        "Expected self.dtype to be equal to src.dtype", "int64", "float32");
    assertArrayEquals(new long[] {0, 2, 0}, x.scatterAdd(0, longs(1), longs(2)).toLongArray());
  }

  @Test
  void subtractionAndNegationOfBoolTensorsRaise() {
    Tensor b = Tensor.of(new boolean[] {true, false}, 2).to(device);
    expectMessage(IllegalArgumentException.class, () -> b.sub(b), "sub:",
        "Subtraction, the `-` operator, with two bool tensors is not supported");
    expectMessage(IllegalArgumentException.class, () -> b.sub(longs(1, 1)), "sub:",
        "Subtraction, the `-` operator, with a bool tensor is not supported");
    expectMessage(IllegalArgumentException.class, () -> b.rsub(1), "Subtraction");
    expectMessage(IllegalArgumentException.class, () -> b.neg(), "neg:",
        "Negation, the `-` operator, on a bool tensor is not supported");
    expectMessage(IllegalArgumentException.class,
        () -> Tensor.zeros(Shape.of(2), DType.BOOL, device).subInPlace(b), "sub_:", "two bool tensors");
    // The supported spellings.
    assertArrayEquals(new boolean[] {false, true}, b.logicalNot().toBooleanArray());
    assertArrayEquals(new boolean[] {false, false}, b.logicalXor(b).toBooleanArray());
  }

  @Test
  void negativeIndicesInGatherAndScatterAddRaiseAsInPyTorch() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).to(device);
    expectMessage(IndexOutOfBoundsException.class, () -> x.gather(0, longs(-1)), "gather:",
        "index -1 is out of bounds for dimension 0 with size 3");
    expectMessage(IndexOutOfBoundsException.class, () -> x.gather(0, longs(3)), "gather:",
        "index 3 is out of bounds for dimension 0 with size 3");
    expectMessage(IndexOutOfBoundsException.class,
        () -> x.scatterAdd(0, longs(-1), Tensor.of(new double[] {1}).to(device)), "scatter_add:",
        "index -1 is out of bounds for dimension 0 with size 3");
    assertArrayEquals(new double[] {3, 1}, x.gather(0, longs(2, 0)).toDoubleArray(), 0);
    // Python-style indexing still counts negative indices from the end.
    assertArrayEquals(new double[] {3}, x.index(longs(-1)).toDoubleArray(), 0);
  }

  /**
   * Index checks read small index tensors back to the host and reduce large ones on the device: both
   * find a bad index wherever it sits, and an embedding names itself and its weight.
   */
  @Test
  void indexChecksCatchABadIndexInSmallAndLargeIndexTensors() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).to(device);
    for (int n : new int[] {5, 40_000}) {
      long[] idx = new long[n];
      idx[n - 2] = 3;
      expectMessage(IndexOutOfBoundsException.class, () -> x.gather(0, longs(idx)), "gather:",
          "index 3 is out of bounds for dimension 0 with size 3");
      idx[n - 2] = -4;
      expectMessage(IndexOutOfBoundsException.class, () -> x.index(longs(idx)), "index -4 is out of bounds");
      Tensor weight = Tensor.zeros(3, 2).to(device);
      idx[n - 2] = 7;
      expectMessage(IndexOutOfBoundsException.class,
          () -> dev.ember.nn.functional.F.embedding(longs(idx), weight), "embedding:", "index 7", "[3, 2]");
      idx[n - 2] = 2;
      assertEquals(2 * n, dev.ember.nn.functional.F.embedding(longs(idx), weight).numel());
    }
  }
}
