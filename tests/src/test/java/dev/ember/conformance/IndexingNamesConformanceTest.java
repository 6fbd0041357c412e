package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.ops.Reductions;
import dev.ember.ops.Sorting;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Behaviour of the sorting, indexing, rearranging and sampling names of issue 12 part A beyond the
 * golden values: PyTorch's order for NaN, signed zeros and ties, int64 outputs, views, in-place
 * forms, seeded sampling, and a clear message naming the op and the shapes for bad input.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class IndexingNamesConformanceTest {
  @Parameter
  Device device;

  private Tensor doubles(double... v) {
    return Tensor.of(v).to(device);
  }

  private Tensor longs(long[] v, int... shape) {
    return Tensor.of(v, shape).to(device);
  }

  @Test
  void sortPutsNanLastKeepsTiesInOrderAndGivesInt64Indices() {
    Tensor x = doubles(2, Double.NaN, -1, 0.5, -0.0, 0.0);
    Reductions.ValuesIndices up = x.sort();
    assertEquals(DType.INT64, up.indices().dtype());
    assertArrayEquals(new long[] {2, 4, 5, 3, 0, 1}, up.indices().toLongArray());
    assertArrayEquals(new double[] {-1, -0.0, 0.0, 0.5, 2, Double.NaN}, up.values().toDoubleArray(), 0);
    assertArrayEquals(new long[] {1, 0, 3, 4, 5, 2}, x.sort(0, true).indices().toLongArray());
    assertArrayEquals(new long[] {1, 0, 3, 4, 5, 2}, x.argsort(0, true, true).toLongArray());
    // float32 and int32 sort as packed 32-bit keys, float64 and int64 by a merge sort: the same order
    assertArrayEquals(new long[] {2, 4, 5, 3, 0, 1}, x.to(DType.FLOAT32).argsort().toLongArray());
    assertArrayEquals(new long[] {1, 0, 3, 4, 5, 2}, x.to(DType.FLOAT32).argsort(0, true).toLongArray());
    Tensor i32 = Tensor.of(new int[] {3, -7, 3, Integer.MAX_VALUE, Integer.MIN_VALUE}).to(device);
    assertArrayEquals(new long[] {4, 1, 0, 2, 3}, i32.argsort().toLongArray());
    assertArrayEquals(new long[] {3, 0, 2, 1, 4}, i32.argsort(0, true).toLongArray());
    assertArrayEquals(new long[] {1, 2, 0}, Tensor.of(new boolean[] {true, false, false}).to(device).argsort()
        .toLongArray());
    Tensor ints = longs(new long[] {3, 1, 3, Long.MAX_VALUE, Long.MAX_VALUE - 1}, 5);
    assertArrayEquals(new long[] {1, 3, 3, Long.MAX_VALUE - 1, Long.MAX_VALUE}, ints.sort().values().toLongArray());
    assertEquals(DType.INT64, ints.sort().values().dtype());
    assertArrayEquals(new long[] {1, 0, 2, 4, 3}, ints.argsort().toLongArray());
    Reductions.ValuesIndices top = doubles(1, 5, 5, 2).topk(2);
    assertArrayEquals(new long[] {1, 2}, top.indices().toLongArray());
    assertArrayEquals(new double[] {1, 2}, doubles(1, 5, 5, 2).topk(2, 0, false, false).values().toDoubleArray(), 0);
    Tensor grid = Tensor.of(new double[] {4, 1, 3, 2, 6, 5}, 2, 3).to(device);
    assertArrayEquals(new long[] {1, 0, 0, 0, 1, 1}, grid.argsort(0, false).toLongArray());
  }

  @Test
  void uniqueBucketizeAndCounting() {
    Sorting.Unique u = longs(new long[] {3, 1, 3, 0, 1, 7}, 2, 3).unique();
    assertArrayEquals(new long[] {0, 1, 3, 7}, u.values().toLongArray());
    assertArrayEquals(new int[] {2, 3}, u.inverse().shapeArray());
    assertArrayEquals(new long[] {2, 1, 2, 0, 1, 3}, u.inverse().toLongArray());
    assertArrayEquals(new long[] {1, 2, 2, 1}, u.counts().toLongArray());
    assertEquals(DType.INT64, u.inverse().dtype());
    Tensor b = Tensor.bucketize(doubles(0, 1, 3, 8), doubles(1, 3, 5), false);
    assertEquals(DType.INT64, b.dtype());
    assertArrayEquals(new long[] {0, 0, 1, 3}, b.toLongArray());
    assertArrayEquals(new long[] {0, 1, 2, 3}, Tensor.bucketize(doubles(0, 1, 3, 8), doubles(1, 3, 5), true)
        .toLongArray());
    Tensor m = Tensor.of(new double[] {0, 1.5, 0, 2, 0, -1}, 2, 3).to(device);
    assertEquals(3L, m.countNonzero().toLongArray()[0]);
    assertEquals(DType.INT64, m.countNonzero().dtype());
    assertArrayEquals(new long[] {1, 2}, m.countNonzero(1).toLongArray());
    Tensor nz = m.nonzero();
    assertEquals(DType.INT64, nz.dtype());
    assertArrayEquals(new int[] {3, 2}, nz.shapeArray());
    assertArrayEquals(new long[] {0, 1, 1, 0, 1, 2}, nz.toLongArray());
    assertArrayEquals(new long[] {1, 0, 0, 2}, longs(new long[] {3, 0, 3}, 3).bincount().toLongArray());
  }

  @Test
  void scatterLastWriteWinsInPlaceFormsReturnSelfAndIndexAddAccumulates() {
    Tensor x = Tensor.zeros(Shape.of(4), DType.FLOAT64, device);
    Tensor index = longs(new long[] {1, 3, 1}, 3);
    Tensor out = x.scatter(0, index, doubles(10, 20, 30));
    assertArrayEquals(new double[] {0, 30, 0, 20}, out.toDoubleArray(), 0);
    assertArrayEquals(new double[4], x.toDoubleArray(), 0);
    assertSame(x, x.scatterInPlace(0, index, 7.0));
    assertArrayEquals(new double[] {0, 7, 0, 7}, x.toDoubleArray(), 0);
    Tensor y = Tensor.ones(Shape.of(3, 2), DType.FLOAT64, device);
    assertSame(y, y.indexAddInPlace(0, longs(new long[] {2, 2}, 2), Tensor.ones(Shape.of(2, 2), DType.FLOAT64,
        device), 0.5));
    assertArrayEquals(new double[] {1, 1, 1, 1, 2, 2}, y.toDoubleArray(), 0);
    Tensor view = Tensor.zeros(Shape.of(3, 3), DType.FLOAT64, device);
    view.diagonal().copyInPlace(doubles(1, 2, 3));
    assertArrayEquals(new double[] {1, 0, 0, 0, 2, 0, 0, 0, 3}, view.toDoubleArray(), 0);
    assertEquals(6.0, view.trace().item(), 0);
    Tensor d = doubles(1, 2).diag(1);
    assertArrayEquals(new double[] {0, 1, 0, 0, 0, 2, 0, 0, 0}, d.toDoubleArray(), 0);
  }

  @Test
  void cumprodPromotesIntegersAndNewFactoriesFollowTheTensor() {
    Tensor i = Tensor.of(new int[] {2, 3, 4}).to(device);
    assertEquals(DType.INT64, i.cumprod(0).dtype());
    assertArrayEquals(new long[] {2, 6, 24}, i.cumprod(0).toLongArray());
    assertArrayEquals(new double[] {2, 0, 0}, doubles(2, 0, 5).cumprod(0).toDoubleArray(), 0);
    Tensor f = Tensor.ones(Shape.of(2), DType.FLOAT64, device);
    for (Tensor t : List.of(f.newZeros(2, 3), f.newOnes(2, 3), f.newFull(4, 2, 3), f.newEmpty(2, 3))) {
      assertEquals(DType.FLOAT64, t.dtype());
      assertEquals(device, t.device());
      assertArrayEquals(new int[] {2, 3}, t.shapeArray());
    }
    assertArrayEquals(new double[] {4, 4}, f.newFull(4, 2).toDoubleArray(), 0);
    Tensor g = Tensor.zeros(Shape.of(2, 3, 4), DType.FLOAT32, device);
    assertArrayEquals(new int[] {12, 4, 1}, g.stride());
    assertEquals(12, g.transpose(0, 2).stride(-1));
    assertArrayEquals(new int[] {4, 3, 2}, g.T().shapeArray());
    assertArrayEquals(new int[] {2, 4, 3}, g.mT().shapeArray());
    assertArrayEquals(new int[] {2, 3, 4}, doubles(1, 2, 3, 4).expandAs(g).shapeArray());
    List<Tensor> xy = Tensor.meshgrid(List.of(doubles(1, 2, 3), doubles(5, 6)), "xy");
    assertArrayEquals(new int[] {2, 3}, xy.get(0).shapeArray());
    assertArrayEquals(new double[] {5, 5, 5, 6, 6, 6}, xy.get(1).toDoubleArray(), 0);
    assertEquals(3, g.unbind(1).size());
    assertArrayEquals(new double[] {1, 1, 2, 2}, doubles(1, 2).repeatInterleave(2).toDoubleArray(), 0);
    assertArrayEquals(new double[] {4, 1, 2, 3}, doubles(1, 2, 3, 4).roll(1).toDoubleArray(), 0);
    assertArrayEquals(new double[] {3, 2, 1}, doubles(1, 2, 3).flip(0).toDoubleArray(), 0);
    assertArrayEquals(new double[] {2, 3}, doubles(1, 2, 3).maskedSelect(
        Tensor.of(new boolean[] {false, true, true}).to(device)).toDoubleArray(), 0);
    assertEquals(11.0, doubles(1, 2).dot(doubles(3, 4)).item(), 0);
  }

  @Test
  void samplingIsDeterministicUnderASeedAndHasTheRightDistribution() {
    Tensor p1 = Tensor.randperm(50, DType.INT64, device, new Generator(5));
    Tensor p2 = Tensor.randperm(50, DType.INT64, device, new Generator(5));
    assertArrayEquals(p1.toLongArray(), p2.toLongArray());
    assertEquals(DType.INT64, p1.dtype());
    long[] sorted = p1.toLongArray().clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 50; i++) {
      assertEquals(i, sorted[i]);
    }
    assertFalse(Arrays.equals(sorted, p1.toLongArray()), "a shuffle of 50 is not the identity");
    Tensor.manualSeed(3);
    long[] global = Tensor.randperm(20).toLongArray();
    Tensor.manualSeed(3);
    assertArrayEquals(global, Tensor.randperm(20).toLongArray());

    Tensor probs = doubles(0.1, 0, 0.2, 0.7);
    Tensor draws = probs.multinomial(8000, true, new Generator(11));
    assertEquals(DType.INT64, draws.dtype());
    assertArrayEquals(draws.toLongArray(), probs.multinomial(8000, true, new Generator(11)).toLongArray());
    long[] counts = draws.bincount(null, 4).toLongArray();
    assertEquals(0, counts[1], "a zero-probability category is never drawn");
    assertEquals(0.1, counts[0] / 8000.0, 0.02);
    assertEquals(0.7, counts[3] / 8000.0, 0.02);
    Tensor rows = Tensor.of(new double[] {1, 1, 1, 1, 5, 0, 0, 5}, 2, 4).to(device);
    Tensor noRepeat = rows.multinomial(2, false, new Generator(2));
    assertArrayEquals(new int[] {2, 2}, noRepeat.shapeArray());
    long[] nr = noRepeat.toLongArray();
    assertTrue(nr[0] != nr[1], "without replacement a row never repeats a category");
    assertEquals(Set3.of(0, 3), Set3.of((int) nr[2], (int) nr[3]));

    Tensor p = Tensor.full(Shape.of(4000), 0.3, DType.FLOAT64, device);
    Tensor coin = p.bernoulli(new Generator(8));
    assertEquals(DType.FLOAT64, coin.dtype());
    assertEquals(0.3, coin.mean().item(), 0.03);
    assertArrayEquals(coin.toDoubleArray(), p.bernoulli(new Generator(8)).toDoubleArray(), 0);
    assertEquals(0.8, Tensor.zeros(Shape.of(4000), DType.FLOAT32, device).bernoulli(0.8).mean().item(), 0.03);

    Tensor mean = Tensor.full(Shape.of(4000, 1), 2.0, DType.FLOAT64, device);
    Tensor std = doubles(0.5, 3);
    Tensor z = Tensor.normal(mean, std, new Generator(4));
    assertArrayEquals(new int[] {4000, 2}, z.shapeArray());
    assertEquals(2.0, z.select(1, 0).mean().item(), 0.05);
    assertEquals(0.5, z.select(1, 0).std().item(), 0.05);
    assertEquals(3.0, z.select(1, 1).std().item(), 0.2);
    Tensor ints = Tensor.zeros(Shape.of(1000), DType.INT64, device);
    assertSame(ints, ints.randomInPlace(3, 6, new Generator(9)));
    long[] r = ints.toLongArray();
    assertEquals(3, Arrays.stream(r).min().getAsLong());
    assertEquals(5, Arrays.stream(r).max().getAsLong());
    Tensor floats = Tensor.zeros(Shape.of(1000), DType.FLOAT32, device).randomInPlace(3, 6, new Generator(9));
    assertEquals(DType.FLOAT32, floats.dtype());
    assertArrayEquals(r, floats.toLongArray(), "the same seed draws the same integers in any dtype");
    Tensor s = Tensor.normal(-1, 2, Shape.of(4000), DType.FLOAT32, device, new Generator(6));
    assertEquals(DType.FLOAT32, s.dtype());
    assertEquals(-1.0, s.mean().item(), 0.15);
  }

  @Test
  void emptyAndZeroDimInputsGivePyTorchsShapes() {
    Tensor e = Tensor.zeros(Shape.of(0), DType.FLOAT64, device);
    Tensor s = Tensor.scalar(5.0, DType.FLOAT64).to(device);
    assertArrayEquals(new int[] {0}, e.sort().values().shapeArray());
    assertArrayEquals(new int[] {2, 0}, Tensor.zeros(Shape.of(2, 0), DType.FLOAT64, device).sort(1, false).indices()
        .shapeArray());
    assertArrayEquals(new int[] {0}, Tensor.ones(Shape.of(3), DType.FLOAT64, device).topk(0).values().shapeArray());
    Reductions.ValuesIndices sorted = s.sort();
    assertArrayEquals(new int[0], sorted.values().shapeArray());
    assertArrayEquals(new int[0], sorted.indices().shapeArray());
    assertEquals(5.0, sorted.values().item(), 0);
    assertEquals(0L, s.argsort().toLongArray()[0]);
    assertArrayEquals(new int[0], s.topk(1).indices().shapeArray());
    assertEquals(5.0, s.flip(0).item(), 0);
    assertArrayEquals(new int[] {0}, e.roll(1).shapeArray());
    assertArrayEquals(new int[] {0}, e.unique().counts().shapeArray());
    assertArrayEquals(new int[] {1}, s.unique().values().shapeArray());
    assertArrayEquals(new int[] {1, 0}, s.nonzero().shapeArray());
    assertArrayEquals(new int[] {0, 1}, e.nonzero().shapeArray());
    assertEquals(5.0, s.cumprod(0).item(), 0);
    assertArrayEquals(new int[] {0}, e.cumprod(0).shapeArray());
    assertArrayEquals(new int[] {1}, s.maskedSelect(Tensor.of(new boolean[] {true}).reshape().to(device)).shapeArray());
    assertEquals(0L, e.countNonzero().toLongArray()[0]);
    assertArrayEquals(new int[] {0}, Tensor.zeros(Shape.of(0), DType.INT64, device).bincount().shapeArray());
    assertArrayEquals(new double[] {5, 5}, s.repeatInterleave(2).toDoubleArray(), 0);
    assertArrayEquals(new int[] {0}, Tensor.zeros(Shape.of(0, 3), DType.FLOAT64, device).diagonal().shapeArray());
    assertEquals(0, Tensor.zeros(Shape.of(0, 2), DType.FLOAT64, device).unbind(0).size());
  }

  /** A tiny order-free pair for comparing sampled categories. */
  private record Set3(int lo, int hi) {
    static Set3 of(int a, int b) {
      return new Set3(Math.min(a, b), Math.max(a, b));
    }
  }

  private static void assertMessage(Executable call, String... parts) {
    RuntimeException e = assertThrows(RuntimeException.class, call);
    for (String part : parts) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(part),
          "message '" + e.getMessage() + "' should contain '" + part + "'");
    }
  }

  @Test
  void badInputNamesTheOpAndTheShapes() {
    Tensor x = Tensor.zeros(Shape.of(2, 3), DType.FLOAT64, device);
    Tensor idx32 = Tensor.of(new int[] {0, 1, 2, 0, 1, 2}).reshape(2, 3).to(DType.INT32).to(device);
    assertMessage(() -> x.topk(4, 1, true, true), "topk", "k (4)", "[2, 3]");
    assertMessage(() -> x.sort(2, false), "sort", "dim");
    assertMessage(() -> x.scatter(1, idx32, x), "scatter", "int64", "int32");
    assertMessage(() -> x.scatter(1, longs(new long[] {0, 1}, 2), x), "scatter", "[2]", "[2, 3]");
    assertMessage(() -> x.scatter(1, longs(new long[] {0, 5, 0, 0, 0, 0}, 2, 3), x), "scatter", "index 5",
        "size 3");
    assertMessage(() -> x.scatter(1, longs(new long[] {0, 1, 2, 0, 1, 2}, 2, 3), x.to(DType.FLOAT32)), "scatter",
        "dtype");
    assertMessage(() -> x.indexAdd(0, doubles(0, 1), x), "index_add", "index");
    assertMessage(() -> x.indexAdd(0, longs(new long[] {0}, 1), x), "index_add", "[2, 3]");
    assertMessage(() -> x.indexAdd(0, longs(new long[] {-1, 0}, 2), x), "index_add", "out of bounds");
    assertMessage(() -> x.maskedSelect(x), "masked_select", "bool", "[2, 3]");
    assertMessage(() -> Tensor.bucketize(x, x, false), "bucketize", "1-d", "[2, 3]");
    assertMessage(() -> x.diagonal(0, 1, -1), "diagonal", "identical");
    assertMessage(() -> doubles(1, 2).diagonal(), "diagonal", "[2]");
    assertMessage(() -> x.unsqueeze(0).trace(), "trace", "[1, 2, 3]");
    assertMessage(() -> doubles(1, 2).dot(doubles(1, 2, 3)), "dot", "[2]", "[3]");
    assertMessage(() -> doubles(1, 2).mT(), "mT", "[2]");
    assertMessage(() -> x.roll(new int[] {1}, new int[] {0, 1}), "roll", "[2, 3]");
    assertMessage(() -> x.flip(1, -1), "flip", "multiple times");
    assertMessage(() -> x.repeatInterleave(longs(new long[] {1, 2}, 2), 1), "repeat_interleave", "[2]", "[2, 3]");
    assertMessage(() -> Tensor.meshgrid(x, doubles(1)), "meshgrid", "[2, 3]");
    assertMessage(() -> doubles(-0.5, 1).multinomial(1, true), "multinomial", "< 0");
    assertMessage(() -> doubles(1, 0, 1).multinomial(3, false), "multinomial", "not enough");
    assertMessage(() -> x.unsqueeze(0).multinomial(1, true), "multinomial", "[1, 2, 3]");
    assertMessage(() -> longs(new long[] {1, -1}, 2).bincount(), "bincount", "-1");
    assertMessage(() -> x.bincount(), "bincount", "[2, 3]");
    assertMessage(() -> doubles(1.5).bernoulli(), "bernoulli", "[0, 1]");
    assertMessage(() -> Tensor.normal(doubles(0, 0), doubles(-1, 1), null), "normal", "std");
    assertMessage(() -> x.unfold(1, 4, 1), "unfold", "size 4", "[2, 3]");
    assertMessage(() -> x.unfold(0, 1, 0), "unfold", "step", "[2, 3]");
    assertMessage(() -> x.randomInPlace(5, 5, null), "random_", "[2, 3]");
    Tensor huge = Tensor.zeros(Shape.of(1, 1), DType.FLOAT32, device).expand(50_000, 50_000); // a view, no memory
    for (Executable call : List.<Executable>of(() -> huge.sort(), () -> huge.unique(), () -> huge.nonzero(),
        () -> huge.topk(1), () -> Tensor.bucketize(huge, doubles(0), false))) {
      assertMessage(call, "at most 2^31 - 9 elements", "[50000, 50000]");
    }
  }
}
