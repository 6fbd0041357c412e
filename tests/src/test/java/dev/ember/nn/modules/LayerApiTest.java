package dev.ember.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.nn.AvgPool2d;
import dev.ember.nn.BatchNorm1d;
import dev.ember.nn.Conv1d;
import dev.ember.nn.Conv2d;
import dev.ember.nn.Dropout2d;
import dev.ember.nn.Embedding;
import dev.ember.nn.GRU;
import dev.ember.nn.GroupNorm;
import dev.ember.nn.LSTM;
import dev.ember.nn.LayerNorm;
import dev.ember.nn.Linear;
import dev.ember.nn.MaxPool2d;
import dev.ember.nn.Module;
import dev.ember.nn.ModuleList;
import dev.ember.nn.MultiheadAttention;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.nn.Tanh;
import dev.ember.nn.Unfold;
import dev.ember.nn.functional.F;
import dev.ember.optim.SGD;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Embedding.fromPretrained, layer hyper-parameter getters, container slicing, named conv padding, Dropout2d, Unfold. */
class LayerApiTest {
  private static Tensor table() {
    return Tensor.of(new double[] {0, 1, 2, 3, 4, 5}, 3, 2);
  }

  @Test
  void fromPretrainedFrozenSharesTheTableAndIsNotTrained() {
    Tensor w = table();
    Embedding e = Embedding.fromPretrained(w, true);
    assertFalse(e.weight().requiresGrad());
    assertTrue(e.parameters().contains(e.weight()), "still a parameter (in the state dict)");
    assertArrayEquals(new double[] {4, 5, 0, 1}, e.call(Tensor.of(new long[] {2, 0})).toDoubleArray());
    assertFalse(e.call(Tensor.of(new long[] {1})).requiresGrad());
    w.select(0, 1).fillInPlace(9);
    assertArrayEquals(new double[] {9, 9}, e.call(Tensor.of(new long[] {1})).toDoubleArray(),
        "the weight shares the given tensor's storage, as in PyTorch");
    assertEquals(3, e.numEmbeddings());
    assertEquals(2, e.embeddingDim());
  }

  @Test
  void fromPretrainedUnfrozenTrainsAndPaddingRowGetsNoGradient() {
    Embedding e = Embedding.fromPretrained(table(), false, -1);
    assertTrue(e.weight().requiresGrad());
    assertEquals(2, e.paddingIdx());
    assertArrayEquals(new double[] {4, 5}, e.call(Tensor.of(new long[] {2})).toDoubleArray(),
        "the padding row keeps its pretrained values");
    e.call(Tensor.of(new long[] {0, 2, 0})).sum().backward();
    assertArrayEquals(new double[] {2, 2, 0, 0, 0, 0}, e.weight().grad().toDoubleArray());
    new SGD(e.parameters(), 0.5).step();
    assertArrayEquals(new double[] {-1, 0}, e.weight().select(0, 0).toDoubleArray(), 1e-12);
  }

  @Test
  void fromPretrainedRejectsNonMatrices() {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> Embedding.fromPretrained(Tensor.zeros(4), true));
    assertTrue(ex.getMessage().contains("fromPretrained") && ex.getMessage().contains("[4]"), ex.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Embedding.fromPretrained(table(), true, 3));
  }

  @Test
  void hyperParameterGettersReturnConstructorArguments() {
    Linear fc = new Linear(3, 4);
    assertEquals(3, fc.inFeatures());
    assertEquals(4, fc.outFeatures());
    Conv2d conv = new Conv2d(2, 6, new int[] {3, 5}, new int[] {2, 1}, new int[] {1, 2}, new int[] {1, 1}, 2,
        false, null);
    assertEquals(2, conv.inChannels());
    assertEquals(6, conv.outChannels());
    assertArrayEquals(new int[] {3, 5}, conv.kernelSize());
    assertArrayEquals(new int[] {2, 1}, conv.stride());
    assertArrayEquals(new int[] {1, 2}, conv.padding());
    assertEquals(2, conv.groups());
    assertNull(conv.paddingName());
    Conv1d c1 = new Conv1d(2, 4, 3);
    assertEquals(3, c1.kernelSize());
    assertEquals(1, c1.stride());
    BatchNorm1d bn = new BatchNorm1d(5);
    assertEquals(5, bn.numFeatures());
    assertEquals(0.1, bn.momentum());
    assertEquals(1e-5, bn.eps());
    assertTrue(bn.affine() && bn.trackRunningStats());
    LayerNorm ln = new LayerNorm(7);
    assertArrayEquals(new int[] {7}, ln.normalizedShape());
    assertEquals(1e-5, ln.eps());
    assertEquals(2, new GroupNorm(2, 4).numGroups());
    LSTM lstm = new LSTM(3, 8, 2, true);
    assertEquals(3, lstm.inputSize());
    assertEquals(8, lstm.hiddenSize());
    assertEquals(2, lstm.numLayers());
    assertTrue(lstm.batchFirst() && lstm.hasBias() && !lstm.bidirectional());
    assertEquals(5, new GRU(2, 5).hiddenSize());
    MaxPool2d mp = new MaxPool2d(2);
    assertArrayEquals(new int[] {2}, mp.kernelSize());
    assertArrayEquals(new int[] {2}, mp.stride(), "stride defaults to the kernel");
    assertArrayEquals(new int[] {3}, new AvgPool2d(3, 1, 1).kernelSize());
    MultiheadAttention mha = new MultiheadAttention(8, 2);
    assertEquals(8, mha.embedDim());
    assertEquals(2, mha.numHeads());
    assertFalse(mha.batchFirst());
    assertEquals(0.2, new dev.ember.nn.LeakyReLU(0.2).negativeSlope());
    assertEquals(1, new dev.ember.nn.Softmax(1).dim());
    assertEquals("tanh", new dev.ember.nn.GELU("tanh").approximate());
    assertArrayEquals(new int[] {3, 4}, new dev.ember.nn.AdaptiveAvgPool2d(3, 4).outputSize());
    assertEquals(-1, new dev.ember.nn.Flatten().endDim());
  }

  @Test
  void sequentialSliceSharesModulesAndKeepsNames() {
    Linear a = new Linear(2, 3);
    ReLU b = new ReLU();
    Linear c = new Linear(3, 1);
    Sequential seq = new Sequential(a, b, c);
    Sequential tail = seq.slice(1, 3);
    assertEquals(2, tail.size());
    assertSame(b, tail.get(0));
    assertSame(c, tail.get(1));
    assertTrue(tail.stateDict().containsKey("2.weight"), "PyTorch keeps the original names: "
        + tail.stateDict().keySet());
    assertSame(a, seq.slice(0, -2).get(0));
    assertEquals(1, seq.slice(0, -2).size());
    assertEquals(0, seq.slice(5, 9).size(), "out-of-range slices are empty, as in Python");
    assertSame(c, seq.get(-1));
    Tensor x = Tensor.of(new float[] {1, -2}, 1, 2);
    assertArrayEquals(seq.call(x).toDoubleArray(), tail.call(a.call(x)).toDoubleArray(), 1e-7);

    Tanh t = new Tanh();
    seq.insert(1, t).extend(List.of(new ReLU()));
    assertEquals(5, seq.size());
    assertSame(t, seq.get(1));
    assertSame(b, seq.get(2));
    assertTrue(seq.namedChildren().keySet().containsAll(List.of("0", "1", "2", "3", "4")));
  }

  @Test
  void moduleListExtendAndInsertRenumber() {
    Linear a = new Linear(1, 1);
    Linear b = new Linear(1, 1);
    Linear c = new Linear(1, 1);
    ModuleList list = new ModuleList(a).extend(List.of(c));
    list.insert(1, b);
    assertEquals(List.of(a, b, c), list.children());
    assertEquals(List.of("0", "1", "2"), List.copyOf(list.namedChildren().keySet()));
    assertSame(b, list.namedModules().get("1"));
    Linear d = new Linear(1, 1);
    list.insert(-1, d);
    assertSame(d, list.get(2), "a negative index inserts before that position, as list.insert does");
    list.insert(100, new ReLU());
    assertEquals(5, list.size());
  }

  @Test
  void conv2dSamePaddingPadsTheExtraRowAndColumnAtTheEnd() {
    Tensor x = Tensor.arange(25).reshape(1, 1, 5, 5).to(dev.ember.DType.FLOAT64);
    Conv2d even = new Conv2d(1, 1, 4, "same");
    Tensor w = even.weight().detach().to(dev.ember.DType.FLOAT64);
    Conv2d even64 = (Conv2d) even.to(dev.ember.DType.FLOAT64);
    Tensor y = even64.call(x);
    assertArrayEquals(new int[] {1, 1, 5, 5}, y.shapeArray());
    Tensor expected = F.conv2d(F.pad(x, 1, 2, 1, 2), w, even64.bias());
    assertArrayEquals(expected.toDoubleArray(), y.toDoubleArray(), 1e-12);
    assertEquals("same", even.paddingName());
    assertTrue(even.toString().contains("padding=same"), even.toString());

    Conv2d valid = new Conv2d(1, 2, 3, "valid");
    assertArrayEquals(new int[] {1, 2, 3, 3}, valid.call(x.to(dev.ember.DType.FLOAT32)).shapeArray());
    IllegalArgumentException strided = assertThrows(IllegalArgumentException.class,
        () -> new Conv2d(1, 1, new int[] {3, 3}, new int[] {2, 2}, "same", new int[] {1, 1}, 1, true, null));
    assertTrue(strided.getMessage().contains("strided"), strided.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Conv2d(1, 1, 3, "full"));
  }

  @Test
  void dropout2dZeroesWholeChannelsAndScalesTheRest() {
    Dropout2d drop = new Dropout2d(0.5, new Generator(11));
    Tensor x = Tensor.ones(40, 30, 3, 3);
    double[] y = drop.call(x).toDoubleArray();
    int dropped = 0;
    for (int ch = 0; ch < 40 * 30; ch++) {
      double first = y[ch * 9];
      for (int i = 1; i < 9; i++) {
        assertEquals(first, y[ch * 9 + i], "every channel is kept or dropped whole");
      }
      assertTrue(first == 0 || first == 2, "kept channels scale by 1 / (1 - p)");
      dropped += first == 0 ? 1 : 0;
    }
    assertEquals(600, dropped, 60, "about half of 1200 channels drop (3.5 sigma)");
    assertArrayEquals(new int[] {30, 3, 3}, drop.call(Tensor.ones(30, 3, 3)).shapeArray());
    drop.eval();
    Tensor same = Tensor.ones(2, 3, 3, 3);
    assertSame(same, drop.call(same));
    assertThrows(IllegalArgumentException.class, () -> new Dropout2d(1.5));
    drop.train();
    IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> drop.call(Tensor.ones(4, 4)));
    assertTrue(rank.getMessage().contains("dropout2d") && rank.getMessage().contains("[4, 4]"), rank.getMessage());
  }

  @Test
  void unfoldModuleMatchesFunctionalAndTakesUnbatchedInput() {
    Unfold unfold = new Unfold(new int[] {2, 3}, new int[] {1}, new int[] {1}, new int[] {2});
    Tensor x = Tensor.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5).to(dev.ember.DType.FLOAT64);
    Tensor cols = unfold.call(x);
    Tensor expected = F.unfold(x, new int[] {2, 3}, new int[] {1}, new int[] {1}, new int[] {2});
    assertArrayEquals(expected.toDoubleArray(), cols.toDoubleArray());
    assertArrayEquals(new int[] {2, 18, 9}, cols.shapeArray());
    Tensor one = unfold.call(x.select(0, 1));
    assertArrayEquals(new int[] {18, 9}, one.shapeArray());
    assertArrayEquals(cols.select(0, 1).contiguous().toDoubleArray(), one.toDoubleArray());
    assertArrayEquals(one.toDoubleArray(), F.unfold(x.select(0, 1), new int[] {2, 3}, new int[] {1}, new int[] {1},
        new int[] {2}).toDoubleArray(), "F.unfold takes unbatched input too");
    IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> unfold.call(Tensor.ones(4, 4)));
    assertTrue(rank.getMessage().contains("unfold") && rank.getMessage().contains("[4, 4]"), rank.getMessage());
    assertEquals("Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)", unfold.toString());
    Tensor simple = new Unfold(2).call(Tensor.arange(9).reshape(1, 1, 3, 3).to(dev.ember.DType.FLOAT64));
    assertArrayEquals(new double[] {0, 1, 3, 4, 1, 2, 4, 5, 3, 4, 6, 7, 4, 5, 7, 8}, simple.toDoubleArray());
    Module none = new Unfold(2);
    assertTrue(none.parameters().isEmpty());
    assertNotNull(none.toString());
  }
}
