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
import dev.ember.Function;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import dev.ember.ops.Losses;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/** The autograd engine's user-visible contract, on every device. */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class AutogradConformanceTest {
  @Parameter
  Device device;

  private Tensor vec(double... v) {
    return Tensor.of(v).to(device);
  }

  private Tensor leaf(double... v) {
    return vec(v).requiresGrad(true);
  }

  @Test
  void leafAndNonLeafState() {
    Tensor x = leaf(1, 2, 3);
    assertTrue(x.requiresGrad());
    assertTrue(x.isLeaf());
    assertNull(x.gradFn());
    assertNull(x.grad());
    Tensor c = vec(1, 1, 1);
    assertFalse(c.requiresGrad());
    Tensor y = x.mul(c).exp();
    assertTrue(y.requiresGrad());
    assertFalse(y.isLeaf());
    assertEquals("exp", y.gradFn().name());
    assertEquals("mul", y.gradFn().nextFunctions().get(0).name());
    Tensor z = c.exp();
    assertFalse(z.requiresGrad(), "no input requires grad, so no graph");
    assertTrue(z.isLeaf());
    assertThrows(IllegalArgumentException.class, () -> Tensor.of(new long[] {1}).requiresGrad(true));
    Tensor d = y.detach();
    assertFalse(d.requiresGrad());
    assertTrue(d.isLeaf());
  }

  @Test
  void retainGradKeepsNonLeafGradients() {
    Tensor x = leaf(1, 2, 3);
    Tensor y = x.mul(2).retainGrad();
    Tensor w = x.mul(3);
    y.mul(y).sum().backward();
    Checks.assertClose(new double[] {4, 8, 12}, y.grad().toDoubleArray(), 1e-12, "y.grad");
    Checks.assertClose(new double[] {8, 16, 24}, x.grad().toDoubleArray(), 1e-12, "x.grad");
    assertNull(w.grad(), "a non-leaf without retainGrad keeps no grad");
  }

  @Test
  void gradientsAccumulateAcrossUsesAndCalls() {
    Tensor x = leaf(1, 2);
    x.mul(x).add(x).sum().backward(); // 2x + 1
    Checks.assertClose(new double[] {3, 5}, x.grad().toDoubleArray(), 1e-12, "first");
    x.mul(3).sum().backward();
    Checks.assertClose(new double[] {6, 8}, x.grad().toDoubleArray(), 1e-12, "accumulated");
    x.setGrad(null);
    x.sum().backward();
    Checks.assertClose(new double[] {1, 1}, x.grad().toDoubleArray(), 1e-12, "after reset");
  }

  @Test
  void retainGraphAllowsASecondBackwardAndFreedGraphsRefuseClearly() {
    Tensor x = leaf(1, 2);
    Tensor y = x.exp().sum();
    y.backward(Tensor.onesLike(y), true, false);
    y.backward(Tensor.onesLike(y), false, false);
    Checks.assertClose(new double[] {2 * Math.E, 2 * Math.exp(2)}, x.grad().toDoubleArray(), 1e-12, "twice");
    IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
    assertTrue(e.getMessage().contains("second time") && e.getMessage().contains("retainGraph"), e.getMessage());
  }

  @Test
  void gradReturnsWithoutTouchingLeavesAndReportsUnusedInputs() {
    Tensor x = leaf(1, 2);
    Tensor u = leaf(5);
    Tensor y = x.square().sum();
    Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {x, u}, null, true, false, true);
    Checks.assertClose(new double[] {2, 4}, g[0].toDoubleArray(), 1e-12, "grad");
    assertNull(g[1]);
    assertNull(x.grad());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Autograd.grad(new Tensor[] {y}, new Tensor[] {u}, null, true, false, false));
    assertTrue(e.getMessage().contains("allowUnused"), e.getMessage());
  }

  @Test
  void noGradAndEnableGradAreScopedPerThread() throws Exception {
    Tensor x = leaf(1, 2);
    try (GradMode off = GradMode.noGrad()) {
      assertFalse(GradMode.isEnabled());
      assertFalse(x.mul(2).requiresGrad());
      try (GradMode on = GradMode.enableGrad()) {
        assertTrue(x.mul(2).requiresGrad());
      }
      assertFalse(x.mul(2).requiresGrad());
      AtomicBoolean other = new AtomicBoolean();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread t = new Thread(() -> {
        try {
          other.set(GradMode.isEnabled() && x.mul(2).requiresGrad());
        } catch (Throwable e) {
          failure.set(e);
        }
      });
      t.start();
      t.join();
      assertNull(failure.get());
      assertTrue(other.get(), "another thread is unaffected by this thread's noGrad");
    }
    assertTrue(GradMode.isEnabled());
    assertTrue(x.mul(2).requiresGrad());
  }

  @Test
  void hooksSeeAndReplaceGradients() {
    Tensor x = leaf(1, 2, 3);
    List<double[]> seen = new ArrayList<>();
    x.registerHook(g -> {
      seen.add(g.toDoubleArray());
      return null;
    });
    Tensor y = x.mul(2);
    y.registerHook(g -> g.mul(10));
    y.sum().backward();
    Checks.assertClose(new double[] {20, 20, 20}, x.grad().toDoubleArray(), 1e-12, "replaced by the y hook");
    assertEquals(1, seen.size());
    Checks.assertClose(new double[] {20, 20, 20}, seen.get(0), 1e-12, "leaf hook saw the final gradient");
    assertThrows(IllegalStateException.class, () -> vec(1).registerHook(g -> g));
  }

  /** {@code x^3} with a hand-written backward. */
  static final class Cube extends Function {
    @Override
    protected Tensor forward(Context ctx, Tensor... in) {
      ctx.saveForBackward(in[0]);
      return in[0].mul(in[0]).mul(in[0]);
    }

    @Override
    protected Tensor[] backward(Context ctx, Tensor grad) {
      Tensor x = ctx.saved(0);
      return new Tensor[] {grad.mul(x.square()).mul(3)};
    }
  }

  @Test
  void customFunctionRecordsItsBackwardAndSupportsDoubleBackward() {
    Tensor x = leaf(1, 2);
    Tensor y = new Cube().apply(x);
    assertEquals("Cube", y.gradFn().name());
    Checks.assertClose(new double[] {1, 8}, y.toDoubleArray(), 1e-12, "forward");
    Tensor[] g = Autograd.grad(new Tensor[] {y.sum()}, new Tensor[] {x}, null, true, true, false);
    Checks.assertClose(new double[] {3, 12}, g[0].toDoubleArray(), 1e-12, "first derivative");
    g[0].sum().backward();
    Checks.assertClose(new double[] {6, 12}, x.grad().toDoubleArray(), 1e-12, "second derivative 6x");
    dev.ember.GradCheck.check(in -> new Cube().apply(in[0]), vec(0.5, -1.5));
  }

  @Test
  void inPlaceChangeOfASavedTensorFailsBackwardNamingTheOp() {
    Tensor x = leaf(1, 2);
    Tensor a = x.mul(1);
    Tensor y = a.exp(); // saves its output
    y.mulInPlace(2);    // allowed: y is not a leaf; but exp's saved output changed
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
    assertTrue(e.getMessage().contains("'exp'") && e.getMessage().contains("in-place"), e.getMessage());
    Tensor b = x.mul(1);
    Tensor z = b.mul(b);   // saves b
    b.addInPlace(1);
    IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> z.sum().backward());
    assertTrue(e2.getMessage().contains("'mul'"), e2.getMessage());
  }

  @Test
  void inPlaceOnALeafThatRequiresGradIsRefusedUnlessNoGrad() {
    Tensor w = leaf(1, 2);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.addInPlace(1));
    assertTrue(e.getMessage().startsWith("add_:") && e.getMessage().contains("leaf"), e.getMessage());
    int before = w.version();
    try (GradMode off = GradMode.noGrad()) {
      w.subInPlace(vec(0.5, 0.5));
    }
    assertEquals(before + 1, w.version());
    Checks.assertClose(new double[] {0.5, 1.5}, w.toDoubleArray(), 0, "updated under noGrad");
  }

  @Test
  void inPlaceOnANonLeafIsDifferentiable() {
    Tensor x = leaf(1, 2);
    Tensor y = x.mul(3);
    y.addInPlace(x); // y = 3x + x
    y.mulInPlace(2); // y = 8x
    y.sum().backward();
    Checks.assertClose(new double[] {8, 8}, x.grad().toDoubleArray(), 1e-12, "d(8x)/dx");
  }

  @Test
  void longChainsBackpropagateWithoutStackOverflow() {
    Tensor x = Tensor.scalar(1.0, DType.FLOAT64).to(device).requiresGrad(true);
    Tensor y = x;
    for (int i = 0; i < 100_000; i++) {
      y = y.add(1e-6);
    }
    y.backward();
    assertEquals(1.0, x.grad().item(), 1e-12);
    assertEquals(1.1, y.item(), 1e-6);
  }

  @Test
  void dropoutIsReproducibleWithASeedAndIdentityInEval() {
    Tensor x = Tensor.ones(dev.ember.Shape.of(1000), DType.FLOAT32, device);
    Tensor a = Activations.dropout(x, 0.3, true, new Generator(42));
    Tensor b = Activations.dropout(x, 0.3, true, new Generator(42));
    Tensor c = Activations.dropout(x, 0.3, true, new Generator(43));
    assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "same seed, same mask");
    assertFalse(java.util.Arrays.equals(a.toFloatArray(), c.toFloatArray()), "another seed, another mask");
    int zeros = 0;
    for (float v : a.toFloatArray()) {
      assertTrue(v == 0 || Math.abs(v - 1 / 0.7f) < 1e-6, "kept values are scaled by 1/(1-p): " + v);
      zeros += v == 0 ? 1 : 0;
    }
    assertTrue(zeros > 230 && zeros < 370, "about 30% dropped, got " + zeros);
    assertSame(x, Activations.dropout(x, 0.3, false, new Generator(42)), "eval mode is the identity");
    // The gradient uses the same mask.
    Tensor w = Tensor.ones(dev.ember.Shape.of(1000), DType.FLOAT64, device).requiresGrad(true);
    Tensor d = Activations.dropout(w, 0.5, true, new Generator(7));
    d.sum().backward();
    assertArrayEquals(d.toDoubleArray(), w.grad().toDoubleArray(), 0);
    assertThrows(IllegalArgumentException.class, () -> Activations.dropout(x, 1.5, true, new Generator(1)));
  }

  @Test
  void logSoftmaxStaysFiniteForHugeLogits() {
    Tensor x = Tensor.of(new double[] {400, -400, 0, 400}, 1, 4).to(device).requiresGrad(true);
    for (DType t : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Tensor xt = x.to(t);
      Tensor ls = xt.logSoftmax(1);
      double[] v = ls.toDoubleArray();
      Checks.assertClose(new double[] {-Math.log(2), -800 - Math.log(2), -400 - Math.log(2), -Math.log(2)}, v,
          1e-6, "log_softmax " + t);
      Tensor s = xt.softmax(1);
      Checks.assertClose(new double[] {0.5, 0, 0, 0.5}, s.toDoubleArray(), 1e-6, "softmax " + t);
    }
    x.logSoftmax(1).sum().backward();
    for (double g : x.grad().toDoubleArray()) {
      assertTrue(Double.isFinite(g), "finite gradient");
    }
  }

  // ------------------------------------------------------------------ cross entropy reference

  /** Reference cross-entropy: class dim 1, PyTorch's ignore_index, label smoothing and reductions. */
  private static double[] referenceCrossEntropy(double[] logits, int n, int c, int inner, long[] target,
      long ignore, double smoothing, String reduction) {
    double[] losses = new double[n * inner];
    double valid = 0;
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < inner; k++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) {
          max = Math.max(max, logits[(i * c + j) * inner + k]);
        }
        double sum = 0;
        for (int j = 0; j < c; j++) {
          sum += Math.exp(logits[(i * c + j) * inner + k] - max);
        }
        double lse = max + Math.log(sum);
        long t = target[i * inner + k];
        if (t == ignore) {
          continue;
        }
        valid++;
        double nll = lse - logits[(i * c + (int) t) * inner + k];
        double uniform = 0;
        for (int j = 0; j < c; j++) {
          uniform += (lse - logits[(i * c + j) * inner + k]) / c;
        }
        losses[i * inner + k] = (1 - smoothing) * nll + smoothing * uniform;
      }
    }
    double total = 0;
    for (double l : losses) {
      total += l;
    }
    return switch (reduction) {
      case "none" -> losses;
      case "sum" -> new double[] {total};
      default -> new double[] {total / valid};
    };
  }

  @Test
  void crossEntropyOptionsMatchReference() {
    java.util.Random r = new java.util.Random(21);
    int n = 3;
    int c = 4;
    int inner = 2;
    double[] logits = Checks.normal(r, n * c * inner);
    long[] target = {0, 3, -100, 1, 2, 2};
    for (String reduction : new String[] {"none", "sum", "mean"}) {
      for (double smoothing : new double[] {0, 0.1}) {
        for (long ignore : new long[] {-100, 2}) {
          Losses.Options o = Losses.Options.defaults().withReduction(Losses.Reduction.parse(reduction))
              .withIgnoreIndex(ignore).withLabelSmoothing(smoothing);
          long[] t = target.clone();
          if (ignore != -100) {
            t[2] = 0;
          }
          String what = reduction + " smoothing=" + smoothing + " ignore=" + ignore;
          // N-d input: [N, C, d1] with class dim 1, target [N, d1].
          Tensor x = Tensor.of(logits, n, c, inner).to(device);
          Tensor y = Losses.crossEntropy(x, Tensor.of(t, n, inner).to(device), o);
          double[] expected = referenceCrossEntropy(logits, n, c, inner, t, ignore, smoothing, reduction);
          Checks.assertClose(expected, y.toDoubleArray(), 1e-10, what);
          assertArrayEquals(reduction.equals("none") ? new int[] {n, inner} : new int[0], y.shapeArray(), what);
          dev.ember.GradCheck.check(in -> Losses.crossEntropy(in[0], in[1], o), x,
              Tensor.of(t, n, inner).to(device));
        }
      }
    }
    // 2-d input ([N, C]) is the inner == 1 case.
    double[] l2 = Checks.normal(r, 2 * 3);
    Tensor y2 = Tensor.of(l2, 2, 3).to(device).crossEntropy(Tensor.of(new long[] {2, 0}).to(device));
    Checks.assertClose(referenceCrossEntropy(l2, 2, 3, 1, new long[] {2, 0}, -100, 0, "mean"),
        y2.toDoubleArray(), 1e-10, "2-d");
  }

  @Test
  void crossEntropyRejectsBadTargets() {
    Tensor x = Tensor.zeros(dev.ember.Shape.of(2, 3), DType.FLOAT64, device);
    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
        () -> x.crossEntropy(Tensor.of(new long[] {0, 3}).to(device)));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
    IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
        () -> x.crossEntropy(Tensor.of(new long[] {0, 1, 2}).to(device)));
    assertTrue(s.getMessage().contains("[3]") && s.getMessage().contains("[2, 3]"), s.getMessage());
    assertNotNull(x);
  }

  @Test
  void queuedCallbacksRunOnceAfterEveryGradientIsAccumulated() {
    Tensor a = leaf(1, 2);
    Tensor b = leaf(3, 4);
    List<String> events = new ArrayList<>();
    a.registerHook(g -> {
      Autograd.queueCallback(() -> {
        events.add("callback: a.grad=" + java.util.Arrays.toString(a.grad().toDoubleArray())
            + " b.grad=" + java.util.Arrays.toString(b.grad().toDoubleArray()));
        Autograd.queueCallback(() -> events.add("queued by a callback"));
      });
      return null;
    });
    a.mul(b).sum().backward();
    assertEquals(List.of("callback: a.grad=[3.0, 4.0] b.grad=[1.0, 2.0]", "queued by a callback"), events);
    events.clear();
    a.mul(2).sum().backward();
    assertEquals(2, events.size(), "a second backward runs the newly queued callbacks only");
    IllegalStateException outside = assertThrows(IllegalStateException.class,
        () -> Autograd.queueCallback(() -> { }));
    assertTrue(outside.getMessage().contains("no backward pass is running"), outside.getMessage());
  }
}
