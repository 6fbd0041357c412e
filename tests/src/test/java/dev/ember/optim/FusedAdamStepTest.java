package dev.ember.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The fused Adam/AdamW step ({@link dev.ember.spi.Backend#adamStep}) gives the composition's bits in
 * the parameter and every state tensor, over three steps, in float32 and float64, for several shapes,
 * with and without (L2 or decoupled) weight decay, amsgrad, maximize and a lerp weight on either side
 * of 0.5; operands it does not take (non-contiguous, half) fall back to the composition.
 */
class FusedAdamStepTest {
  private static final int[][] SHAPES = {{7, 13}, {1}, {3, 4, 5}, {1031}, {2, 2100}};

  private static long[] bits(Tensor t) {
    double[] v = t.toDoubleArray();
    long[] b = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Double.doubleToRawLongBits(v[i]);
    }
    return b;
  }

  /** Runs a step per gradient from a fresh parameter and returns the parameter then its state tensors. */
  private static List<Tensor> run(boolean fused, boolean decoupled, Adam.Options o, Supplier<Tensor> start,
      Tensor[] grads) {
    boolean was = FusedPrimitives.setEnabled(fused);
    try {
      Tensor p = start.get().requiresGrad(true);
      Adam opt = decoupled ? new AdamW(List.of(p), o) : new Adam(List.of(p), o);
      for (Tensor g : grads) {
        p.setGrad(g.clone());
        opt.step();
      }
      List<Tensor> out = new ArrayList<>();
      out.add(p.detach());
      Map<String, Object> s = opt.state(p);
      for (String k : new String[] {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
        if (s.containsKey(k)) {
          out.add((Tensor) s.get(k));
        }
      }
      return out;
    } finally {
      FusedPrimitives.setEnabled(was);
    }
  }

  private static void assertSameBits(List<Tensor> expected, List<Tensor> actual, String what) {
    assertEquals(expected.size(), actual.size(), what);
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(bits(expected.get(i)), bits(actual.get(i)), what + " tensor " + i);
    }
  }

  @Test
  void fusedStepMatchesTheCompositionBitForBit() {
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      for (int[] shape : SHAPES) {
        Tensor.manualSeed(11);
        Tensor start = Tensor.randn(shape).to(dtype);
        Tensor[] grads = {Tensor.randn(shape).to(dtype), Tensor.randn(shape).to(dtype).mul(3),
            Tensor.randn(shape).to(dtype).mul(0.01)};
        for (boolean decoupled : new boolean[] {false, true}) {
          for (int c = 0; c < 8; c++) {
            Adam.Options o = Adam.options(3e-3).withWeightDecay((c & 1) != 0 ? 0.05 : 0).withAmsgrad((c & 2) != 0)
                .withMaximize((c & 4) != 0);
            if (c == 3 || c == 6) {
              o = o.withBetas(0.3, 0.95).withEps(1e-3); // lerp weight 0.7: lerp's other formula
            }
            String what = dtype + " " + java.util.Arrays.toString(shape) + (decoupled ? " AdamW " : " Adam ") + o;
            long before = FusedPrimitives.calls();
            List<Tensor> fused = run(true, decoupled, o, start::clone, grads);
            assertEquals(before + grads.length, FusedPrimitives.calls(), what + ": the fused step ran");
            assertSameBits(run(false, decoupled, o, start::clone, grads), fused, what);
          }
        }
      }
    }
  }

  @Test
  void operandsItDoesNotTakeFallBackToTheComposition() {
    Tensor.manualSeed(12);
    Adam.Options o = AdamW.options(1e-2).withAmsgrad(true);
    // A transposed (non-contiguous) parameter and float16 ones run the composition, same as with fusion off.
    Tensor base = Tensor.randn(5, 7);
    Supplier<Tensor> t = () -> base.clone().t();
    Tensor[] tg = {Tensor.randn(7, 5), Tensor.randn(7, 5)};
    assertTrue(!t.get().isContiguous());
    long before = FusedPrimitives.calls();
    List<Tensor> fused = run(true, true, o, t, tg);
    assertEquals(before, FusedPrimitives.calls(), "non-contiguous parameter declined");
    assertSameBits(run(false, true, o, t, tg), fused, "non-contiguous");
    Tensor h = Tensor.randn(4, 6).to(DType.FLOAT16);
    Tensor[] hg = {Tensor.randn(4, 6).to(DType.FLOAT16), Tensor.randn(4, 6).to(DType.FLOAT16)};
    before = FusedPrimitives.calls();
    fused = run(true, true, o, h::clone, hg);
    assertEquals(before, FusedPrimitives.calls(), "float16 declined");
    assertSameBits(run(false, true, o, h::clone, hg), fused, "float16");
  }
}
