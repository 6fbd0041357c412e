package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.Tensor;
import dev.ember.sparse.Sparse;
import dev.ember.sparse.SparseCooTensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sparse COO tensors ({@link SparseCooTensor}, {@link Sparse#mm}) on every device: the checks made
 * when one is built, coalescing, agreement with the dense ops, and float64 gradient checks w.r.t.
 * the values and the dense operand. PyTorch's own numbers are in {@link SparseGoldenConformanceTest}.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class SparseConformanceTest {
  @Parameter
  Device device;

  private Tensor longs(long[] values, int... shape) {
    return Tensor.of(values, shape).to(device);
  }

  private Tensor randn(long seed, int... shape) {
    return Checks.randn(new Random(seed), device, shape);
  }

  /** Indices [2, 5] of a [3, 4] matrix with two repeated entries, unsorted. */
  private Tensor repeats() {
    return longs(new long[] {0, 2, 1, 0, 2, 3, 1, 0, 3, 1}, 2, 5);
  }

  @Test
  void sparseCooTensorChecksItsPartsAsItIsMade() {
    Tensor v = randn(1, 5);
    SparseCooTensor s = SparseCooTensor.of(repeats(), v, 3, 4);
    assertArrayEquals(new int[] {3, 4}, s.shapeArray());
    assertEquals(2, s.sparseDim());
    assertEquals(0, s.denseDim());
    assertEquals(5, s.nnz());
    assertEquals(device, s.device());
    assertFalse(s.isCoalesced(), "several entries: uncoalesced until coalesce(), as PyTorch");
    assertSame(v, s.rawValues());
    IllegalStateException unco = assertThrows(IllegalStateException.class, s::indices);
    assertTrue(unco.getMessage().contains("uncoalesced") && unco.getMessage().contains("coalesce()"),
        unco.getMessage());
    // the size is inferred from the largest indices when not given
    assertArrayEquals(new int[] {3, 4}, SparseCooTensor.of(repeats(), v).shapeArray());
    // int32 indices are accepted and become int64
    assertEquals(DType.INT64, SparseCooTensor.of(repeats().to(DType.INT32), v, 3, 4).rawIndices().dtype());

    String range = assertThrows(IllegalArgumentException.class, () -> SparseCooTensor.of(repeats(), v, 3, 3))
        .getMessage();
    assertTrue(range.contains("index 3") && range.contains("dim 1 of size 3"), range);
    String negative = assertThrows(IllegalArgumentException.class,
        () -> SparseCooTensor.of(longs(new long[] {0, -1}, 1, 2), randn(2, 2), 4)).getMessage();
    assertTrue(negative.contains("index -1") && negative.contains("out of range"), negative);
    String nnz = assertThrows(IllegalArgumentException.class,
        () -> SparseCooTensor.of(repeats(), randn(3, 4), 3, 4)).getMessage();
    assertTrue(nnz.contains("same nnz") && nnz.contains("[2, 5]") && nnz.contains("[4]"), nnz);
    String dims = assertThrows(IllegalArgumentException.class, () -> SparseCooTensor.of(repeats(), v, 3))
        .getMessage();
    assertTrue(dims.contains("2 sparse dims") && dims.contains("0 dense dims"), dims);
    String dense = assertThrows(IllegalArgumentException.class,
        () -> SparseCooTensor.of(longs(new long[] {0, 1}, 1, 2), randn(3, 2, 3), 2, 4)).getMessage();
    assertTrue(dense.contains("[2, 3]") && dense.contains("dense sizes [3]"), dense);
    String dtype = assertThrows(IllegalArgumentException.class,
        () -> SparseCooTensor.of(randn(4, 1, 2), randn(5, 2), 2)).getMessage();
    assertTrue(dtype.contains("int64") && dtype.contains("float64"), dtype);
    String rank = assertThrows(IllegalArgumentException.class,
        () -> SparseCooTensor.of(longs(new long[] {0, 1}, 2), randn(6, 2), 2)).getMessage();
    assertTrue(rank.contains("2-d") && rank.contains("[2]"), rank);
  }

  @Test
  void coalesceSortsAndSumsRepeatsAndToDenseAddsThem() {
    Tensor v = Tensor.of(new double[] {1, 2, 3, 4, 5}).to(device);
    SparseCooTensor s = SparseCooTensor.of(repeats(), v, 3, 4);
    SparseCooTensor c = s.coalesce();
    assertTrue(c.isCoalesced());
    assertSame(c, c.coalesce());
    // entries (0,3) x2, (2,1) x2, (1,0): sorted row-major, repeats summed
    assertArrayEquals(new long[] {0, 1, 2, 3, 0, 1}, c.indices().toLongArray());
    assertArrayEquals(new double[] {1 + 4, 3, 2 + 5}, c.values().toDoubleArray(), 0);
    double[] expected = {0, 0, 0, 5, 3, 0, 0, 0, 0, 7, 0, 0};
    assertArrayEquals(expected, s.toDense().toDoubleArray(), 0);
    assertArrayEquals(expected, c.toDense().toDoubleArray(), 0);
    // a hybrid tensor: values [nnz, 2] spread over rows of a [3, 2] dense tensor
    SparseCooTensor h = SparseCooTensor.of(longs(new long[] {2, 0, 2}, 1, 3),
        Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2).to(device), 3, 2);
    assertEquals(1, h.denseDim());
    assertArrayEquals(new double[] {3, 4, 0, 0, 6, 8}, h.toDense().toDoubleArray(), 0);
    assertArrayEquals(new double[] {3, 4, 6, 8}, h.coalesce().values().toDoubleArray(), 0);
    GradCheck.check(in -> SparseCooTensor.of(repeats(), in[0], 3, 4).toDense(), randn(2, 5));
    GradCheck.check(in -> SparseCooTensor.of(repeats(), in[0], 3, 4).coalesce().values(), randn(3, 5));
    GradCheck.check(in -> SparseCooTensor.of(longs(new long[] {2, 0, 2}, 1, 3), in[0], 3, 2).toDense(),
        randn(4, 3, 2));
  }

  @Test
  void toSparseKeepsTheNonZerosInRowMajorOrder() {
    Tensor x = Tensor.of(new double[] {0, 2, 0, 3, 0, -1}, 2, 3).to(device);
    SparseCooTensor s = x.toSparse();
    assertTrue(s.isCoalesced());
    assertArrayEquals(new long[] {0, 1, 1, 1, 0, 2}, s.indices().toLongArray());
    assertArrayEquals(new double[] {2, 3, -1}, s.values().toDoubleArray(), 0);
    assertArrayEquals(x.toDoubleArray(), s.toDense().toDoubleArray(), 0);
    assertArrayEquals(x.toDoubleArray(), x.t().toSparse().toDense().t().contiguous().toDoubleArray(), 0);
    assertEquals(0, Tensor.zeros(3).to(device).toSparse().nnz());
    SparseCooTensor scalar = Tensor.of(new double[] {4}).to(device).reshape().toSparse();
    assertEquals(1, scalar.nnz());
    assertEquals(0, scalar.sparseDim());
    assertEquals(4.0, scalar.toDense().item(), 0);
    Tensor mask = Tensor.of(new double[] {1, 0, 1, 1, 0, 1}, 2, 3).to(device);
    GradCheck.check(in -> in[0].mul(mask).toSparse().values(), randn(17, 2, 3));
  }

  /**
   * pytorch/examples' GAT preprocessing, ported: {@code adj = torch.eye(V) + sparse_coo_tensor(edges.T,
   * ones(E), (V, V), dtype=int64)} (a repeated edge counts twice) and {@code diag(scale).to_sparse() @
   * features}.
   */
  @Test
  void gatPreprocessingPortsLineByLine() {
    Tensor edgesT = Tensor.of(new long[] {0, 1, 2, 0, 1, 0, 2, 1}, 2, 4).to(DType.INT32).to(device);
    Tensor ones = Tensor.ones(4).to(DType.INT64).to(device);
    SparseCooTensor adjSparse = SparseCooTensor.of(edgesT, ones, 3, 3);
    Tensor adj = adjSparse.add(Tensor.eye(3).to(device));
    assertEquals(DType.FLOAT32, adj.dtype(), "int64 sparse + float32 eye promotes as PyTorch");
    // edges (0,1) twice, (1,0) and (2,2), plus the self-loops
    assertArrayEquals(new double[] {1, 2, 0, 1, 1, 0, 0, 0, 2}, adj.toDoubleArray(), 0);
    Tensor features = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2).to(device);
    Tensor scale = Tensor.of(new double[] {0.5, 0, 2}).to(device);
    Tensor scaled = scale.diag(0).toSparse().matmul(features);
    assertArrayEquals(new double[] {0.5, 1, 0, 0, 10, 12}, scaled.toDoubleArray(), 0);
  }

  @Test
  void sparseMmAgreesWithTheDenseProductAndHasGradients() {
    SparseCooTensor s = SparseCooTensor.of(repeats(), randn(5, 5), 3, 4);
    Tensor d = randn(6, 4, 3);
    Checks.assertClose(Checks.values(s.toDense().matmul(d)), new int[] {3, 3}, Sparse.mm(s, d), 1e-12);
    Tensor vec = randn(7, 4);
    Tensor mv = s.matmul(vec);
    assertArrayEquals(new int[] {3}, mv.shapeArray());
    Checks.assertClose(Checks.values(s.toDense().matmul(vec)), new int[] {3}, mv, 1e-12);
    GradCheck.check(in -> Sparse.mm(SparseCooTensor.of(repeats(), in[0], 3, 4), in[1]), randn(8, 5),
        randn(9, 4, 2));
    GradCheck.check(in -> SparseCooTensor.of(repeats(), in[0], 3, 4).matmul(in[1].t()), randn(10, 5),
        randn(11, 2, 4)); // a transposed dense operand

    String shapes = assertThrows(IllegalArgumentException.class, () -> Sparse.mm(s, randn(12, 3, 2)))
        .getMessage();
    assertTrue(shapes.contains("[3, 4]") && shapes.contains("[3, 2]") && shapes.contains("4 != 3"), shapes);
    SparseCooTensor cube = SparseCooTensor.of(longs(new long[] {0, 1, 1}, 3, 1), randn(13, 1), 2, 2, 2);
    String rank = assertThrows(IllegalArgumentException.class, () -> Sparse.mm(cube, randn(14, 2, 2)))
        .getMessage();
    assertTrue(rank.contains("sparse_dim 3"), rank);
    String dtype = assertThrows(IllegalArgumentException.class, () -> Sparse.mm(s, d.to(DType.FLOAT32)))
        .getMessage();
    assertTrue(dtype.contains("float64") && dtype.contains("float32"), dtype);
  }

  @Test
  void addOfTwoSparseTensorsIsCoalescedAndDifferentiable() {
    Tensor i1 = longs(new long[] {0, 2, 3, 1}, 2, 2);
    Tensor i2 = longs(new long[] {2, 1, 1, 0}, 2, 2);
    SparseCooTensor a = SparseCooTensor.of(i1, Tensor.of(new double[] {1, 2}).to(device), 3, 4);
    SparseCooTensor b = SparseCooTensor.of(i2, Tensor.of(new double[] {10, 20}).to(device), 3, 4);
    SparseCooTensor sum = a.add(b);
    assertTrue(sum.isCoalesced());
    // entries (0,3) and (2,1) plus (2,1) and (1,0): three entries, sorted, (2,1) summed
    assertArrayEquals(new long[] {0, 1, 2, 3, 0, 1}, sum.indices().toLongArray());
    assertArrayEquals(new double[] {1, 20, 2 + 10}, sum.values().toDoubleArray(), 0);
    assertArrayEquals(new double[] {1, 40, 2 + 20}, a.add(b, 2).values().toDoubleArray(), 0);
    assertArrayEquals(a.toDense().add(b.toDense()).toDoubleArray(), a.add(b.toDense()).toDoubleArray(), 0);
    assertArrayEquals(new double[] {3, 6}, a.mul(3).rawValues().toDoubleArray(), 0);
    GradCheck.check(in -> SparseCooTensor.of(i1, in[0], 3, 4).add(SparseCooTensor.of(i2, in[1], 3, 4)).toDense(),
        randn(15, 2), randn(16, 2));
    String sizes = assertThrows(IllegalArgumentException.class,
        () -> a.add(SparseCooTensor.of(i2, Tensor.of(new double[] {1, 2}).to(device), 3, 5))).getMessage();
    assertTrue(sizes.contains("[3, 4]") && sizes.contains("[3, 5]"), sizes);
  }
}
