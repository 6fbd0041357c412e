package dev.ember.docs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.Device;
import dev.ember.Function;
import dev.ember.GradCheck;
import dev.ember.GradMode;
import dev.ember.Index;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import org.junit.jupiter.api.Test;

/** The code shown in README.md and docs/guide.md, run as written. */
class DocExamplesTest {
  /** The custom function of docs/guide.md. */
  static final class Cube extends Function {
    @Override
    protected Tensor forward(Context ctx, Tensor... in) {
      ctx.saveForBackward(in[0]);
      return in[0].pow(3);
    }

    @Override
    protected Tensor[] backward(Context ctx, Tensor grad) {
      return new Tensor[] {grad.mul(ctx.saved(0).square()).mul(3)};
    }
  }

  @Test
  void readmeTaste() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
    Tensor y = x.pow(3).sum();
    assertEquals(36, y.item(), 1e-12);
    Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {x}, null, true, true, false);
    assertArrayEquals(new double[] {3, 12, 27}, g[0].toDoubleArray(), 1e-12);
    g[0].sum().backward();
    assertArrayEquals(new double[] {6, 12, 18}, x.grad().toDoubleArray(), 1e-12);
    assertEquals("tensor([ 6., 12., 18.], dtype=torch.float64)", x.grad().toString());

    Tensor a = Tensor.randn(2, 3);
    if (!Device.cudaAvailable()) {
      var e = assertThrows(IllegalArgumentException.class, () -> Tensor.randn(3).to("cuda"));
      assertTrue(e.getMessage().contains(Device.cudaUnavailableReason()), e.getMessage());
    }
    Tensor before = a.clone();
    try (var off = GradMode.noGrad()) {
      a.mulInPlace(2);
    }
    assertArrayEquals(before.mul(2).toFloatArray(), a.toFloatArray(), 0f);
  }

  @Test
  void guideCustomFunctionAndGradcheck() {
    Tensor x = Tensor.randn(3, 4).to(dev.ember.DType.FLOAT64).requiresGrad(true);
    Tensor y = new Cube().apply(x);
    y.sum().backward();
    assertArrayEquals(x.square().mul(3).toDoubleArray(), x.grad().toDoubleArray(), 1e-12);
    GradCheck.check(in -> new Cube().apply(in[0]).sum(), Tensor.randn(3, 4));
  }

  @Test
  void guideIndexingTable() {
    Tensor x = Tensor.arange(30).reshape(5, 6);
    assertArrayEquals(new long[] {6, 7, 8, 9, 10, 11}, x.index(1).toLongArray());
    assertArrayEquals(new long[] {24, 25, 26, 27, 28, 29}, x.index(-1).toLongArray());
    assertArrayEquals(new long[] {6, 9, 18, 21},
        x.index(Index.slice(1, 5, 2), Index.slice(null, null, 3)).toLongArray());
    assertArrayEquals(new int[] {5, 1}, x.index(Index.ELLIPSIS, Index.NEW_AXIS, 1).shapeArray());
    assertArrayEquals(new long[] {0, 1, 2}, x.index(x.lt(3)).toLongArray());
    Tensor y = Tensor.zeros(4);
    y.indexPut(Tensor.scalar(7), Tensor.of(new long[] {1, 3}));
    assertArrayEquals(new float[] {0, 7, 0, 7}, y.toFloatArray(), 0f);
  }

  @Test
  void likeFactoriesKeepShapeAndDevice() {
    Tensor t = Tensor.zeros(2, 3);
    Tensor r = Tensor.randintLike(t, 5, 9);
    assertArrayEquals(new int[] {2, 3}, r.shapeArray());
    for (long v : r.toLongArray()) {
      assertTrue(v >= 5 && v < 9, "randintLike value " + v);
    }
    assertEquals(dev.ember.DType.INT64, r.dtype());
    assertEquals(t.device(), Tensor.randnLike(t).device());
  }

  @Test
  void guideScopeFreesWhatItOwns() {
    Tensor kept;
    Tensor dropped;
    try (TensorScope scope = TensorScope.open()) {
      dropped = Tensor.ones(3).mul(2);
      kept = scope.keep(Tensor.ones(3).mul(3));
    }
    assertArrayEquals(new float[] {3, 3, 3}, kept.toFloatArray(), 0f);
    var e = assertThrows(IllegalStateException.class, dropped::toFloatArray);
    assertTrue(e.getMessage().contains("use after close"), e.getMessage());
  }

  @Test
  void guideInPlaceThroughViews() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
    Tensor z = x.clone();
    Tensor col = z.index(Index.all(), 1);
    col.mulInPlace(10);
    assertEquals("<CopySlices>", z.gradFn().toString());
    assertEquals("<AsStridedBackward0>", col.gradFn().toString());
    Tensor idx = Tensor.of(new long[] {1});
    z.indexPut(z.index(idx).mul(2), idx);
    z.sum().backward();
    assertArrayEquals(new double[] {1, 10, 1, 2, 20, 2}, x.grad().toDoubleArray(), 0);
    Tensor w = Tensor.of(new double[] {-1, -1, 0, 0, 0, 1}, 2, 3).requiresGrad(true);
    Tensor h = dev.ember.nn.functional.F.linear(x, w, null).clampInPlace(0, Double.NaN);
    assertArrayEquals(new double[] {0, 3, 0, 6}, h.toDoubleArray(), 0);
  }
}
