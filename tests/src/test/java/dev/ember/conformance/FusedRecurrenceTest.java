package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.ember.nn.LSTM;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The LSTM's fused sequence paths (dev.ember.ops.FusedRecurrence: a backend's whole-layer kernel,
 * oneDNN's LSTM on the CPU for float32, or the per-step fused cell) against its per-step composition
 * (fused primitives off): outputs, final states and the gradients of the input, h0, c0 and every
 * parameter, over one and two layers, both directions, batch-first, no bias; plus a double backward
 * and float64 gradchecks on the fused path. On the CPU, the fused cases must have taken a fused path.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class FusedRecurrenceTest {
  @Parameter
  Device device;

  @AfterEach
  void switchBackOn() {
    FusedPrimitives.setEnabled(true);
  }

  private Tensor randn(long seed, DType dtype, int... shape) {
    return Tensor.randn(Shape.of(shape), dtype, Device.CPU, new Generator(seed)).to(device);
  }

  /** One forward and backward of a fresh copy of {@code lstm}: output, hN, cN, then every gradient. */
  private static List<Tensor> run(LSTM lstm, Tensor x, Tensor h0, Tensor c0, boolean fused) {
    FusedPrimitives.setEnabled(fused);
    try (GradMode on = GradMode.enableGrad()) {
      lstm.zeroGrad();
      Tensor xl = x.detach().clone().requiresGrad(true);
      Tensor hl = h0 == null ? null : h0.detach().clone().requiresGrad(true);
      Tensor cl = c0 == null ? null : c0.detach().clone().requiresGrad(true);
      LSTM.Output o = lstm.forward(xl, hl, cl);
      // Weights on every result, so every gradient path is exercised.
      Tensor loss = o.output().mul(o.output().detach().add(0.5)).sum()
          .add(o.hN().mul(1.5).sum()).add(o.cN().mul(o.cN().detach()).sum());
      loss.backward();
      List<Tensor> out = new ArrayList<>(List.of(o.output().detach(), o.hN().detach(), o.cN().detach(), xl.grad()));
      if (hl != null) {
        out.add(hl.grad());
        out.add(cl.grad());
      }
      for (Tensor p : lstm.parameters()) {
        out.add(p.grad().clone());
      }
      return out;
    } finally {
      FusedPrimitives.setEnabled(true);
    }
  }

  private void same(String name, LSTM lstm, DType dtype, Tensor x, Tensor h0, Tensor c0) {
    lstm.to(dtype).to(device);
    long before = FusedPrimitives.calls();
    List<Tensor> fused = run(lstm, x, h0, c0, true);
    long calls = FusedPrimitives.calls() - before;
    List<Tensor> composed = run(lstm, x, h0, c0, false);
    if (device.equals(Device.CPU)) {
      assertTrue(calls >= 2, name + ": expected the fused forward and backward, got " + calls + " calls");
    }
    double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-4;
    for (int i = 0; i < fused.size(); i++) {
      close(name + " result " + i, fused.get(i), composed.get(i), tol);
    }
  }

  @Test
  void w5ShapedLayerFloat32() {
    same("1 layer, batch-first, h0/c0", new LSTM(8, 16, 1, true, true, 0, false, new Generator(1)), DType.FLOAT32,
        randn(2, DType.FLOAT32, 4, 7, 8), randn(3, DType.FLOAT32, 1, 4, 16), randn(4, DType.FLOAT32, 1, 4, 16));
  }

  @Test
  void stackedBidirectionalFloat32() {
    same("2 layers, bidirectional, h0/c0", new LSTM(5, 6, 2, true, false, 0, true, new Generator(5)), DType.FLOAT32,
        randn(6, DType.FLOAT32, 5, 3, 5), randn(7, DType.FLOAT32, 4, 3, 6), randn(8, DType.FLOAT32, 4, 3, 6));
  }

  @Test
  void noBiasZeroStateFloat32() {
    same("no bias, zero state", new LSTM(3, 4, 2, false, false, 0, false, new Generator(9)), DType.FLOAT32,
        randn(10, DType.FLOAT32, 6, 2, 3), null, null);
  }

  @Test
  void stackedBidirectionalFloat64() {
    same("float64, 2 layers, bidirectional", new LSTM(3, 4, 2, true, true, 0, true, new Generator(12)),
        DType.FLOAT64, randn(13, DType.FLOAT64, 2, 5, 3), randn(14, DType.FLOAT64, 4, 2, 4),
        randn(15, DType.FLOAT64, 4, 2, 4));
  }

  /** float64 gradcheck through the fused path: two layers, both directions, h0 and c0 as inputs. */
  @Test
  void fusedPathPassesGradcheck() {
    LSTM lstm = new LSTM(2, 3, 2, true, false, 0, true, new Generator(21));
    lstm.to(DType.FLOAT64).to(device);
    Tensor w = lstm.stateDict().get("weight_hh_l1_reverse");
    GradCheck.check(in -> {
      lstm.setParameter("weight_hh_l1_reverse", in[3]);
      LSTM.Output o = lstm.forward(in[0], in[1], in[2]);
      return o.output().sum(new int[] {1}, false).add(o.cN().sum().mul(0.5));
    }, randn(22, DType.FLOAT64, 3, 2, 2), randn(23, DType.FLOAT64, 4, 2, 3), randn(24, DType.FLOAT64, 4, 2, 3), w);
  }

  /** The gradient of a gradient through the fused path (recomputed as Tensor ops) equals the composed one. */
  @Test
  void doubleBackwardMatchesComposed() {
    for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      LSTM lstm = new LSTM(3, 4, 1, true, false, 0, false, new Generator(31));
      lstm.to(dtype).to(device);
      Tensor x = randn(32, dtype, 4, 2, 3);
      List<Tensor> results = new ArrayList<>();
      for (boolean fused : new boolean[] {true, false}) {
        FusedPrimitives.setEnabled(fused);
        try (GradMode on = GradMode.enableGrad()) {
          lstm.zeroGrad();
          Tensor xl = x.detach().clone().requiresGrad(true);
          Tensor y = lstm.forward(xl);
          Tensor g = Autograd.grad(new Tensor[] {y}, new Tensor[] {xl}, new Tensor[] {Tensor.onesLike(y)}, true, true,
              false)[0];
          g.mul(g).sum().backward();
          results.add(xl.grad());
          results.add(lstm.parameters().get(1).grad().clone());
        } finally {
          FusedPrimitives.setEnabled(true);
        }
      }
      double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-4;
      close(dtype + " double backward, x", results.get(0), results.get(2), tol);
      close(dtype + " double backward, weight_hh", results.get(1), results.get(3), tol);
    }
  }

  /** A retained graph runs the fused backward twice with the same saved state: the gradients double. */
  @Test
  void retainedGraphBackwardTwice() {
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      LSTM lstm = new LSTM(3, 4, 1, true, false, 0, true, new Generator(51));
      lstm.to(dtype).to(device);
      Tensor x = randn(52, dtype, 5, 2, 3).requiresGrad(true);
      try (GradMode on = GradMode.enableGrad()) {
        Tensor loss = lstm.forward(x).square().sum();
        loss.backward(null, true, false);
        Tensor once = x.grad().clone();
        loss.backward();
        close(dtype + " second backward", x.grad(), once.mul(2), 1e-6);
      }
    }
  }

  /** On the CPU with oneDNN, float32 takes the whole-layer kernel: its numbers match a scalar reference. */
  @Test
  void oneDnnLayerMatchesTheDocumentedEquations() {
    LSTM lstm = new LSTM(3, 4, 1, true, false, 0, false, new Generator(41));
    lstm.to(device);
    Tensor x = randn(42, DType.FLOAT32, 5, 1, 3);
    Tensor out = lstm.forward(x);
    double[][] expected = reference(lstm.stateDict(), x.to(Device.CPU).reshape(5, 3), 4);
    double[] actual = out.to(Device.CPU).toDoubleArray();
    for (int t = 0; t < 5; t++) {
      for (int j = 0; j < 4; j++) {
        assertEquals(expected[t][j], actual[t * 4 + j], 1e-5, "step " + t + " unit " + j);
      }
    }
    if (device.equals(Device.CPU)) {
      assertTrue(!CpuBackend.dnnlAvailable() || CpuBackend.dnnlPrimitivesCreated() > 0);
    }
  }

  private static double[][] reference(Map<String, Tensor> sd, Tensor x, int hidden) {
    double[] wih = sd.get("weight_ih_l0").to(Device.CPU).toDoubleArray();
    double[] whh = sd.get("weight_hh_l0").to(Device.CPU).toDoubleArray();
    double[] bih = sd.get("bias_ih_l0").to(Device.CPU).toDoubleArray();
    double[] bhh = sd.get("bias_hh_l0").to(Device.CPU).toDoubleArray();
    double[] xs = x.toDoubleArray();
    int in = x.size(1);
    double[] h = new double[hidden];
    double[] c = new double[hidden];
    double[][] out = new double[x.size(0)][];
    for (int t = 0; t < out.length; t++) {
      double[] gates = new double[4 * hidden];
      for (int r = 0; r < 4 * hidden; r++) {
        double s = bih[r] + bhh[r];
        for (int k = 0; k < in; k++) {
          s += wih[r * in + k] * xs[t * in + k];
        }
        for (int k = 0; k < hidden; k++) {
          s += whh[r * hidden + k] * h[k];
        }
        gates[r] = s;
      }
      double[] nh = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        double i = 1 / (1 + Math.exp(-gates[j]));
        double f = 1 / (1 + Math.exp(-gates[hidden + j]));
        double g = Math.tanh(gates[2 * hidden + j]);
        double o = 1 / (1 + Math.exp(-gates[3 * hidden + j]));
        c[j] = f * c[j] + i * g;
        nh[j] = o * Math.tanh(c[j]);
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
