package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend without oneDNN, as on a machine where its natives cannot load: run by its own
 * surefire execution with {@code -Dember.cpu.dnnl=false} (tests/pom.xml); its name keeps it out of the
 * default one. Convolutions decline the fused path per call and give the composed values.
 */
class DnnlFallbackCheck {
  @Test
  void switchedOffByTheProperty() {
    assertEquals("false", System.getProperty("ember.cpu.dnnl"), "run with -Dember.cpu.dnnl=false");
    assertFalse(CpuBackend.dnnlAvailable());
    assertTrue(CpuBackend.dnnlUnavailableReason().contains("-Dember.cpu.dnnl=false"),
        CpuBackend.dnnlUnavailableReason());
  }

  @Test
  void float32ProductsUseOpenBlas() {
    long before = CpuBackend.dnnlGemms();
    Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).to(dev.ember.DType.FLOAT32);
    assertTrue(java.util.Arrays.equals(new double[] {7, 10, 15, 22}, a.matmul(a).toDoubleArray()));
    assertEquals(before, CpuBackend.dnnlGemms(), "a product may not reach oneDNN");
  }

  @Test
  void float32BatchesRunEntryByEntryOnOpenBlas() {
    long before = CpuBackend.dnnlBatchedMatmuls();
    // [2, 2, 2] @ [2, 2]^T per entry: [[1,2],[3,4]] and [[5,6],[7,8]] times [[1,0],[1,1]]^T = [[1,1],[0,1]]
    Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2).to(dev.ember.DType.FLOAT32);
    Tensor b = Tensor.of(new double[] {1, 0, 1, 1}, 2, 2).to(dev.ember.DType.FLOAT32).t().expand(2, 2, 2);
    double[] got = a.matmul(b).toDoubleArray();
    assertTrue(java.util.Arrays.equals(new double[] {1, 3, 3, 7, 5, 11, 7, 15}, got), java.util.Arrays.toString(got));
    assertEquals(before, CpuBackend.dnnlBatchedMatmuls(), "a batch may not reach oneDNN");
  }

  @Test
  void convolutionUsesTheJavaPath() {
    long before = FusedPrimitives.calls();
    // x = 1..16 as [1, 1, 4, 4], a 2x2 kernel of ones: each output is the sum of a 2x2 window.
    double[] v = new double[16];
    for (int i = 0; i < 16; i++) {
      v[i] = i + 1;
    }
    Tensor x = Tensor.of(v, 1, 1, 4, 4).to(dev.ember.DType.FLOAT32).requiresGrad(true);
    Tensor w = Tensor.ones(1, 1, 2, 2).to(dev.ember.DType.FLOAT32).requiresGrad(true);
    Tensor y = F.maxPool2d(F.conv2d(x, w, null), 2, 1, 0);   // conv: [[14,18,22],[30,34,38],[46,50,54]]
    assertTrue(java.util.Arrays.equals(new double[] {34, 38, 50, 54}, y.toDoubleArray()),
        java.util.Arrays.toString(y.toDoubleArray()));
    y.sum().backward();
    assertEquals(34 + 38 + 50 + 54, w.grad().sum().item(), 1e-4);   // the four chosen windows' sums
    // only max pooling (forward, backward) is fused: its kernel is Java, the convolution is composed
    assertEquals(before + 2, FusedPrimitives.calls(), "the convolution may not reach oneDNN");
  }

  @Test
  void softmaxAndLayerNormUseTheJavaRowKernels() {
    // [520, 130]: above the 65,536 elements from which they run on oneDNN when it is on
    dev.ember.Tensor.manualSeed(31);
    Tensor x = Tensor.randn(520, 130).mul(4);
    Tensor w = Tensor.randn(130);
    Tensor b = Tensor.randn(130);
    long before = CpuBackend.dnnlRowOps();
    double[] soft = x.to(dev.ember.DType.FLOAT32).softmax(-1).toDoubleArray();
    double[] norm = F.layerNorm(x.to(dev.ember.DType.FLOAT32), new int[] {130}, w.to(dev.ember.DType.FLOAT32),
        b.to(dev.ember.DType.FLOAT32), 1e-5).toDoubleArray();
    assertEquals(before, CpuBackend.dnnlRowOps(), "a row op may not reach oneDNN");
    double[] softExpected = x.to(dev.ember.DType.FLOAT64).softmax(-1).toDoubleArray();
    double[] normExpected = F.layerNorm(x.to(dev.ember.DType.FLOAT64), new int[] {130}, w.to(dev.ember.DType.FLOAT64),
        b.to(dev.ember.DType.FLOAT64), 1e-5).toDoubleArray();
    for (int i = 0; i < soft.length; i++) {
      assertEquals(softExpected[i], soft[i], 1e-6, "softmax at " + i);
      assertEquals(normExpected[i], norm[i], 1e-5 * Math.max(1, Math.abs(normExpected[i])), "layer_norm at " + i);
    }
  }

  @Test
  void float32GruTakesTheJavaFusedNode() {
    dev.ember.nn.GRU gru = new dev.ember.nn.GRU(3, 4, 1, true, false, 0, false, new dev.ember.Generator(1));
    Tensor x = Tensor.randn(dev.ember.Shape.of(5, 2, 3), dev.ember.DType.FLOAT32, dev.ember.Device.CPU,
        new dev.ember.Generator(2));
    double[][] results = new double[2][];
    long before = FusedPrimitives.calls();
    for (int path = 0; path < 2; path++) {
      boolean was = FusedPrimitives.setEnabled(path == 0);
      try {
        Tensor xl = x.detach().clone().requiresGrad(true);
        Tensor y = gru.forward(xl);
        y.square().sum().backward();
        double[] out = y.toDoubleArray();
        double[] grad = xl.grad().toDoubleArray();
        results[path] = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(out), java.util.Arrays.stream(grad))
            .toArray();
      } finally {
        FusedPrimitives.setEnabled(was);
      }
      if (path == 0) {
        // oneDNN is off: the layer kernel declines and the recurrence node runs forward and backward
        assertEquals(before + 2, FusedPrimitives.calls(), "the GRU may not reach oneDNN");
      }
    }
    for (int i = 0; i < results[0].length; i++) {
      assertEquals(results[1][i], results[0][i], 1e-5, "element " + i);
    }
  }

  /** Large float32 elementwise ops (add, relu, exp, sigmoid and their gradients) run in Java, with the same values. */
  @Test
  void largeElementwiseOpsUseTheJavaLoops() {
    int n = 300_000;   // above every oneDNN elementwise threshold
    Tensor x = Tensor.arange(n).to(dev.ember.DType.FLOAT32).div(n / 8.0).sub(4).requiresGrad(true);
    long before = CpuBackend.dnnlElementwiseCalls();
    Tensor y = x.relu().add(x.exp()).mul(x.sigmoid()).add(x.tanh());
    y.sum().backward();
    assertEquals(before, CpuBackend.dnnlElementwiseCalls(), "elementwise work may not reach oneDNN");
    double[] xs = x.detach().toDoubleArray();
    double[] ys = y.detach().toDoubleArray();
    for (int i = 0; i < n; i += 997) {
      double v = xs[i];
      double s = 1 / (1 + Math.exp(-v));
      assertEquals((Math.max(v, 0) + Math.exp(v)) * s + Math.tanh(v), ys[i], 1e-4 * Math.max(1, Math.abs(ys[i])),
          "element " + i);
    }
  }
}
