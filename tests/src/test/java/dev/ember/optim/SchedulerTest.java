package dev.ember.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ember.Tensor;
import dev.ember.optim.lr.CosineAnnealingLR;
import dev.ember.optim.lr.ExponentialLR;
import dev.ember.optim.lr.LinearLR;
import dev.ember.optim.lr.OneCycleLR;
import dev.ember.optim.lr.ReduceLROnPlateau;
import dev.ember.optim.lr.SequentialLR;
import dev.ember.optim.lr.StepLR;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  private static SGD sgd(double lr) {
    return new SGD(List.of(Tensor.of(new double[] {1}).requiresGrad(true)), SGD.options(lr));
  }

  @Test
  void sequentialWarmupThenExponential() {
    SGD opt = sgd(0.1);
    var warmup = new LinearLR(opt, 0.5, 1.0, 2);
    var decay = new ExponentialLR(opt, 0.5);
    var seq = new SequentialLR(opt, List.of(warmup, decay), new int[] {2});
    assertEquals(0.05, opt.paramGroups().get(0).lr(), 1e-15, "epoch 0: warm-up start");
    // PyTorch 2.x gives [0.075, 0.1, 0.05, 0.025] for epochs 1..4.
    double[] expected = {0.075, 0.1, 0.05, 0.025};
    for (double e : expected) {
      seq.step();
      assertEquals(e, seq.getLastLr()[0], 1e-15);
    }
  }

  @Test
  void reduceOnPlateauWaitsForPatienceThenCools() {
    SGD opt = sgd(1.0);
    var plateau = new ReduceLROnPlateau(opt, "min", 0.5, 1, 1e-4, "rel", 1, 0.1, 1e-8);
    double[] metrics = {1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9};
    double[] expected = {1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125};
    for (int i = 0; i < metrics.length; i++) {
      plateau.step(metrics[i]);
      assertEquals(expected[i], plateau.getLastLr()[0], 1e-15, "epoch " + (i + 1));
    }
    for (int i = 0; i < 20; i++) {
      plateau.step(0.9);
    }
    assertEquals(0.1, opt.paramGroups().get(0).lr(), 1e-15, "min_lr bounds the rate");
  }

  @Test
  void oneCycleCyclesMomentumInverselyAndRefusesExtraSteps() {
    SGD opt = new SGD(List.of(Tensor.of(new double[] {1}).requiresGrad(true)), SGD.options(0.1).withMomentum(0.9));
    var sched = new OneCycleLR(opt, 1.0, 4);
    ParamGroup g = opt.paramGroups().get(0);
    assertEquals(0.04, g.lr(), 1e-15);
    assertEquals(0.95, g.getDouble("momentum"), 1e-15);
    sched.step(); // end of phase 1 at step 0.2: pct > 1 never happens, step 1 is in phase 2
    assertEquals(0.85 + 0.1 * (1 - Math.cos(Math.PI * (1 - 0.2) / 2.8)) / 2, g.getDouble("momentum"), 1e-12);
    sched.step();
    sched.step();
    sched.step();
    assertThrows(IllegalStateException.class, sched::step);
    Adam adam = new Adam(List.of(Tensor.of(new double[] {1}).requiresGrad(true)), Adam.options(0.1));
    new OneCycleLR(adam, 1.0, 10);
    assertEquals(0.95, adam.paramGroups().get(0).getArray("betas")[0], 1e-15);
    assertEquals(0.999, adam.paramGroups().get(0).getArray("betas")[1], 1e-15);
  }

  @Test
  void stateDictResumesSchedule() {
    SGD opt = sgd(0.1);
    var a = new CosineAnnealingLR(opt, 10, 0.001);
    for (int i = 0; i < 4; i++) {
      a.step();
    }
    Map<String, Object> saved = a.stateDict();
    assertEquals(4, saved.get("last_epoch"));
    SGD opt2 = sgd(0.1);
    var b = new CosineAnnealingLR(opt2, 10, 0.001);
    b.loadStateDict(saved);
    a.step();
    b.step();
    assertArrayEquals(a.getLastLr(), b.getLastLr(), 0);
    assertEquals(0.0505, b.getLastLr()[0], 1e-15);
  }

  @Test
  void stepLrScalesEveryGroupFromItsOwnBase() {
    Tensor p = Tensor.of(new double[] {1}).requiresGrad(true);
    Tensor q = Tensor.of(new double[] {1}).requiresGrad(true);
    SGD opt = new SGD(SGD.options(1.0), List.of(ParamGroup.of(List.of(p)), ParamGroup.of(List.of(q)).set("lr", 0.5)));
    var s = new StepLR(opt, 1, 0.1);
    s.step();
    assertArrayEquals(new double[] {0.1, 0.05}, s.getLastLr(), 1e-15);
  }
}
