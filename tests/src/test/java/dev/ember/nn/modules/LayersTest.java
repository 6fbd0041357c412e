package dev.ember.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.nn.AdaptiveAvgPool2d;
import dev.ember.nn.AvgPool2d;
import dev.ember.nn.BCELoss;
import dev.ember.nn.BCEWithLogitsLoss;
import dev.ember.nn.BatchNorm1d;
import dev.ember.nn.Conv1d;
import dev.ember.nn.Conv2d;
import dev.ember.nn.ConvTranspose2d;
import dev.ember.nn.CrossEntropyLoss;
import dev.ember.nn.Embedding;
import dev.ember.nn.Flatten;
import dev.ember.nn.GELU;
import dev.ember.nn.GroupNorm;
import dev.ember.nn.Identity;
import dev.ember.nn.L1Loss;
import dev.ember.nn.LayerNorm;
import dev.ember.nn.LeakyReLU;
import dev.ember.nn.Linear;
import dev.ember.nn.LogSoftmax;
import dev.ember.nn.MSELoss;
import dev.ember.nn.MaxPool2d;
import dev.ember.nn.ModuleDict;
import dev.ember.nn.ModuleList;
import dev.ember.nn.MultiheadAttention;
import dev.ember.nn.NLLLoss;
import dev.ember.nn.SiLU;
import dev.ember.nn.SmoothL1Loss;
import dev.ember.nn.Softmax;
import dev.ember.nn.TransformerEncoderLayer;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayersTest {
  @Test
  void linearUsesPyTorchDefaultInitBounds() {
    Linear fc = new Linear(100, 50, true, new Generator(3));
    double bound = 1 / Math.sqrt(100);
    double max = fc.weight().abs().amax().item();
    assertTrue(max <= bound && max > 0.9 * bound, "weight within U(-1/sqrt(in), 1/sqrt(in)): " + max);
    assertTrue(fc.bias().abs().amax().item() <= bound);
    Linear again = new Linear(100, 50, true, new Generator(3));
    assertArrayEquals(fc.weight().toFloatArray(), again.weight().toFloatArray(), "seeded init reproduces");
    assertArrayEquals(new int[] {7, 50}, fc.call(Tensor.randn(7, 100)).shapeArray());
    assertNull(new Linear(3, 2, false).bias());
    assertEquals(List.of("weight"), List.copyOf(new Linear(3, 2, false).stateDict().keySet()));
  }

  @Test
  void convolutionAndPoolingShapes() {
    Conv2d conv = new Conv2d(3, 8, new int[] {3, 5}, new int[] {2, 1}, new int[] {1, 2}, new int[] {1, 1}, 1, true,
        null);
    assertArrayEquals(new int[] {8, 3, 3, 5}, conv.weight().shapeArray());
    assertArrayEquals(new int[] {2, 8, 5, 10}, conv.call(Tensor.randn(2, 3, 10, 10)).shapeArray());
    Conv2d grouped = new Conv2d(4, 8, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 2, false,
        null);
    assertArrayEquals(new int[] {8, 2, 3, 3}, grouped.weight().shapeArray());
    assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 8, new int[] {3, 3}, new int[] {1, 1},
        new int[] {0, 0}, new int[] {1, 1}, 2, true, null));
    Conv1d c1 = new Conv1d(2, 4, 3);
    assertArrayEquals(new int[] {5, 4, 8}, c1.call(Tensor.randn(5, 2, 10)).shapeArray());
    ConvTranspose2d up = new ConvTranspose2d(8, 3, 4, 2, 1);
    assertArrayEquals(new int[] {8, 3, 4, 4}, up.weight().shapeArray());
    assertArrayEquals(new int[] {2, 3, 10, 10}, up.call(Tensor.randn(2, 8, 5, 5)).shapeArray());
    assertArrayEquals(new int[] {2, 3, 2, 2}, new MaxPool2d(2).call(Tensor.randn(2, 3, 5, 5)).shapeArray());
    assertArrayEquals(new int[] {2, 3, 3, 3}, new AvgPool2d(3, 2, 1).call(Tensor.randn(2, 3, 5, 5)).shapeArray());
    Tensor pooled = new AdaptiveAvgPool2d(1).call(Tensor.randn(2, 3, 5, 7));
    assertArrayEquals(new int[] {2, 3, 1, 1}, pooled.shapeArray());
    assertArrayEquals(new int[] {2, 3}, new Flatten().call(pooled).shapeArray());
  }

  @Test
  void normalizationLayers() {
    Tensor x = Tensor.randn(4, 6).mul(2).add(3);
    Tensor ln = new LayerNorm(6).call(x);
    assertEquals(0, ln.mean(1, false).abs().amax().item(), 1e-5);
    GroupNorm gn = new GroupNorm(2, 6);
    assertArrayEquals(new int[] {4, 6, 5}, gn.call(Tensor.randn(4, 6, 5)).shapeArray());
    BatchNorm1d bn = new BatchNorm1d(6, 1e-5, null, false, true);
    bn.call(x);
    bn.call(x.mul(3));
    // momentum null: the running mean is the cumulative average of the two batch means.
    assertArrayEquals(x.mean(0, false).mul(2).toFloatArray(), bn.runningMean().toFloatArray(), 1e-4f);
    assertNull(bn.weight());
    assertThrows(IllegalArgumentException.class, () -> bn.call(Tensor.randn(2, 6, 3, 3)));
  }

  @Test
  void embeddingPaddingRowGetsNoGradient() {
    Embedding emb = new Embedding(5, 3, 0, new Generator(1));
    assertEquals(0, emb.weight().select(0, 0).abs().sum().item(), 0, "padding row starts at zero");
    Tensor idx = Tensor.of(new long[] {0, 2, 2, 4}, 2, 2);
    Tensor out = emb.call(idx);
    assertArrayEquals(new int[] {2, 2, 3}, out.shapeArray());
    out.sum().backward();
    double[] g = emb.weight().grad().toDoubleArray();
    assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1}, g, 0);
  }

  @Test
  void activationModulesAndContainers() {
    Tensor x = Tensor.of(new double[] {-2, -0.5, 0, 1.5});
    assertArrayEquals(new double[] {-0.02, -0.005, 0, 1.5}, new LeakyReLU().call(x).toDoubleArray(), 1e-12);
    assertEquals(1, new Softmax(0).call(x).sum().item(), 1e-12);
    assertArrayEquals(x.logSoftmax(0).toDoubleArray(), new LogSoftmax(-1).call(x).toDoubleArray(), 0);
    assertEquals(1.5 / (1 + Math.exp(-1.5)), new SiLU().call(x).toDoubleArray()[3], 1e-12);
    assertEquals(0, new GELU().call(x).toDoubleArray()[2], 0);
    assertTrue(new Identity().call(x) == x);
    ModuleList list = new ModuleList(new Linear(2, 2), new Linear(2, 3));
    assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), List.copyOf(list.stateDict().keySet()));
    ModuleDict dict = new ModuleDict().put("enc", new Linear(2, 2)).put("dec", new Linear(2, 2, false));
    assertEquals(List.of("enc.weight", "enc.bias", "dec.weight"), List.copyOf(dict.stateDict().keySet()));
    assertThrows(UnsupportedOperationException.class, () -> list.call(x));
    assertThrows(IllegalArgumentException.class, () -> dict.put("enc", new Linear(1, 1)));
  }

  @Test
  void multiheadAttentionNamesShapesAndMasks() {
    MultiheadAttention mha = new MultiheadAttention(8, 2, 0, true, true, new Generator(9));
    assertEquals(List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
        List.copyOf(mha.stateDict().keySet()));
    assertArrayEquals(new int[] {24, 8}, mha.stateDict().get("in_proj_weight").shapeArray());
    assertEquals(0, mha.outProj().bias().abs().sum().item(), 0);
    Tensor q = Tensor.randn(2, 3, 8);
    Tensor kv = Tensor.randn(2, 5, 8);
    Tensor pad = Tensor.of(new boolean[] {false, false, false, true, true, false, false, false, false, true}, 2, 5);
    MultiheadAttention.Output o = mha.forward(q, kv, kv, pad, true, null, true);
    assertArrayEquals(new int[] {2, 3, 8}, o.output().shapeArray());
    assertArrayEquals(new int[] {2, 3, 5}, o.weights().shapeArray());
    float[] w = o.weights().toFloatArray();
    for (int l = 0; l < 3; l++) {
      assertEquals(0f, w[l * 5 + 3], 0f, "padded key 3 of batch 0");
      assertEquals(0f, w[l * 5 + 4], 0f, "padded key 4 of batch 0");
      assertEquals(0f, w[15 + l * 5 + 4], 0f, "padded key 4 of batch 1");
    }
    assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, o.weights().sum(2, false).reshape(-1).toFloatArray(), 1e-6f);
    // A causal bool mask (true = masked): query 0 only sees key 0.
    Tensor causal = Tensor.ones(3, 3).triu(1).gt(0);
    MultiheadAttention.Output c = mha.forward(q, q, q, null, true, causal, false);
    assertArrayEquals(new int[] {2, 2, 3, 3}, c.weights().shapeArray());
    assertEquals(1, c.weights().toFloatArray()[0], 1e-6);
    // Sequence-first layout gives the same numbers, transposed.
    MultiheadAttention seqFirst = new MultiheadAttention(8, 2);
    seqFirst.loadStateDict(mha.stateDict());
    Tensor a = mha.forward(q, kv, kv).output();
    Tensor b = seqFirst.forward(q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1)).output();
    assertArrayEquals(a.toFloatArray(), b.transpose(0, 1).contiguous().toFloatArray(), 1e-5f);
    assertArrayEquals(new int[] {3, 8}, mha.forward(q.select(0, 0)).shapeArray(), "unbatched");
  }

  @Test
  void transformerEncoderLayerNamesAndShapes() {
    TransformerEncoderLayer layer = new TransformerEncoderLayer(8, 2, 16, 0.1, "gelu", 1e-5, true, true, null);
    assertEquals(List.of("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight",
        "norm1.bias", "norm2.weight", "norm2.bias"), List.copyOf(layer.stateDict().keySet()));
    Tensor x = Tensor.randn(2, 4, 8);
    assertArrayEquals(new int[] {2, 4, 8}, layer.call(x).shapeArray());
    layer.eval();
    assertArrayEquals(layer.call(x).toFloatArray(), layer.call(x).toFloatArray(), 0f, "deterministic in eval");
    TransformerEncoderLayer post = new TransformerEncoderLayer(8, 2);
    post.eval();
    Tensor y = post.forward(x.transpose(0, 1), null, Tensor.zeros(2, 4).gt(0));
    assertArrayEquals(new int[] {4, 2, 8}, y.shapeArray());
    assertEquals(0, y.mean(2, false).abs().amax().item(), 1e-5, "post-norm output is layer-normalized");
    y.sum().backward();
    for (var e : post.namedParameters().entrySet()) {
      assertTrue(e.getValue().grad() != null, e.getKey() + " has a gradient");
    }
  }

  @Test
  void lossModules() {
    Tensor pred = Tensor.of(new double[] {0.5, 2, -1});
    Tensor target = Tensor.of(new double[] {1, 1, 1});
    assertEquals((0.25 + 1 + 4) / 3, new MSELoss().call(pred, target).item(), 1e-12);
    assertEquals((0.5 + 1 + 2) / 3, new L1Loss().call(pred, target).item(), 1e-12);
    assertEquals((0.125 + 0.5 + 1.5) / 3, new SmoothL1Loss().call(pred, target).item(), 1e-12);
    Tensor p = Tensor.of(new double[] {0.9, 0.2});
    Tensor t = Tensor.of(new double[] {1, 0});
    double bce = -(Math.log(0.9) + Math.log(0.8)) / 2;
    assertEquals(bce, new BCELoss().call(p, t).item(), 1e-12);
    Tensor logits = Tensor.of(new double[] {Math.log(9), Math.log(0.25)});
    assertEquals(bce, new BCEWithLogitsLoss().call(logits, t).item(), 1e-12);
    Tensor scores = Tensor.of(new double[][] {{2, 0, 0}, {0, 0, 3}});
    Tensor cls = Tensor.of(new long[] {0, 1});
    double ce = new CrossEntropyLoss().call(scores, cls).item();
    assertEquals(new NLLLoss().call(scores.logSoftmax(1), cls).item(), ce, 1e-12);
    BCEWithLogitsLoss weighted = new BCEWithLogitsLoss(null, dev.ember.ops.Losses.Reduction.SUM,
        Tensor.of(new double[] {2}));
    assertEquals(List.of("pos_weight"), List.copyOf(weighted.stateDict().keySet()));
    weighted.to(DType.FLOAT32);
    assertEquals(DType.FLOAT32, weighted.stateDict().get("pos_weight").dtype());
  }
}
