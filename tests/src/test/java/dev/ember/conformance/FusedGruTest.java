package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.GradCheck;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.GRU;
import dev.ember.nn.RNN;
import dev.ember.ops.FusedGru;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GRU's fused sequence paths (dev.ember.ops.FusedGru: a backend's whole-layer kernel, oneDNN's
 * linear-before-reset GRU on the CPU for float32, or the recurrence as one node over Tensor ops)
 * against its per-step composition (fused primitives off): outputs, h_n and the gradients of the
 * input, h0 and every parameter, over one and two layers, both directions, batch-first, no bias; plus
 * double backward, a retained graph, float64 gradchecks on the fused path, a scalar reference of
 * PyTorch's equations and the shape errors. On the CPU, the fused cases must have taken a fused path.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class FusedGruTest {
  @Parameter
  Device device;

  @AfterEach
  void switchBackOn() {
    FusedPrimitives.setEnabled(true);
  }

  private Tensor randn(long seed, DType dtype, int... shape) {
    return Tensor.randn(Shape.of(shape), dtype, Device.CPU, new Generator(seed)).to(device);
  }

  /** One forward and backward of {@code gru}: output, hN, then every gradient. */
  private static List<Tensor> run(GRU gru, Tensor x, Tensor h0, boolean fused) {
    FusedPrimitives.setEnabled(fused);
    try (GradMode on = GradMode.enableGrad()) {
      gru.zeroGrad();
      Tensor xl = x.detach().clone().requiresGrad(true);
      Tensor hl = h0 == null ? null : h0.detach().clone().requiresGrad(true);
      RNN.Output o = gru.forward(xl, hl);
      // Weights on both results, so every gradient path is exercised.
      Tensor loss = o.output().mul(o.output().detach().add(0.5)).sum().add(o.hN().mul(1.5).sum());
      loss.backward();
      List<Tensor> out = new ArrayList<>(List.of(o.output().detach(), o.hN().detach(), xl.grad()));
      if (hl != null) {
        out.add(hl.grad());
      }
      for (Tensor p : gru.parameters()) {
        out.add(p.grad().clone());
      }
      return out;
    } finally {
      FusedPrimitives.setEnabled(true);
    }
  }

  private void same(String name, GRU gru, DType dtype, Tensor x, Tensor h0) {
    gru.to(dtype).to(device);
    long before = FusedPrimitives.calls();
    List<Tensor> fused = run(gru, x, h0, true);
    long calls = FusedPrimitives.calls() - before;
    List<Tensor> composed = run(gru, x, h0, false);
    if (device.equals(Device.CPU)) {
      int directions = gru.numLayers() * (gru.bidirectional() ? 2 : 1);
      assertEquals(2L * directions, calls, name + ": expected a fused forward and backward per layer direction");
    }
    double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-4;
    for (int i = 0; i < fused.size(); i++) {
      close(name + " result " + i, fused.get(i), composed.get(i), tol);
    }
  }

  @Test
  void w5ShapedLayerFloat32() {
    same("1 layer, batch-first, h0", new GRU(8, 16, 1, true, true, 0, false, new Generator(1)), DType.FLOAT32,
        randn(2, DType.FLOAT32, 4, 7, 8), randn(3, DType.FLOAT32, 1, 4, 16));
  }

  @Test
  void stackedBidirectionalFloat32() {
    same("2 layers, bidirectional, h0", new GRU(5, 6, 2, true, false, 0, true, new Generator(5)), DType.FLOAT32,
        randn(6, DType.FLOAT32, 5, 3, 5), randn(7, DType.FLOAT32, 4, 3, 6));
  }

  @Test
  void noBiasZeroStateFloat32() {
    same("no bias, zero state", new GRU(3, 4, 2, false, false, 0, true, new Generator(9)), DType.FLOAT32,
        randn(10, DType.FLOAT32, 6, 2, 3), null);
  }

  @Test
  void stackedBidirectionalFloat64() {
    same("float64, 2 layers, bidirectional", new GRU(3, 4, 2, true, true, 0, true, new Generator(12)),
        DType.FLOAT64, randn(13, DType.FLOAT64, 2, 5, 3), randn(14, DType.FLOAT64, 4, 2, 4));
  }

  @Test
  void noBiasFloat64() {
    same("float64, no bias, zero state", new GRU(2, 3, 1, false, false, 0, false, new Generator(16)),
        DType.FLOAT64, randn(17, DType.FLOAT64, 4, 3, 2), null);
  }

  /** float64 gradcheck through the fused path: two layers, both directions, h0 and a weight as inputs. */
  @Test
  void fusedPathPassesGradcheck() {
    GRU gru = new GRU(2, 3, 2, true, false, 0, true, new Generator(21));
    gru.to(DType.FLOAT64).to(device);
    Tensor w = gru.stateDict().get("weight_hh_l1_reverse");
    Tensor b = gru.stateDict().get("bias_hh_l0");
    GradCheck.check(in -> {
      gru.setParameter("weight_hh_l1_reverse", in[2]);
      gru.setParameter("bias_hh_l0", in[3]);
      RNN.Output o = gru.forward(in[0], in[1]);
      return o.output().sum(new int[] {1}, false).add(o.hN().sum().mul(0.5));
    }, randn(22, DType.FLOAT64, 3, 2, 2), randn(23, DType.FLOAT64, 4, 2, 3), w, b);
  }

  /** The gradient of a gradient through the fused node (recomputed as Tensor ops) equals the composed one. */
  @Test
  void doubleBackwardMatchesComposed() {
    for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      GRU gru = new GRU(3, 4, 1, true, false, 0, true, new Generator(31));
      gru.to(dtype).to(device);
      Tensor x = randn(32, dtype, 4, 2, 3);
      Tensor h0 = randn(33, dtype, 2, 2, 4);
      List<Tensor> results = new ArrayList<>();
      for (boolean fused : new boolean[] {true, false}) {
        FusedPrimitives.setEnabled(fused);
        try (GradMode on = GradMode.enableGrad()) {
          gru.zeroGrad();
          Tensor xl = x.detach().clone().requiresGrad(true);
          Tensor hl = h0.detach().clone().requiresGrad(true);
          Tensor y = gru.forward(xl, hl).output();
          Tensor[] g = Autograd.grad(new Tensor[] {y}, new Tensor[] {xl, hl}, new Tensor[] {Tensor.onesLike(y)}, true,
              true, false);
          g[0].mul(g[0]).sum().add(g[1].mul(g[1]).sum()).backward();
          results.add(xl.grad());
          results.add(hl.grad());
          for (Tensor p : gru.parameters()) {
            results.add(p.grad().clone());
          }
        } finally {
          FusedPrimitives.setEnabled(true);
        }
      }
      double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-4;
      int half = results.size() / 2;
      for (int i = 0; i < half; i++) {
        close(dtype + " double backward, result " + i, results.get(i), results.get(half + i), tol);
      }
    }
  }

  /** A retained graph runs the fused backward twice with the same saved state: the gradients double. */
  @Test
  void retainedGraphBackwardTwice() {
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      GRU gru = new GRU(3, 4, 1, true, false, 0, true, new Generator(51));
      gru.to(dtype).to(device);
      Tensor x = randn(52, dtype, 5, 2, 3).requiresGrad(true);
      try (GradMode on = GradMode.enableGrad()) {
        Tensor loss = gru.forward(x).square().sum();
        loss.backward(null, true, false);
        Tensor once = x.grad().clone();
        loss.backward();
        close(dtype + " second backward", x.grad(), once.mul(2), 1e-6);
      }
    }
  }

  /**
   * float32 takes the whole-layer kernel (oneDNN's lbr GRU on the CPU: gates reordered, four biases)
   * in both directions: its numbers match a scalar reference of PyTorch's equations.
   */
  @Test
  void layerKernelMatchesPyTorchsEquations() {
    GRU gru = new GRU(3, 4, 1, true, false, 0, true, new Generator(41));
    gru.to(device);
    Tensor x = randn(42, DType.FLOAT32, 5, 1, 3);
    Tensor h0 = randn(43, DType.FLOAT32, 2, 1, 4);
    Tensor out = gru.forward(x, h0).output();
    double[] actual = out.to(Device.CPU).toDoubleArray();
    double[] xs = x.to(Device.CPU).toDoubleArray();
    double[] hs = h0.to(Device.CPU).toDoubleArray();
    for (int d = 0; d < 2; d++) {
      String sfx = d == 0 ? "_l0" : "_l0_reverse";
      double[][] expected = reference(gru.stateDict(), sfx, xs, java.util.Arrays.copyOfRange(hs, 4 * d, 4 * d + 4),
          3, 4, d == 1);
      for (int t = 0; t < 5; t++) {
        for (int j = 0; j < 4; j++) {
          assertEquals(expected[t][j], actual[t * 8 + 4 * d + j], 1e-5, "direction " + d + " step " + t + " unit " + j);
        }
      }
    }
    if (device.equals(Device.CPU)) {
      assertTrue(!CpuBackend.dnnlAvailable() || CpuBackend.dnnlPrimitivesCreated() > 0);
    }
  }

  /** Wrong shapes given to the fused op directly name the op and every shape. */
  @Test
  void badShapesNameTheOp() {
    Tensor gx = randn(61, DType.FLOAT64, 4, 2, 7);
    Tensor h0 = randn(62, DType.FLOAT64, 2, 3);
    Tensor whh = randn(63, DType.FLOAT64, 9, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FusedGru.gru(gx, h0, whh, null, false));
    assertTrue(e.getMessage().startsWith("gru: gates [4, 2, 7], h0 [2, 3], weight_hh [9, 3]"), e.getMessage());
    Tensor x = randn(64, DType.FLOAT64, 4, 2, 5);
    Tensor wih = randn(65, DType.FLOAT64, 9, 4);
    e = assertThrows(IllegalArgumentException.class, () -> FusedGru.gruLayer(x, h0, wih, whh, null, null, false));
    assertTrue(e.getMessage().contains("weight_ih [9, 4]"), e.getMessage());
  }

  private static double[][] reference(Map<String, Tensor> sd, String sfx, double[] xs, double[] h0, int in,
      int hidden, boolean reverse) {
    double[] wih = sd.get("weight_ih" + sfx).to(Device.CPU).toDoubleArray();
    double[] whh = sd.get("weight_hh" + sfx).to(Device.CPU).toDoubleArray();
    double[] bih = sd.get("bias_ih" + sfx).to(Device.CPU).toDoubleArray();
    double[] bhh = sd.get("bias_hh" + sfx).to(Device.CPU).toDoubleArray();
    int steps = xs.length / in;
    double[] h = h0.clone();
    double[][] out = new double[steps][];
    for (int s = 0; s < steps; s++) {
      int t = reverse ? steps - 1 - s : s;
      double[] gi = new double[3 * hidden];
      double[] gh = new double[3 * hidden];
      for (int r = 0; r < 3 * hidden; r++) {
        gi[r] = bih[r];
        gh[r] = bhh[r];
        for (int k = 0; k < in; k++) {
          gi[r] += wih[r * in + k] * xs[t * in + k];
        }
        for (int k = 0; k < hidden; k++) {
          gh[r] += whh[r * hidden + k] * h[k];
        }
      }
      double[] nh = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        double r = 1 / (1 + Math.exp(-(gi[j] + gh[j])));
        double z = 1 / (1 + Math.exp(-(gi[hidden + j] + gh[hidden + j])));
        double n = Math.tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
        nh[j] = (1 - z) * n + z * h[j];
      }
      h = nh;
      out[t] = h.clone();
    }
    return out;
  }

  private static void close(String what, Tensor actual, Tensor expected, double tol) {
    if (expected == null || actual == null) {
      assertTrue(expected == actual, what + ": one path has no gradient, the other has");
      return;
    }
    assertEquals(expected.shape(), actual.shape(), what + ": shape");
    double[] e = expected.to(Device.CPU).toDoubleArray();
    double[] a = actual.to(Device.CPU).toDoubleArray();
    double scale = 1;
    for (double v : e) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(a[i] - e[i]) <= tol * scale, what + ": element " + i + " is " + a[i] + ", composed " + e[i]);
    }
  }
}
