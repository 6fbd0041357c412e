package dev.ember.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.GradCheck;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.nn.GRU;
import dev.ember.nn.LSTM;
import dev.ember.nn.RNN;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecurrentTest {
  private static Tensor randn(long seed, int... shape) {
    return Tensor.randn(Shape.of(shape), DType.FLOAT64, Device.CPU, new Generator(seed));
  }

  @Test
  void lstmShapesForEveryLayout() {
    LSTM lstm = new LSTM(4, 6, 2, true, false, 0, false, new Generator(1));
    LSTM.Output o = lstm.forward(Tensor.randn(5, 3, 4), null, null);
    assertArrayEquals(new int[] {5, 3, 6}, o.output().shapeArray());
    assertArrayEquals(new int[] {2, 3, 6}, o.hN().shapeArray());
    assertArrayEquals(new int[] {2, 3, 6}, o.cN().shapeArray());

    LSTM bf = new LSTM(4, 6, 3, true, true, 0.2, true, new Generator(1));
    LSTM.Output b = bf.forward(Tensor.randn(3, 5, 4), null, null);
    assertArrayEquals(new int[] {3, 5, 12}, b.output().shapeArray());
    assertArrayEquals(new int[] {6, 3, 6}, b.hN().shapeArray());

    LSTM.Output u = lstm.forward(Tensor.randn(5, 4), Tensor.zeros(2, 6), Tensor.zeros(2, 6));
    assertArrayEquals(new int[] {5, 6}, u.output().shapeArray());
    assertArrayEquals(new int[] {2, 6}, u.cN().shapeArray());

    var e = assertThrows(IllegalArgumentException.class,
        () -> lstm.forward(Tensor.randn(5, 3, 4), Tensor.zeros(1, 3, 6), null));
    assertTrue(e.getMessage().contains("expected hidden size [2, 3, 6]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.randn(5, 3, 7)));
  }

  @Test
  void gruAndRnnShapes() {
    GRU gru = new GRU(4, 6, 2, true);
    RNN.Output g = gru.forward(Tensor.randn(3, 7, 4), null);
    assertArrayEquals(new int[] {3, 7, 6}, g.output().shapeArray());
    assertArrayEquals(new int[] {2, 3, 6}, g.hN().shapeArray());
    assertArrayEquals(new int[] {18, 4}, gru.stateDict().get("weight_ih_l0").shapeArray());
    RNN rnn = new RNN(4, 6, 1, "relu", false, false, 0, true, null);
    RNN.Output r = rnn.forward(Tensor.randn(7, 3, 4), null);
    assertArrayEquals(new int[] {7, 3, 12}, r.output().shapeArray());
    assertArrayEquals(new int[] {2, 3, 6}, r.hN().shapeArray());
    assertEquals(2, rnn.parameters().size() / 2, "no biases: two weights per direction");
    assertTrue(r.output().amin().item() >= 0, "relu nonlinearity");
  }

  @Test
  void finalStatesAreTheLastOutputsOfEachDirection() {
    GRU gru = new GRU(3, 4, 1, true, false, 0, true, new Generator(3));
    RNN.Output o = gru.forward(Tensor.randn(6, 2, 3), null);
    // Forward direction ends at t = T-1; the reverse one at t = 0.
    assertArrayEquals(o.output().select(0, 5).narrow(1, 0, 4).toFloatArray(), o.hN().select(0, 0).toFloatArray());
    assertArrayEquals(o.output().select(0, 0).narrow(1, 4, 4).toFloatArray(), o.hN().select(0, 1).toFloatArray());
  }

  /** A scalar-loop LSTM over PyTorch's documented equations, gates i, f, g, o. */
  private static double[][] referenceLstm(Map<String, Tensor> sd, double[][] x, int hidden) {
    double[] wih = sd.get("weight_ih_l0").toDoubleArray();
    double[] whh = sd.get("weight_hh_l0").toDoubleArray();
    double[] bih = sd.get("bias_ih_l0").toDoubleArray();
    double[] bhh = sd.get("bias_hh_l0").toDoubleArray();
    int in = x[0].length;
    double[] h = new double[hidden];
    double[] c = new double[hidden];
    double[][] out = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      double[] gates = new double[4 * hidden];
      for (int r = 0; r < 4 * hidden; r++) {
        double s = bih[r] + bhh[r];
        for (int k = 0; k < in; k++) {
          s += wih[r * in + k] * x[t][k];
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

  @Test
  void lstmMatchesTheDocumentedEquations() {
    LSTM lstm = new LSTM(3, 4, 1, true, false, 0, false, new Generator(11));
    lstm.to(DType.FLOAT64);
    double[][] x = {{0.5, -1, 0.25}, {1, 0.3, -0.7}, {-0.2, 0.8, 0.1}, {0.9, -0.4, 0.6}};
    double[][] expected = referenceLstm(lstm.stateDict(), x, 4);
    Tensor out = lstm.forward(Tensor.of(x));
    for (int t = 0; t < x.length; t++) {
      assertArrayEquals(expected[t], out.select(0, t).toDoubleArray(), 1e-12, "step " + t);
    }
  }

  @Test
  void tinyLstmPassesGradcheckInFloat64() {
    LSTM lstm = new LSTM(2, 3, 2, true, true, 0, false, new Generator(5));
    lstm.to(DType.FLOAT64);
    Tensor x = randn(1, 2, 3, 2);
    Tensor h0 = randn(2, 2, 2, 3);
    Tensor c0 = randn(3, 2, 2, 3);
    Tensor w = lstm.stateDict().get("weight_hh_l1");
    GradCheck.check(in -> {
      lstm.setParameter("weight_hh_l1", in[3]);
      LSTM.Output o = lstm.forward(in[0], in[1], in[2]);
      return o.output().sum(new int[] {1}, false).add(o.cN().sum(new int[] {0, 1}, false).mul(0.5));
    }, x, h0, c0, w);
  }

  @Test
  void gruPassesGradcheckInFloat64() {
    GRU gru = new GRU(2, 3, 1, true, false, 0, true, new Generator(6));
    gru.to(DType.FLOAT64);
    GradCheck.check(in -> {
      gru.setParameter("weight_ih_l0_reverse", in[1]);
      return gru.forward(in[0], null).output();
    }, randn(4, 3, 2, 2), gru.stateDict().get("weight_ih_l0_reverse"));
  }
}
