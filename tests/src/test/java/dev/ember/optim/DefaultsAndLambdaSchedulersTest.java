package dev.ember.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import dev.ember.optim.lr.ConstantLR;
import dev.ember.optim.lr.CosineAnnealingWarmRestarts;
import dev.ember.optim.lr.LRScheduler;
import dev.ember.optim.lr.LambdaLR;
import dev.ember.optim.lr.MultiplicativeLR;
import dev.ember.optim.lr.PolynomialLR;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's default learning rates, and LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR and
 * CosineAnnealingWarmRestarts against PyTorch 2.13's rates.
 */
class DefaultsAndLambdaSchedulersTest {
  private static List<Tensor> params() {
    return List.of(Tensor.zeros(2).requiresGrad(true));
  }

  @Test
  void optimizersUsePyTorchsDefaultLearningRates() {
    assertEquals(1e-3, new SGD(params()).paramGroups().get(0).lr());
    assertEquals(1e-3, new Adam(params()).paramGroups().get(0).lr());
    assertEquals(1e-3, new AdamW(params()).paramGroups().get(0).lr());
    assertEquals(1e-2, new RMSprop(params()).paramGroups().get(0).lr());
    assertEquals(1e-2, new Adagrad(params()).paramGroups().get(0).lr());
  }

  /** Returns the rate before each of {@code n} optimizer steps, as PyTorch's trace loop records it. */
  private static double[] trace(Function<Optimizer, LRScheduler> make, int n) {
    Optimizer opt = new SGD(params(), 0.1);
    LRScheduler s = make.apply(opt);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = opt.paramGroups().get(0).lr();
      opt.step();
      s.step();
    }
    return out;
  }

  private static void assertRates(double[] expected, double[] actual) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-15, "epoch " + i);
    }
  }

  @Test
  void lambdaLrMultipliesTheBaseRate() {
    assertRates(new double[] {0.1, 0.05, 0.03333333333333333, 0.025, 0.020000000000000004, 0.016666666666666666,
        0.014285714285714285, 0.0125}, trace(o -> new LambdaLR(o, e -> 1.0 / (e + 1)), 8));
  }

  @Test
  void multiplicativeLrMultipliesThePreviousRate() {
    IntToDoubleFunction f = e -> e % 2 == 1 ? 0.5 : 0.9;
    assertRates(new double[] {0.1, 0.05, 0.045000000000000005, 0.022500000000000003, 0.020250000000000004,
        0.010125000000000002, 0.009112500000000003, 0.004556250000000001}, trace(o -> new MultiplicativeLR(o, f), 8));
    Optimizer opt = new SGD(params(), 0.1);
    MultiplicativeLR s = new MultiplicativeLR(opt, f);
    s.step(3);
    s.step(1);
    assertEquals(0.05, opt.paramGroups().get(0).lr(), 1e-15, "a jump back recomputes the product");
  }

  @Test
  void constantAndPolynomialLrMatchPyTorch() {
    double third = 0.03333333333333333;
    assertRates(new double[] {third, third, third, third, third, 0.1, 0.1, 0.1}, trace(ConstantLR::new, 8));
    assertRates(new double[] {0.1, 0.05625, 0.024999999999999998, 0.0062499999999999995, 0, 0, 0, 0},
        trace(o -> new PolynomialLR(o, 4, 2.0), 8));
  }

  @Test
  void cosineAnnealingWarmRestartsMatchesPyTorch() {
    assertRates(new double[] {0.1, 0.0775, 0.032500000000000015, 0.1, 0.09397114317029975, 0.0775, 0.05500000000000001,
        0.032500000000000015, 0.01602885682970026, 0.1, 0.09846666218300808, 0.09397114317029975, 0.08681980515339464,
        0.0775, 0.06664685702961344, 0.05500000000000001},
        trace(o -> new CosineAnnealingWarmRestarts(o, 3, 2, 0.01), 16));
    assertRates(new double[] {0.1, 0.08535533905932738, 0.05, 0.014644660940672627, 0.1, 0.08535533905932738},
        trace(o -> new CosineAnnealingWarmRestarts(o, 4), 6));
    Optimizer opt = new SGD(params(), 0.1);
    assertThrows(IllegalArgumentException.class, () -> new CosineAnnealingWarmRestarts(opt, 0));
    assertThrows(IllegalArgumentException.class, () -> new CosineAnnealingWarmRestarts(opt, 2, 0, 0));
  }

  @Test
  void lambdaLrNeedsOneFunctionPerGroup() {
    Optimizer opt = new SGD(params(), 0.1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LambdaLR(opt, List.of(x -> 1.0, x -> 2.0)));
    assertTrue(e.getMessage().contains("expected 1 lr_lambdas"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ConstantLR(opt, 1.5, 3));
  }
}
