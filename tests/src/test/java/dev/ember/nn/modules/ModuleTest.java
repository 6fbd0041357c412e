package dev.ember.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.nn.BatchNorm2d;
import dev.ember.nn.Conv2d;
import dev.ember.nn.Dropout;
import dev.ember.nn.LSTM;
import dev.ember.nn.Linear;
import dev.ember.nn.LoadReport;
import dev.ember.nn.Module;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.nn.StateDictException;
import dev.ember.ops.Pooling;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTest {
  /** The interop {@code mlp}: fc1 Linear(12, 16), ReLU, fc2 Linear(16, 5). */
  static final class Mlp extends Module {
    Mlp() {
      registerModule("fc1", new Linear(12, 16));
      registerModule("fc2", new Linear(16, 5));
    }

    @Override
    public Tensor forward(Tensor x) {
      return child("fc2").call(child("fc1").call(x).relu());
    }
  }

  /** The interop {@code cnn}: conv1, bn1, relu, pool; conv2, relu, pool; flatten; fc. */
  static final class Cnn extends Module {
    Cnn() {
      registerModule("conv1", new Conv2d(1, 4, 3, 1, 1));
      registerModule("bn1", new BatchNorm2d(4));
      registerModule("conv2", new Conv2d(4, 8, 3, 1, 1));
      registerModule("fc", new Linear(32, 3));
    }

    @Override
    public Tensor forward(Tensor x) {
      Tensor h = Pooling.maxPool2d(child("bn1").call(child("conv1").call(x)).relu(), 2);
      h = Pooling.maxPool2d(child("conv2").call(h).relu(), 2);
      return child("fc").call(h.flatten(1, -1));
    }
  }

  private static void assertStateDictMatchesPyTorch(Module model, String name) {
    // Key order and shapes from interop/models.json (PyTorch's state_dict()).
    Map<String, Tensor> ours = model.stateDict();
    Map<String, Tensor> theirs = SafetensorsReader.read("/interop/" + name + ".safetensors");
    assertEquals(new java.util.TreeSet<>(theirs.keySet()), new java.util.TreeSet<>(ours.keySet()));
    for (var e : theirs.entrySet()) {
      assertArrayEquals(e.getValue().shapeArray(), ours.get(e.getKey()).shapeArray(), e.getKey());
      assertEquals(e.getValue().dtype(), ours.get(e.getKey()).dtype(), e.getKey());
    }
  }

  @Test
  void stateDictKeysMatchPyTorchInOrder() {
    assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"),
        List.copyOf(new Mlp().stateDict().keySet()));
    assertEquals(List.of("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "bn1.num_batches_tracked", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"),
        List.copyOf(new Cnn().stateDict().keySet()));
    assertStateDictMatchesPyTorch(new Mlp(), "mlp");
    assertStateDictMatchesPyTorch(new Cnn(), "cnn");
    Tensor nbt = new Cnn().stateDict().get("bn1.num_batches_tracked");
    assertEquals(DType.INT64, nbt.dtype());
    assertEquals(0, nbt.dim());
  }

  @Test
  void lstmStateDictKeysMatchPyTorch() {
    LSTM lstm = new LSTM(3, 5, 2, true, false, 0, true, null);
    List<String> expected = new ArrayList<>();
    for (int l = 0; l < 2; l++) {
      for (String sfx : new String[] {"", "_reverse"}) {
        for (String k : new String[] {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}) {
          expected.add(k + "_l" + l + sfx);
        }
      }
    }
    Map<String, Tensor> sd = lstm.stateDict();
    assertEquals(expected, List.copyOf(sd.keySet()));
    assertArrayEquals(new int[] {20, 3}, sd.get("weight_ih_l0").shapeArray());
    assertArrayEquals(new int[] {20, 10}, sd.get("weight_ih_l1").shapeArray());
    assertArrayEquals(new int[] {20, 5}, sd.get("weight_hh_l1_reverse").shapeArray());
    Sequential seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(seq.stateDict().keySet()));
  }

  @Test
  void pyTorchWeightsGivePyTorchOutputs() {
    for (String name : new String[] {"mlp", "cnn"}) {
      Module model = name.equals("mlp") ? new Mlp() : new Cnn();
      LoadReport report = model.loadStateDict(SafetensorsReader.read("/interop/" + name + ".safetensors"));
      assertTrue(report.isClean(), report.toString());
      model.eval();
      Map<String, Tensor> io = SafetensorsReader.read("/interop/" + name + ".io.safetensors");
      Tensor out = model.call(io.get("input0"));
      assertArrayEquals(io.get("output").shapeArray(), out.shapeArray());
      assertArrayEquals(io.get("output").toFloatArray(), out.toFloatArray(), 1e-5f, name);
    }
  }

  @Test
  void loadStateDictReportsMissingUnexpectedAndMisshapedKeys() {
    Mlp model = new Mlp();
    LinkedHashMap<String, Tensor> sd = new Mlp().stateDict();
    sd.remove("fc2.bias");
    sd.put("fc3.weight", Tensor.zeros(2, 2));
    var e = assertThrows(StateDictException.class, () -> model.loadStateDict(sd));
    assertEquals(List.of("fc2.bias"), e.report().missingKeys());
    assertEquals(List.of("fc3.weight"), e.report().unexpectedKeys());
    assertTrue(e.getMessage().contains("Missing key(s) in state_dict: \"fc2.bias\""), e.getMessage());
    assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: \"fc3.weight\""), e.getMessage());
    double before = model.stateDict().get("fc1.weight").toDoubleArray()[0];
    assertEquals(before, model.stateDict().get("fc1.weight").toDoubleArray()[0], "nothing copied on failure");

    LoadReport lenient = model.loadStateDict(sd, false);
    assertEquals(List.of("fc2.bias"), lenient.missingKeys());
    assertArrayEquals(sd.get("fc1.weight").toFloatArray(), model.stateDict().get("fc1.weight").toFloatArray());

    LinkedHashMap<String, Tensor> wrong = new Mlp().stateDict();
    wrong.put("fc1.weight", Tensor.zeros(12, 16));
    var shape = assertThrows(StateDictException.class, () -> model.loadStateDict(wrong, false));
    assertTrue(shape.getMessage().contains("fc1.weight: checkpoint [12, 16] vs model [16, 12]"), shape.getMessage());
  }

  @Test
  void loadStateDictKeepsParameterIdentity() {
    Mlp model = new Mlp();
    Tensor w = model.namedParameters().get("fc1.weight");
    model.loadStateDict(new Mlp().stateDict());
    assertSame(w, model.namedParameters().get("fc1.weight"));
    assertTrue(w.requiresGrad());
    assertTrue(w.isLeaf());
  }

  @Test
  void traversalFollowsRegistrationOrder() {
    Cnn cnn = new Cnn();
    assertEquals(List.of("conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv2.weight", "conv2.bias",
        "fc.weight", "fc.bias"), List.copyOf(cnn.namedParameters().keySet()));
    assertEquals(8, cnn.parameters().size());
    assertEquals(List.of("", "conv1", "bn1", "conv2", "fc"), List.copyOf(cnn.namedModules().keySet()));
    assertEquals(List.of("bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"),
        List.copyOf(cnn.namedBuffers().keySet()));
    List<String> visited = new ArrayList<>();
    cnn.apply(m -> visited.add(m.getClass().getSimpleName()));
    assertEquals(List.of("Conv2d", "BatchNorm2d", "Conv2d", "Linear", "Cnn"), visited);
    // A shared layer's parameters appear once.
    Linear shared = new Linear(2, 2);
    assertEquals(2, new Sequential(shared, shared).parameters().size());
  }

  @Test
  void dropoutAndBatchNormFollowTrainAndEval() {
    Dropout drop = new Dropout(0.5, new Generator(7));
    Tensor x = Tensor.ones(1000);
    Tensor y = drop.call(x);
    long zeros = 0;
    for (float v : y.toFloatArray()) {
      assertTrue(v == 0f || v == 2f);
      zeros += v == 0f ? 1 : 0;
    }
    assertTrue(zeros > 400 && zeros < 600, "about half dropped: " + zeros);
    drop.eval();
    assertSame(x, drop.call(x));

    BatchNorm2d bn = new BatchNorm2d(2);
    Sequential net = new Sequential(bn);
    Tensor in = Tensor.randn(4, 2, 3, 3).mul(3).add(5);
    Tensor out = net.call(in);
    assertEquals(0, out.mean(new int[] {0, 2, 3}, false).abs().amax().item(), 1e-5, "batch statistics in training");
    assertEquals(1, bn.numBatchesTracked().item());
    double[] mean = in.mean(new int[] {0, 2, 3}, false).toDoubleArray();
    double[] var = in.var(new int[] {0, 2, 3}, 1, false).toDoubleArray();
    for (int c = 0; c < 2; c++) {
      assertEquals(0.1 * mean[c], bn.runningMean().toDoubleArray()[c], 1e-5);
      assertEquals(0.9 + 0.1 * var[c], bn.runningVar().toDoubleArray()[c], 1e-4);
    }
    net.eval();
    assertFalse(bn.isTraining());
    Tensor evalOut = net.call(in);
    assertEquals(1, bn.numBatchesTracked().item(), "eval doesn't count batches");
    double expected = (in.toDoubleArray()[0] - bn.runningMean().toDoubleArray()[0])
        / Math.sqrt(bn.runningVar().toDoubleArray()[0] + 1e-5);
    assertEquals(expected, evalOut.toDoubleArray()[0], 1e-4, "running statistics in eval");
  }

  @Test
  void toDTypeMovesParametersBuffersAndGradients() {
    Cnn cnn = new Cnn();
    cnn.call(Tensor.randn(2, 1, 8, 8)).sum().backward();
    Tensor oldWeight = cnn.namedParameters().get("conv1.weight");
    assertNotNull(oldWeight.grad());
    cnn.to(DType.FLOAT64);
    for (var e : cnn.namedParameters().entrySet()) {
      assertEquals(DType.FLOAT64, e.getValue().dtype(), e.getKey());
      assertTrue(e.getValue().requiresGrad() && e.getValue().isLeaf(), e.getKey());
      assertEquals(DType.FLOAT64, e.getValue().grad().dtype(), e.getKey() + " grad");
    }
    assertArrayEquals(oldWeight.toDoubleArray(), cnn.namedParameters().get("conv1.weight").toDoubleArray(), 1e-7);
    assertEquals(DType.FLOAT64, cnn.namedBuffers().get("bn1.running_mean").dtype());
    assertEquals(DType.INT64, cnn.namedBuffers().get("bn1.num_batches_tracked").dtype(), "integer buffers stay");
    Tensor out = cnn.call(Tensor.randn(2, 1, 8, 8).to(DType.FLOAT64));
    assertEquals(DType.FLOAT64, out.dtype());
    cnn.zeroGrad();
    for (Tensor p : cnn.parameters()) {
      assertNull(p.grad());
    }
    // Moving to the same dtype keeps the tensors.
    Tensor same = cnn.namedParameters().get("fc.bias");
    cnn.to(DType.FLOAT64);
    assertSame(same, cnn.namedParameters().get("fc.bias"));
  }

  @Test
  void forwardHooksSeeAndReplaceOutputs() {
    Linear fc = new Linear(3, 2);
    Sequential net = new Sequential(fc, new ReLU());
    List<int[]> seen = new ArrayList<>();
    Module.HookHandle h = fc.registerForwardHook((m, in, out) -> {
      seen.add(out.shapeArray());
      return out.mul(0).sub(1);
    });
    Tensor y = net.call(Tensor.ones(4, 3));
    assertEquals(1, seen.size());
    assertArrayEquals(new int[] {4, 2}, seen.get(0));
    assertEquals(0, y.abs().sum().item(), 0, "replaced output went through the ReLU");
    h.remove();
    net.call(Tensor.ones(4, 3));
    assertEquals(1, seen.size());
  }

  @Test
  void printsLikePyTorch() {
    String s = new Sequential(new Linear(2, 3), new ReLU()).toString();
    assertEquals("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)", s);
  }
}
