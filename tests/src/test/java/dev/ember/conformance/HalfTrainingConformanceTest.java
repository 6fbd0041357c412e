package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autocast;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.nn.Embedding;
import dev.ember.nn.LayerNorm;
import dev.ember.nn.Linear;
import dev.ember.nn.Module;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.nn.functional.F;
import dev.ember.optim.AdamW;
import dev.ember.optim.Optimizer;
import dev.ember.optim.SGD;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training in half precision on every device: a tiny MLP with bfloat16 (and float16) parameters and
 * AdamW or SGD lowers its loss, its parameters, gradients and optimizer updates staying in their
 * dtype; and a float32 model trains under {@link Autocast}.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class HalfTrainingConformanceTest {
  @Parameter
  Device device;

  /** Four Gaussian blobs in 8-d, labelled by blob: separable, so a small MLP fits them quickly. */
  private Tensor[] data() {
    Generator g = new Generator(7);
    Tensor centers = Tensor.randn(Shape.of(4, 8), DType.FLOAT32, Device.CPU, g).mul(2);
    long[] labels = new long[64];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 4;
    }
    Tensor y = Tensor.of(labels);
    Tensor x = F.embedding(y, centers).add(Tensor.randn(Shape.of(64, 8), DType.FLOAT32, Device.CPU, g).mul(0.5));
    return new Tensor[] {x.to(device), y.to(device)};
  }

  private Module mlp() {
    Generator g = new Generator(11);
    return new Sequential(new Linear(8, 32, true, g), new ReLU(), new Linear(32, 4, true, g)).to(device);
  }

  /** Trains for 40 steps; returns the first and last loss. */
  private double[] train(Module model, Optimizer opt, Tensor x, Tensor y, Supplier<Autocast> scope,
      DType lossDType) {
    double first = Double.NaN;
    double last = Double.NaN;
    for (int step = 0; step < 40; step++) {
      opt.zeroGrad();
      Tensor loss;
      try (Autocast a = scope.get()) {
        loss = F.crossEntropy(model.forward(x), y);
      }
      assertEquals(lossDType, loss.dtype());
      loss.backward();
      opt.step();
      double v = loss.item();
      assertTrue(Double.isFinite(v), "loss at step " + step + ": " + v);
      first = step == 0 ? v : first;
      last = v;
    }
    return new double[] {first, last};
  }

  @Test
  void mlpInBfloat16WithAdamWLowersItsLoss() {
    Tensor[] d = data();
    Module model = mlp().to(DType.BFLOAT16);
    Optimizer opt = new AdamW(model.parameters(), 0.01);
    double[] loss = train(model, opt, d[0].bfloat16(), d[1], Autocast::disable, DType.BFLOAT16);
    assertTrue(loss[1] < 0.5 * loss[0], "bfloat16 + AdamW: loss " + loss[0] + " -> " + loss[1]);
    for (Tensor p : model.parameters()) {
      assertEquals(DType.BFLOAT16, p.dtype());
      assertEquals(DType.BFLOAT16, p.grad().dtype());
    }
  }

  @Test
  void mlpInFloat16WithSgdLowersItsLoss() {
    Tensor[] d = data();
    Module model = mlp().to(DType.FLOAT16);
    double[] loss = train(model, new SGD(model.parameters(), 0.1), d[0].half(), d[1], Autocast::disable,
        DType.FLOAT16);
    assertTrue(loss[1] < 0.5 * loss[0], "float16 + SGD: loss " + loss[0] + " -> " + loss[1]);
  }

  @Test
  void float32ModelTrainsUnderAutocast() {
    Tensor[] d = data();
    Module model = mlp();
    double[] loss = train(model, new AdamW(model.parameters(), 0.01), d[0], d[1],
        () -> Autocast.enable(DType.BFLOAT16), DType.FLOAT32);
    assertTrue(loss[1] < 0.5 * loss[0], "autocast bfloat16: loss " + loss[0] + " -> " + loss[1]);
    for (Tensor p : model.parameters()) {
      assertEquals(DType.FLOAT32, p.dtype());
      assertEquals(DType.FLOAT32, p.grad().dtype());
    }
  }

  @Test
  void embeddingAndLayerNormRunInHalf() {
    Embedding emb = (Embedding) new Embedding(10, 6).to(device).to(DType.BFLOAT16);
    LayerNorm norm = (LayerNorm) new LayerNorm(6).to(device).to(DType.BFLOAT16);
    Tensor tokens = Tensor.of(new long[] {1, 3, 3, 9}).to(device);
    Tensor out = norm.forward(emb.forward(tokens));
    assertEquals(DType.BFLOAT16, out.dtype());
    double[] v = out.to(DType.FLOAT64).toDoubleArray();
    for (int row = 0; row < 4; row++) {
      double mean = 0;
      for (int j = 0; j < 6; j++) {
        mean += v[row * 6 + j] / 6;
      }
      assertEquals(0, mean, 0.02, "row " + row + " mean after layer norm");
    }
    out.sum().backward();
    assertEquals(DType.BFLOAT16, emb.weight().grad().dtype());
  }
}
