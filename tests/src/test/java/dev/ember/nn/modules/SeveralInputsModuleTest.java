package dev.ember.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Generator;
import dev.ember.RemovableHandle;
import dev.ember.Tensor;
import dev.ember.nn.Embedding;
import dev.ember.nn.Linear;
import dev.ember.nn.MSELoss;
import dev.ember.nn.Module;
import dev.ember.nn.Outputs;
import dev.ember.nn.Sequential;
import dev.ember.nn.functional.F;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Modules with several inputs and outputs through {@code call}, with forward hooks and pre-hooks. */
class SeveralInputsModuleTest {
  /** minGPT's shape: {@code logits, loss = model(idx, targets)}, loss null without targets. */
  static final class TinyLm extends Module {
    TinyLm() {
      registerModule("wte", new Embedding(5, 4, null, new Generator(1)));
      registerModule("head", new Linear(4, 5, true, new Generator(2)));
    }

    @Override
    public Outputs forward(Tensor... in) {
      Tensor logits = child("head").call(child("wte").call(in[0]));
      Tensor targets = in.length > 1 ? in[1] : null;
      Tensor loss = targets == null ? null
          : F.crossEntropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1));
      return Outputs.of(logits, loss);
    }
  }

  /** Two inputs, one output: {@code a * w + b}. */
  static final class Scale extends Module {
    @Override
    public Outputs forward(Tensor... in) {
      return Outputs.of(in[0].mul(2).add(in[1]));
    }
  }

  @Test
  void minGptStyleForwardReturnsLogitsAndLossAndTrains() {
    TinyLm model = new TinyLm();
    Tensor idx = Tensor.of(new long[] {0, 1, 2, 3, 4, 1}, 2, 3);
    Tensor targets = Tensor.of(new long[] {1, 2, 3, 4, 0, 2}, 2, 3);
    Outputs out = model.call(idx, targets);
    assertEquals(2, out.size());
    assertArrayEquals(new int[] {2, 3, 5}, out.get(0).shapeArray());
    assertEquals(0, out.get(1).dim());
    assertTrue(out.get(1).item() > 0);
    out.get(1).backward();
    assertNotNull(model.namedParameters().get("head.weight").grad());

    Outputs noTargets = model.call(idx, null);
    assertNull(noTargets.get(1));
    assertSame(noTargets.get(-1), noTargets.get(1));
    IllegalStateException one = assertThrows(IllegalStateException.class, () -> model.call(idx));
    assertTrue(one.getMessage().contains("TinyLm") && one.getMessage().contains("2 outputs"), one.getMessage());
  }

  @Test
  void preHookReplacesInputsAndForwardHookSeesAllOutputs() {
    Scale m = new Scale();
    Tensor a = Tensor.of(new double[] {1, 2});
    Tensor b = Tensor.of(new double[] {10, 20});
    List<String> order = new ArrayList<>();
    RemovableHandle pre = m.registerForwardPreHook((mod, in) -> {
      order.add("pre");
      assertEquals(2, in.size());
      return List.of(in.get(0).neg(), in.get(1));
    });
    Module.HookHandle post = m.registerForwardOutputsHook((mod, in, out) -> {
      order.add("post");
      assertArrayEquals(new double[] {-1, -2}, in.get(0).toDoubleArray(), "hooks see the replaced inputs");
      return Outputs.of(out.get(0).mul(10));
    });
    Tensor y = m.call(a, b).get(0);
    assertArrayEquals(new double[] {80, 160}, y.toDoubleArray());
    assertEquals(List.of("pre", "post"), order);

    m.registerForwardHook((mod, in, out) -> out.add(1));
    Tensor viaSingle = m.call(a, b).get(0);
    assertArrayEquals(new double[] {81, 161}, viaSingle.toDoubleArray(), "a one-output hook on a two-input call");

    pre.remove();
    pre.remove();
    post.close();
    assertArrayEquals(new double[] {13, 25}, m.call(a, b).get(0).toDoubleArray(), "the one-output hook stays");
  }

  @Test
  void preHookReturningNullKeepsInputsAndWorksOnOneInputModules() {
    Linear fc = new Linear(2, 1, true, new Generator(3));
    Tensor x = Tensor.of(new float[] {1, 2}, 1, 2);
    Tensor plain = fc.call(x);
    int[] calls = {0};
    try (Module.HookHandle h = fc.registerForwardPreHook((mod, in) -> {
      calls[0]++;
      return null;
    })) {
      assertArrayEquals(plain.toDoubleArray(), fc.call(x).toDoubleArray());
    }
    try (Module.HookHandle h = fc.registerForwardPreHook((mod, in) -> List.of(in.get(0).mul(0)))) {
      Sequential seq = new Sequential(fc);
      assertArrayEquals(fc.bias().toDoubleArray(), seq.call(x).toDoubleArray(), 1e-7,
          "a pre-hook on a child fires through Sequential");
    }
    assertEquals(1, calls[0]);
    assertArrayEquals(plain.toDoubleArray(), fc.call(x).toDoubleArray());
  }

  @Test
  void oneOutputHookOnSeveralOutputsNamesTheModule() {
    TinyLm model = new TinyLm();
    model.registerForwardHook((mod, in, out) -> out);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> model.call(Tensor.of(new long[] {0, 1}), null));
    assertTrue(e.getMessage().contains("TinyLm") && e.getMessage().contains("registerForwardOutputsHook"),
        e.getMessage());
  }

  @Test
  void lossCallRunsPreHooksAndChecksItsArity() {
    MSELoss loss = new MSELoss();
    Tensor p = Tensor.of(new double[] {1, 2});
    Tensor t = Tensor.of(new double[] {1, 4});
    assertEquals(2.0, loss.call(p, t).item(), 1e-12);
    try (Module.HookHandle h = loss.registerForwardPreHook((mod, in) -> List.of(in.get(1), in.get(1)))) {
      assertEquals(0.0, loss.call(p, t).item(), 1e-12);
    }
    assertThrows(IllegalArgumentException.class, () -> loss.call(p, t, t));
  }

  @Test
  void moduleWithoutSeveralInputsSaysHowToAddThem() {
    Linear fc = new Linear(2, 2);
    Tensor x = Tensor.zeros(1, 2);
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> fc.call(x, x));
    assertTrue(e.getMessage().contains("Linear") && e.getMessage().contains("2 inputs")
        && e.getMessage().contains("forward(Tensor...)"), e.getMessage());
  }

  @Test
  void outputsIsImmutableAndChecksIndices() {
    Tensor a = Tensor.zeros(1);
    Outputs o = Outputs.of(a, null);
    assertThrows(UnsupportedOperationException.class, () -> o.asList().set(0, a));
    assertThrows(IndexOutOfBoundsException.class, () -> o.get(2));
    assertEquals("Outputs[[1], null]", o.toString());
  }
}
