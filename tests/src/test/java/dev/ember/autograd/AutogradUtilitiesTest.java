package dev.ember.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Function;
import dev.ember.GradCheck;
import dev.ember.GradCheckException;
import dev.ember.GradMode;
import dev.ember.Tensor;
import org.junit.jupiter.api.Test;

/** {@code ctx.needsInputGrad}, inference mode, and GradCheck's boolean mode and exception type. */
class AutogradUtilitiesTest {
  /** {@code a * b}, computing only the gradients backward is asked for. */
  static final class Mul extends Function {
    boolean[] seen;
    int gradientsComputed;

    @Override
    protected Tensor forward(Context ctx, Tensor... in) {
      seen = ctx.needsInputGrad();
      ctx.saveForBackward(in[0], in[1]);
      return in[0].mul(in[1]);
    }

    @Override
    protected Tensor[] backward(Context ctx, Tensor g) {
      Tensor ga = null;
      Tensor gb = null;
      if (ctx.needsInputGrad(0)) {
        ga = g.mul(ctx.saved(1));
        gradientsComputed++;
      }
      if (ctx.needsInputGrad(1)) {
        gb = g.mul(ctx.saved(0));
        gradientsComputed++;
      }
      return new Tensor[] {ga, gb};
    }
  }

  @Test
  void needsInputGradMarksTheInputsThatRequireGrad() {
    Tensor a = Tensor.of(new double[] {2, 3}).requiresGrad(true);
    Tensor b = Tensor.of(new double[] {5, 7});
    Mul f = new Mul();
    Tensor y = f.apply(a, b);
    assertArrayEquals(new boolean[] {true, false}, f.seen);
    y.sum().backward();
    assertEquals(1, f.gradientsComputed);
    assertArrayEquals(new double[] {5, 7}, a.grad().toDoubleArray());
    assertNull(b.grad());

    Mul off = new Mul();
    try (GradMode g = GradMode.noGrad()) {
      off.apply(a, b);
    }
    assertArrayEquals(new boolean[] {false, false}, off.seen, "nothing needs a gradient when not recording");
  }

  @Test
  void needsInputGradChecksTheIndex() {
    Function probe = new Function() {
      @Override
      protected Tensor forward(Context ctx, Tensor... in) {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> ctx.needsInputGrad(1));
        assertTrue(e.getMessage().contains("input 1 of 1"), e.getMessage());
        return in[0].mul(1);
      }

      @Override
      protected Tensor[] backward(Context ctx, Tensor g) {
        return new Tensor[] {g};
      }
    };
    probe.apply(Tensor.zeros(1));
  }

  @Test
  void inferenceModeTurnsRecordingOffAndNests() {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
    assertFalse(GradMode.isInferenceModeEnabled());
    try (GradMode inf = GradMode.inferenceMode()) {
      assertTrue(GradMode.isInferenceModeEnabled());
      assertFalse(GradMode.isEnabled());
      assertFalse(w.mul(2).requiresGrad());
      try (GradMode back = GradMode.inferenceMode(false)) {
        assertFalse(GradMode.isInferenceModeEnabled());
        assertTrue(GradMode.isEnabled(), "inference_mode(False) turns recording back on");
        assertTrue(w.mul(2).requiresGrad());
      }
      assertTrue(GradMode.isInferenceModeEnabled());
      try (GradMode ng = GradMode.noGrad()) {
        assertTrue(GradMode.isInferenceModeEnabled(), "noGrad keeps inference mode");
      }
    }
    assertFalse(GradMode.isInferenceModeEnabled());
    assertTrue(GradMode.isEnabled());
  }

  /** Returns x^2 with a wrong gradient (x instead of 2x). */
  static final class BadSquare extends Function {
    @Override
    protected Tensor forward(Context ctx, Tensor... in) {
      ctx.saveForBackward(in[0]);
      return in[0].mul(in[0]);
    }

    @Override
    protected Tensor[] backward(Context ctx, Tensor g) {
      return new Tensor[] {g.mul(ctx.saved(0))};
    }
  }

  @Test
  void gradcheckReturnsFalseOrThrowsAGradCheckException() {
    Tensor x = Tensor.of(new double[] {0.5, -1.5});
    java.util.function.Function<Tensor[], Tensor> bad = in -> new BadSquare().apply(in[0]);
    java.util.function.Function<Tensor[], Tensor> good = in -> in[0].mul(in[0]);
    assertTrue(GradCheck.gradcheck(good, x));
    assertTrue(GradCheck.gradcheck(good, GradCheck.Options.defaults(), false, x));
    assertFalse(GradCheck.gradcheck(bad, GradCheck.Options.defaults(), false, x));
    GradCheckException e = assertThrows(GradCheckException.class, () -> GradCheck.gradcheck(bad, x));
    assertEquals(0, e.input());
    assertEquals(0, e.element());
    assertEquals(e.numeric(), 2 * e.analytic(), 1e-6, "x^2's derivative is 2x; the bad backward gives x");
    assertTrue(e.getMessage().contains("input 0") && e.getMessage().contains("element 0"), e.getMessage());
    AssertionError legacy = assertThrows(AssertionError.class, () -> GradCheck.check(bad, x));
    assertInstanceOf(GradCheckException.class, legacy.getCause());
    assertEquals(e.getMessage(), legacy.getMessage());
  }
}
