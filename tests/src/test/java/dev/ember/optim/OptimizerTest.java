package dev.ember.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class OptimizerTest {
  private static final Tensor X = Tensor.of(new double[][] {{0.5, -1.0, 2.0}, {1.5, 0.25, -0.75},
      {-0.3, 0.8, 0.1}, {2.0, -0.5, 0.6}});
  private static final Tensor Y = Tensor.of(new double[][] {{1, 0}, {-1, 2}, {0.5, 0.5}, {0, -1}});

  private static List<Tensor> freshParams() {
    return List.of(Tensor.of(new double[][] {{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}}).requiresGrad(true),
        Tensor.of(new double[] {0.05, -0.05}).requiresGrad(true));
  }

  private static void trainStep(Optimizer opt, List<Tensor> p) {
    opt.zeroGrad();
    X.matmul(p.get(0)).add(p.get(1)).sub(Y).square().mean().backward();
    opt.step();
  }

  private static void assertRoundTripContinuesIdentically(Function<List<Tensor>, Optimizer> make) {
    assertRoundTripContinuesIdentically(make, false);
  }

  private static void assertRoundTripContinuesIdentically(Function<List<Tensor>, Optimizer> make, boolean flat) {
    List<Tensor> a = freshParams();
    Optimizer optA = make.apply(a);
    for (int i = 0; i < 3; i++) {
      trainStep(optA, a);
    }
    Map<String, Object> saved = optA.stateDict();
    Map<String, Tensor> flatTensors = optA.stateTensors();
    Map<String, String> flatScalars = optA.stateScalars();
    // A second run: same parameter values, a new optimizer loaded from the snapshot.
    List<Tensor> b = List.of(a.get(0).detach().clone().requiresGrad(true),
        a.get(1).detach().clone().requiresGrad(true));
    Optimizer optB = make.apply(b);
    if (flat) {
      optB.loadStateDict(flatTensors, flatScalars);
    } else {
      optB.loadStateDict(saved);
    }
    for (int i = 0; i < 4; i++) {
      trainStep(optA, a);
      trainStep(optB, b);
    }
    assertArrayEquals(a.get(0).toDoubleArray(), b.get(0).toDoubleArray(), 0, optA.getClass().getSimpleName());
    assertArrayEquals(a.get(1).toDoubleArray(), b.get(1).toDoubleArray(), 0, optA.getClass().getSimpleName());
  }

  @Test
  void stateDictRoundTripContinuesIdentically() {
    assertRoundTripContinuesIdentically(p -> new SGD(p, SGD.options(0.05).withMomentum(0.9).withNesterov(true)));
    assertRoundTripContinuesIdentically(p -> new Adam(p, Adam.options(0.01).withAmsgrad(true).withWeightDecay(0.1)));
    assertRoundTripContinuesIdentically(p -> new AdamW(p, AdamW.options(0.01)));
    assertRoundTripContinuesIdentically(p -> new RMSprop(p, RMSprop.options(0.01).withCentered(true)
        .withMomentum(0.5)));
    assertRoundTripContinuesIdentically(p -> new Adagrad(p, Adagrad.options(0.1).withLrDecay(0.01)
        .withInitialAccumulatorValue(0.1)));
  }

  @Test
  void flatStateForCheckpointsRoundTrips() {
    assertRoundTripContinuesIdentically(p -> new Adam(p, 0.01), true);
    assertRoundTripContinuesIdentically(p -> new SGD(p, SGD.options(0.05).withMomentum(0.9)), true);
    Adam opt = new Adam(freshParams(), Adam.options(0.01).withAmsgrad(true));
    Map<String, String> scalars = opt.stateScalars();
    assertEquals("[0.9,0.999]", scalars.get("param_groups.0.betas"));
    assertEquals("{0,1}", scalars.get("param_groups.0.params"));
    assertEquals("true", scalars.get("param_groups.0.amsgrad"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void stateDictHasPyTorchLayoutAndIsASnapshot() {
    List<Tensor> p = freshParams();
    Adam opt = new Adam(p, Adam.options(0.01));
    trainStep(opt, p);
    Map<String, Object> sd = opt.stateDict();
    Map<Integer, Map<String, Object>> state = (Map<Integer, Map<String, Object>>) sd.get("state");
    assertEquals(List.of(0, 1), List.copyOf(state.keySet()));
    assertEquals(List.of("step", "exp_avg", "exp_avg_sq"), List.copyOf(state.get(0).keySet()));
    assertEquals(1.0, state.get(0).get("step"));
    List<Map<String, Object>> groups = (List<Map<String, Object>>) sd.get("param_groups");
    assertEquals(List.of(0, 1), groups.get(0).get("params"));
    assertEquals(0.01, groups.get(0).get("lr"));
    assertArrayEquals(new double[] {0.9, 0.999}, (double[]) groups.get(0).get("betas"));
    double before = ((Tensor) state.get(0).get("exp_avg")).toDoubleArray()[0];
    trainStep(opt, p);
    assertEquals(before, ((Tensor) state.get(0).get("exp_avg")).toDoubleArray()[0], 0, "snapshot must not change");
    assertNotSame(state.get(0).get("exp_avg"), opt.state(p.get(0)).get("exp_avg"));
  }

  @Test
  void groupsHaveTheirOwnHyperParameters() {
    Tensor a = Tensor.of(new double[] {1, 1}).requiresGrad(true);
    Tensor b = Tensor.of(new double[] {1, 1}).requiresGrad(true);
    SGD opt = new SGD(SGD.options(0.1), List.of(ParamGroup.of(List.of(a)), ParamGroup.of(List.of(b)).set("lr", 0.01)));
    a.sum().add(b.sum()).backward();
    opt.step();
    assertArrayEquals(new double[] {0.9, 0.9}, a.toDoubleArray(), 1e-15);
    assertArrayEquals(new double[] {0.99, 0.99}, b.toDoubleArray(), 1e-15);
    assertEquals(0.0, opt.paramGroups().get(1).getDouble("momentum"), "defaults fill the rest");
    opt.zeroGrad();
    assertNull(a.grad());
  }

  @Test
  void rejectsBadConfigurations() {
    List<Tensor> p = freshParams();
    var unknown = assertThrows(IllegalArgumentException.class,
        () -> new SGD(SGD.options(0.1), List.of(ParamGroup.of(p).set("betas", new double[] {0.9, 0.9}))));
    assertTrue(unknown.getMessage().contains("unknown option 'betas'"), unknown.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SGD(p, SGD.options(-1)));
    assertThrows(IllegalArgumentException.class, () -> new SGD(p, SGD.options(0.1).withNesterov(true)));
    assertThrows(IllegalArgumentException.class, () -> new Adam(p, Adam.options(0.1).withBetas(1.0, 0.9)));
    var dup = assertThrows(IllegalArgumentException.class,
        () -> new SGD(SGD.options(0.1), List.of(ParamGroup.of(p), ParamGroup.of(List.of(p.get(0))))));
    assertTrue(dup.getMessage().contains("more than one parameter group"), dup.getMessage());
  }

  @Test
  void skipsParametersWithoutGradientAndMaximizes() {
    Tensor a = Tensor.of(new double[] {1}).requiresGrad(true);
    Tensor frozen = Tensor.of(new double[] {5}).requiresGrad(true);
    SGD opt = new SGD(List.of(a, frozen), SGD.options(0.5).withMaximize(true));
    a.square().sum().backward();
    opt.step();
    assertEquals(2.0, a.item(), 1e-15);
    assertEquals(5.0, frozen.item(), 0);
  }

  @Test
  void closureStepReturnsTheLoss() {
    List<Tensor> p = freshParams();
    SGD opt = new SGD(p, SGD.options(0.1));
    Tensor loss = opt.step(() -> {
      opt.zeroGrad();
      Tensor l = X.matmul(p.get(0)).add(p.get(1)).sub(Y).square().mean();
      l.backward();
      return l;
    });
    assertTrue(loss.item() > 0);
    assertTrue(X.matmul(p.get(0)).add(p.get(1)).sub(Y).square().mean().item() < loss.item());
  }
}
