package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.GradMode;
import dev.ember.Index;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.io.Json;
import dev.ember.nn.Linear;
import dev.ember.nn.functional.F;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * In-place ops through views under autograd (issue 12 item 2): the base's history becomes a
 * CopySlices, the view's is derived again from it, and every other view of the base follows. Each
 * pattern is checked against PyTorch's loss and gradients ({@code golden/views.json}, written by
 * {@code scripts/golden/views.py}, whose functions carry the same names) and by a float64
 * gradcheck; then the errors PyTorch raises (views of leaves, views made under no_grad, stale saved
 * tensors written through a view) and the fresh outputs of {@code matmul} and {@code Linear}.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class InPlaceViewsConformanceTest {
  @Parameter
  Device device;

  /** One input: {@code sin} or {@code cos} of {@code arange(n) + phase}, reshaped (as in views.py). */
  private record In(boolean sin, double phase, int... shape) {
    static In sin(int... shape) {
      return new In(true, 1, shape);
    }

    static In cos(int... shape) {
      return new In(false, 1, shape);
    }

    static In sinShifted(int... shape) {
      return new In(true, 0.5, shape);
    }
  }

  /** A pattern of views.py: its inputs, in the order of the golden gradients, and its loss. */
  private record Pattern(String name, Function<Tensor[], Tensor> loss, In... inputs) {}

  private Tensor idx(long... values) {
    return Tensor.of(values).to(device);
  }

  private Tensor mask(boolean... values) {
    return Tensor.of(values).to(device);
  }

  private static Tensor square(Tensor t) {
    return t.mul(t).sum();
  }

  private List<Pattern> patterns() {
    List<Pattern> l = new ArrayList<>();
    Index.Slice all = Index.all();
    l.add(new Pattern("column_int_mul", x -> {
      Tensor z = x[0].clone();
      z.index(all, 1).mulInPlace(10);                       // z[:, 1] *= 10
      return square(z);
    }, In.sin(3, 4)));
    l.add(new Pattern("row_slice_add", x -> {
      Tensor z = x[0].clone();
      z.index(Index.slice(1, 3)).addInPlace(x[1]);          // z[1:3] += y
      return square(z);
    }, In.sin(3, 4), In.cos(2, 4)));
    l.add(new Pattern("row_index_mul", x -> {
      Tensor z = x[0].clone();
      Tensor i = idx(0, 2);
      z.indexPut(z.index(i).mul(2), i);                     // z[idx] *= 2
      return square(z);
    }, In.sin(3, 4)));
    l.add(new Pattern("column_index_mul", x -> {
      Tensor z = x[0].clone();
      Tensor i = idx(3, 1);
      z.indexPut(z.index(all, i).mul(x[1]), all, i);        // z[:, idx] *= y
      return square(z);
    }, In.sin(3, 4), In.cos(3, 2)));
    l.add(new Pattern("row_mask_mul", x -> {
      Tensor z = x[0].clone();
      Tensor m = mask(true, false, true);
      z.indexPut(z.index(m).mul(x[1]), m);                  // z[mask] *= y
      return square(z);
    }, In.sin(3, 4), In.cos(2, 4)));
    l.add(new Pattern("column_mask_add", x -> {
      Tensor z = x[0].clone();
      Tensor m = mask(false, true, false, true);
      z.indexPut(z.index(all, m).add(x[1]), all, m);        // z[:, mask] += y
      return z.mul(z).mul(z).sum();
    }, In.sin(3, 4), In.cos(3, 2)));
    l.add(new Pattern("index_put_into_a_view", x -> {
      Tensor z = x[0].clone();
      z.index(all, Index.slice(1, 3)).indexPut(x[1].mul(2), mask(true, false, true)); // z[:, 1:3][mask] = 2y
      return square(z);
    }, In.sin(3, 4), In.cos(2, 2)));
    l.add(new Pattern("relu_after_linear", x -> {
      Tensor h = F.linear(x[0], x[1], x[2]);
      h.clampInPlace(0, Double.NaN);                        // relu_
      return square(h);
    }, In.sin(3, 4), In.cos(5, 4), In.sinShifted(5)));
    l.add(new Pattern("add_then_relu_after_matmul", x -> {
      Tensor h = x[0].matmul(x[1]);
      h.addInPlace(x[2]);
      h.clampInPlace(0, Double.NaN);
      return square(h);
    }, In.sin(3, 4), In.cos(4, 5), In.sinShifted(5)));
    l.add(new Pattern("narrow_mul", x -> {
      Tensor z = x[0].clone();
      z.narrow(1, 1, 2).mulInPlace(x[1]);
      return square(z);
    }, In.sin(3, 4), In.cos(3, 2)));
    l.add(new Pattern("select_add", x -> {
      Tensor z = x[0].clone();
      z.select(0, 1).addInPlace(x[1].mul(x[1]));
      return square(z);
    }, In.sin(3, 4), In.cos(4)));
    l.add(new Pattern("transpose_row_mul", x -> {
      Tensor z = x[0].clone();
      z.transpose(0, 1).select(0, 2).mulInPlace(x[1]);
      return square(z);
    }, In.sin(3, 4), In.cos(3)));
    l.add(new Pattern("view_narrow_mul", x -> {
      Tensor z = x[0].clone();
      z.view(12).narrow(0, 2, 5).mulInPlace(3);
      return square(z);
    }, In.sin(3, 4)));
    l.add(new Pattern("unsqueeze_narrow_mul", x -> {
      Tensor z = x[0].clone();
      z.unsqueeze(1).narrow(2, 0, 2).mulInPlace(x[1]);
      return square(z);
    }, In.sin(3, 4), In.cos(3, 1, 2)));
    l.add(new Pattern("chained_views_mul", x -> {
      Tensor z = x[0].clone();
      z.slice(0, 1, 3, 1).slice(1, 0, 6, 2).mulInPlace(4);  // z[1:3][:, ::2] *= 4
      return square(z);
    }, In.sin(4, 6)));
    l.add(new Pattern("two_overlapping_writes", x -> {
      Tensor z = x[0].clone();
      Tensor a = z.slice(0, 0, 2, 1);
      Tensor b = z.slice(0, 1, 3, 1);
      a.mulInPlace(2);
      b.mulInPlace(x[1]);
      return square(z).add(a.mul(a).mul(a).sum());
    }, In.sin(3, 4), In.cos(2, 4)));
    l.add(new Pattern("base_used_again", x -> {
      Tensor z = x[0].clone();
      Tensor v = z.select(1, 0);
      v.mulInPlace(x[1]);
      return z.exp().sum().add(square(v)).add(z.sum(0, false).pow(2).sum());
    }, In.sin(3, 4), In.cos(3)));
    l.add(new Pattern("view_taken_before_base_write", x -> {
      Tensor z = x[0].clone();
      Tensor v = z.select(0, 1);
      z.mulInPlace(x[1]);
      return v.mul(v).mul(v).sum();
    }, In.sin(3, 4), In.cos(3, 4)));
    l.add(new Pattern("base_without_grad", x -> {
      Tensor z = Tensor.zeros(Shape.of(3, 4), x[0].dtype(), device);
      z.select(0, 1).addInPlace(x[0]);
      return square(z).add(z.sum());
    }, In.cos(4)));
    l.add(new Pattern("copy_into_a_view", x -> {
      Tensor z = x[0].clone();
      z.select(0, 2).copyInPlace(x[1].mul(3));
      return square(z);
    }, In.sin(3, 4), In.cos(4)));
    l.add(new Pattern("fill_a_view", x -> {
      Tensor z = x[0].clone();
      z.select(1, 2).fillInPlace(0.5);
      return square(z);
    }, In.sin(3, 4)));
    l.add(new Pattern("double_backward", in -> {
      try (GradMode on = GradMode.enableGrad()) {
        Tensor x = in[0].requiresGrad() ? in[0] : in[0].detach().requiresGrad(true);
        Tensor z = x.clone();
        z.select(1, 1).addInPlace(z.select(1, 2).exp());
        z.select(0, 0).mulInPlace(3);
        Tensor loss = z.mul(z).mul(z).sum();
        Tensor g = Autograd.grad(new Tensor[] {loss}, new Tensor[] {x}, null, true, true, false)[0];
        return square(g);
      }
    }, In.sin(3, 4)));
    return l;
  }

  private Tensor input(In in) {
    return input(in, DType.FLOAT64);
  }

  private Tensor input(In in, DType dtype) {
    long n = Shape.numel(in.shape());
    Tensor t = Tensor.arange(n).to(DType.FLOAT64).add(in.phase());
    return (in.sin() ? t.sin() : t.cos()).reshape(in.shape()).to(dtype).to(device).detach().requiresGrad(true);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> golden() {
    try (InputStream in = InPlaceViewsConformanceTest.class.getResourceAsStream("/golden/views.json")) {
      assertNotNull(in, "golden/views.json is missing from the test resources");
      return (Map<String, Object>) Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .get("patterns");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @TestFactory
  Stream<DynamicTest> lossAndGradientsMatchPyTorch() {
    return replay(DType.FLOAT64, 1e-9);
  }

  @TestFactory
  Stream<DynamicTest> lossAndGradientsMatchPyTorchInFloat32() {
    return replay(DType.FLOAT32, 1e-4);
  }

  /** Replays every pattern with inputs of {@code dtype}; {@code tol} is relative (plus as much absolute). */
  private Stream<DynamicTest> replay(DType dtype, double tol) {
    Map<String, Object> golden = golden();
    List<Pattern> patterns = patterns();
    for (String name : golden.keySet()) {
      assertTrue(patterns.stream().anyMatch(p -> p.name().equals(name)), name + " of views.py has no Java twin");
    }
    return patterns.stream().map(p -> DynamicTest.dynamicTest(p.name(), () -> {
      @SuppressWarnings("unchecked")
      Map<String, Object> expected = (Map<String, Object>) golden.get(p.name());
      assertNotNull(expected, p.name() + " is missing from golden/views.json");
      Tensor[] x = java.util.Arrays.stream(p.inputs()).map(in -> input(in, dtype)).toArray(Tensor[]::new);
      Tensor loss = p.loss().apply(x);
      assertEquals(((Number) expected.get("loss")).doubleValue(), loss.item(), tol * (1 + Math.abs(loss.item())),
          p.name() + ": loss");
      loss.backward();
      @SuppressWarnings("unchecked")
      Map<String, Object> grads = (Map<String, Object>) expected.get("grads");
      int i = 0;
      for (Map.Entry<String, Object> e : grads.entrySet()) {
        @SuppressWarnings("unchecked")
        double[] want = Json.toDoubleArray(((Map<String, Object>) e.getValue()).get("data"));
        assertNotNull(x[i].grad(), p.name() + ": no gradient for " + e.getKey());
        double[] got = x[i].grad().toDoubleArray();
        for (int k = 0; k < want.length; k++) {
          assertEquals(want[k], got[k], tol * (1 + Math.abs(want[k])),
              p.name() + ": d loss / d " + e.getKey() + " element " + k);
        }
        i++;
      }
    }));
  }

  @TestFactory
  Stream<DynamicTest> everyPatternPassesGradcheck() {
    return patterns().stream().map(p -> DynamicTest.dynamicTest(p.name(), () -> {
      Tensor[] x = java.util.Arrays.stream(p.inputs()).map(this::input).toArray(Tensor[]::new);
      GradCheck.check(p.loss(), x);
    }));
  }

  // ------------------------------------------------------------------ the graph PyTorch builds

  @Test
  void theBaseGetsACopySlicesAndTheViewAnAsStridedNode() {
    Tensor x = input(In.sin(3, 4));
    Tensor z = x.clone();
    Tensor v = z.index(Index.all(), 1);
    assertFalse(v.gradFn().toString().contains("AsStrided"));
    v.mulInPlace(10);
    assertEquals("<CopySlices>", z.gradFn().toString());
    assertEquals("<CloneBackward0>", z.gradFn().nextFunctions().get(0).toString());
    assertEquals("<AsStridedBackward0>", v.gradFn().toString());
    assertSame(z.gradFn(), v.gradFn().nextFunctions().get(0));
    // A view taken before the write, of the same base, is derived again from the new history.
    Tensor w = x.clone();
    Tensor row = w.select(0, 0);
    Tensor col = w.select(1, 3);
    row.addInPlace(1);
    assertEquals("<CopySlices>", w.gradFn().toString());
    assertEquals("<AsStridedBackward0>", col.gradFn().toString());
    assertSame(w.gradFn(), col.gradFn().nextFunctions().get(0));
  }

  @Test
  void aBaseThatDidNotRequireGradStartsToThroughItsView() {
    Tensor y = input(In.cos(4));
    Tensor z = Tensor.zeros(Shape.of(3, 4), DType.FLOAT64, device);
    Tensor row = z.select(0, 1);
    Tensor other = z.select(0, 2);
    assertFalse(z.requiresGrad());
    row.addInPlace(y);
    assertTrue(z.requiresGrad());
    assertFalse(z.isLeaf());
    assertTrue(other.requiresGrad(), "a view follows its base, as in PyTorch");
    assertEquals("<AsStridedBackward0>", other.gradFn().toString());
    // Nothing recorded when nothing requires grad: the base stays a leaf.
    Tensor plain = Tensor.zeros(Shape.of(3), DType.FLOAT64, device);
    plain.narrow(0, 0, 2).addInPlace(1);
    assertTrue(plain.isLeaf());
    assertFalse(plain.requiresGrad());
    assertArrayEquals(new double[] {1, 1, 0}, plain.toDoubleArray());
  }

  @Test
  void detachIsNotAViewButSharesTheVersionCounter() {
    Tensor x = input(In.sin(3, 4));
    Tensor z = x.clone();
    Tensor d = z.detach();
    Tensor y = input(In.cos(4));
    d.select(0, 0).mulInPlace(y);
    assertEquals("<CopySlices>", d.gradFn().toString(), "the detached tensor is the base of its own views");
    assertEquals("<CloneBackward0>", z.gradFn().toString(), "z's history is untouched");
    Tensor sliceOfDetached = z.narrow(0, 1, 2).detach();
    assertTrue(sliceOfDetached.isLeaf());
    sliceOfDetached.select(0, 0).addInPlace(y);
    assertEquals("<CopySlices>", sliceOfDetached.gradFn().toString());
    assertEquals("<CloneBackward0>", z.gradFn().toString());
  }

  @Test
  void aBroadcastViewTakenBeforeAWriteSumsItsGradientIntoTheBase() {
    Tensor x = input(In.sin(3, 4));
    Tensor z = x.clone();
    Tensor wide = z.select(0, 0).unsqueeze(0).expand(3, 4); // stride 0 over its first dim
    z.mulInPlace(2);
    assertEquals("<AsStridedBackward0>", wide.gradFn().toString());
    wide.sum().backward();
    // PyTorch: x.grad is 3 * 2 in row 0 (three broadcast copies of a doubled row), 0 elsewhere.
    assertArrayEquals(new double[] {6, 6, 6, 6, 0, 0, 0, 0, 0, 0, 0, 0}, x.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void aBaseWithNonContiguousStridesGetsItsGradientInItsOwnLayout() {
    Tensor x = input(In.sin(3, 4));
    Tensor d = x.clone().t().detach(); // [4, 3] with strides [1, 4]: not a view, not contiguous
    Tensor y = input(In.cos(3));
    double[] old = d.select(0, 1).toDoubleArray();
    d.select(0, 1).mulInPlace(y);
    d.mul(d).sum().backward();
    double[] want = new double[3];
    double[] yv = y.toDoubleArray();
    for (int i = 0; i < 3; i++) {
      want[i] = 2 * old[i] * old[i] * yv[i];
    }
    assertArrayEquals(want, y.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void fillAndCopyGiveTheOverwrittenValuesAZeroGradient() {
    // PyTorch: FillBackward0 / CopyBackwards pass zeros to the old values (x.grad is 0, not 2).
    Tensor x = input(In.sin(3, 4));
    Tensor y = x.mul(2);
    y.fillInPlace(3);
    assertFalse(y.isLeaf());
    y.sum().backward();
    assertArrayEquals(new double[12], x.grad().toDoubleArray(), 0);
    Tensor x2 = input(In.sin(3, 4));
    Tensor y2 = x2.mul(2);
    y2.copyInPlace(Tensor.ones(Shape.of(4), DType.FLOAT64, device));
    y2.sum().backward();
    assertArrayEquals(new double[12], x2.grad().toDoubleArray(), 0);
    assertArrayEquals(new double[12], y2.sub(1).toDoubleArray(), 0);
  }

  // ------------------------------------------------------------------ errors PyTorch raises

  private static void expect(Executable body, String... fragments) {
    IllegalStateException e = assertThrows(IllegalStateException.class, body);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message should contain '" + f + "': " + e.getMessage());
    }
  }

  @Test
  void aViewOfALeafThatRequiresGradCannotBeWrittenUnderAutograd() {
    Tensor x = input(In.sin(3, 4));
    double[] before = x.toDoubleArray();
    String msg = "a view of a leaf Variable that requires grad is being used in an in-place operation";
    expect(() -> x.narrow(0, 0, 2).mulInPlace(2), "mul_:", msg, "[2, 4]", "[3, 4]");
    expect(() -> x.select(1, 1).addInPlace(input(In.cos(3))), "add_:", msg);
    expect(() -> x.transpose(0, 1).select(0, 0).fillInPlace(0), "fill_:", msg);
    expect(() -> x.index(Index.all(), Index.slice(0, 2)).indexPut(Tensor.scalar(0, DType.FLOAT64).to(device), 0),
        "index_put_:", msg);
    expect(() -> x.view(12).copyInPlace(Tensor.zeros(Shape.of(12), DType.FLOAT64, device)), "copy_:", msg);
    expect(() -> x.mulInPlace(2), "mul_:", "a leaf tensor that requires grad");
    assertArrayEquals(before, x.toDoubleArray(), "a refused write writes nothing");
    // Under noGrad the write goes through, without history (an optimizer's update).
    int version = x.version();
    try (GradMode off = GradMode.noGrad()) {
      x.narrow(0, 0, 1).mulInPlace(0);
    }
    assertEquals(0, x.select(0, 0).abs().sum().item());
    assertTrue(x.version() > version);
    assertTrue(x.isLeaf());
  }

  @Test
  void aViewMadeUnderNoGradCannotBeWrittenWithGradModeOn() {
    Tensor x = input(In.sin(3, 4));
    Tensor z = x.clone();
    Tensor v;
    try (GradMode off = GradMode.noGrad()) {
      v = z.select(0, 1);
    }
    String msg = "A view was created in no_grad mode and is being modified inplace with grad mode enabled";
    expect(() -> v.mulInPlace(2), "mul_:", msg);
    Tensor plain = Tensor.zeros(Shape.of(3, 4), DType.FLOAT64, device);
    Tensor w;
    try (GradMode off = GradMode.noGrad()) {
      w = plain.select(0, 0).narrow(0, 0, 2);
    }
    expect(() -> w.addInPlace(input(In.cos(2))), "add_:", msg);
    w.addInPlace(1); // nothing requires grad: allowed, as in PyTorch
    try (GradMode off = GradMode.noGrad()) {
      v.mulInPlace(2); // both under noGrad: allowed
    }
  }

  @Test
  void aSavedTensorWrittenThroughAViewStillRaisesAtBackward() {
    String msg = "has been modified by an in-place operation";
    // The base is saved, a view of it written.
    Tensor x = input(In.sin(3, 4));
    Tensor z = x.clone();
    Tensor y = z.mul(z);
    z.select(0, 0).mulInPlace(2);
    expect(() -> y.sum().backward(), msg);
    // A view is saved, the base written.
    Tensor z2 = x.clone();
    Tensor v = z2.select(0, 1);
    Tensor y2 = v.mul(v);
    z2.mulInPlace(2);
    expect(() -> y2.sum().backward(), msg);
    // A view is saved, another view of the same base written where they overlap.
    Tensor z3 = x.clone();
    Tensor y3 = z3.select(1, 2).exp().add(z3.select(1, 2).mul(z3.select(1, 2)));
    z3.select(0, 0).mulInPlace(3);
    expect(() -> y3.sum().backward(), msg);
    // Through detach(), which shares the storage and its version counter.
    Tensor z4 = x.clone();
    Tensor y4 = z4.mul(z4);
    try (GradMode off = GradMode.noGrad()) {
      z4.detach().select(0, 2).addInPlace(1);
    }
    expect(() -> y4.sum().backward(), msg);
  }

  // ------------------------------------------------------------------ fresh outputs of matmul and Linear

  @Test
  void matmulAndLinearReturnFreshTensorsThatInPlaceOpsMayFollow() {
    Tensor a = input(In.sin(3, 4));
    Tensor b = input(In.cos(4, 5));
    Tensor[] products = {
        a.matmul(b), a.mm(b), input(In.sin(2, 3, 4)).matmul(b), input(In.sin(4)).matmul(b),
        a.matmul(input(In.cos(4))), input(In.sin(2, 3, 4)).matmul(input(In.cos(2, 4, 5))),
        F.linear(a, input(In.cos(5, 4)), input(In.sin(5))), F.linear(a, input(In.cos(5, 4)), null),
        F.linear(input(In.sin(2, 3, 4)), input(In.cos(5, 4)), input(In.sin(5))),
        new Linear(4, 5).to(DType.FLOAT64).to(device).forward(a)};
    int[][] shapes = {{3, 5}, {3, 5}, {2, 3, 5}, {5}, {3}, {2, 3, 5}, {3, 5}, {3, 5}, {2, 3, 5}, {3, 5}};
    for (int i = 0; i < products.length; i++) {
      Tensor p = products[i];
      assertArrayEquals(shapes[i], p.shapeArray(), "product " + i);
      assertNull(p.base(), "product " + i + " is fresh, not a view (" + p.gradFn() + ")");
      p.addInPlace(1).clampInPlace(0, Double.NaN);
      p.sum().backward();
    }
    assertNotNull(a.grad());
  }
}
