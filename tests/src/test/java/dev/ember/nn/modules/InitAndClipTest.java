package dev.ember.nn.modules;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.nn.Clip;
import dev.ember.nn.Init;
import java.util.List;
import org.junit.jupiter.api.Test;

class InitAndClipTest {
  @Test
  void gainsAndFansFollowPyTorch() {
    assertEquals(5.0 / 3, Init.calculateGain("tanh", Double.NaN), 0);
    assertEquals(Math.sqrt(2), Init.calculateGain("relu", Double.NaN), 0);
    assertEquals(Math.sqrt(2 / 1.0001), Init.calculateGain("leaky_relu", Double.NaN), 1e-15);
    assertEquals(Math.sqrt(2.0 / 26), Init.calculateGain("leaky_relu", 5), 1e-15);
    assertArrayEquals(new int[] {4 * 9, 8 * 9}, Init.fans(Tensor.zeros(8, 4, 3, 3)));
    assertThrows(IllegalArgumentException.class, () -> Init.fans(Tensor.zeros(5)));
  }

  @Test
  void distributionsHaveTheRightScale() {
    Generator g = new Generator(42);
    Tensor w = Init.xavierUniform(Tensor.zeros(200, 300), 1, g);
    double bound = Math.sqrt(6.0 / 500);
    assertTrue(w.abs().amax().item() <= bound);
    assertEquals(bound / Math.sqrt(3), w.std().item(), 0.01 * bound);
    Tensor k = Init.kaimingNormal(Tensor.zeros(400, 250), 0, Init.FanMode.FAN_IN, "relu", g);
    assertEquals(Math.sqrt(2.0 / 250), k.std().item(), 0.02 * Math.sqrt(2.0 / 250));
    Tensor ku = Init.kaimingUniform(Tensor.zeros(400, 250), 0, Init.FanMode.FAN_OUT, "relu", g);
    assertTrue(ku.abs().amax().item() <= Math.sqrt(6.0 / 400));
    Tensor n = Init.normal(Tensor.zeros(10000), 3, 2, g);
    assertEquals(3, n.mean().item(), 0.1);
    assertEquals(2, n.std().item(), 0.1);
    Tensor tn = Init.truncNormal(Tensor.zeros(5000), 0, 1, -0.5, 1, g);
    assertTrue(tn.amin().item() >= -0.5 && tn.amax().item() <= 1);
    assertEquals(2.5, Init.constant(Tensor.zeros(3), 2.5).sum().item() / 3, 0);
    assertArrayEquals(Init.uniform(Tensor.zeros(5), -1, 1, new Generator(1)).toFloatArray(),
        Init.uniform(Tensor.zeros(5), -1, 1, new Generator(1)).toFloatArray(), "seeded");
  }

  @Test
  void initializersWorkOnParametersAndRecordNoGraph() {
    Tensor p = Tensor.zeros(3, 4).requiresGrad(true);
    Init.xavierNormal(p);
    assertTrue(p.isLeaf() && p.requiresGrad());
    Init.zeros(p);
    assertEquals(0, p.abs().sum().item(), 0);
  }

  @Test
  void orthogonalGivesOrthonormalRowsOrColumns() {
    for (int[] shape : new int[][] {{6, 4}, {4, 6}, {3, 2, 2}}) {
      Tensor q = Init.orthogonal(Tensor.zeros(shape).to(dev.ember.DType.FLOAT64), 2.0, new Generator(1));
      Tensor m = q.reshape(shape[0], -1);
      Tensor gram = m.size(0) >= m.size(1) ? m.t().matmul(m) : m.matmul(m.t());
      int n = gram.size(0);
      double[] gd = gram.toDoubleArray();
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          assertEquals(i == j ? 4.0 : 0.0, gd[i * n + j], 1e-10, java.util.Arrays.toString(shape));
        }
      }
    }
  }

  @Test
  void clipGradNormScalesJointlyAndReturnsTheTotal() {
    Tensor a = Tensor.of(new double[] {1, 1}).requiresGrad(true);
    Tensor b = Tensor.of(new double[] {1}).requiresGrad(true);
    Tensor unused = Tensor.of(new double[] {1}).requiresGrad(true);
    a.mul(Tensor.of(new double[] {3, 0})).sum().add(b.mul(4).sum()).backward();
    double total = Clip.clipGradNorm(List.of(a, b, unused), 1.0);
    assertEquals(5, total, 1e-12);
    assertArrayEquals(new double[] {3 / (5 + 1e-6), 0}, a.grad().toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {4 / (5 + 1e-6)}, b.grad().toDoubleArray(), 1e-12);
    assertEquals(4 / (5 + 1e-6), Clip.clipGradNorm(List.of(a, b), 10, Double.POSITIVE_INFINITY), 1e-12);
    assertArrayEquals(new double[] {4 / (5 + 1e-6)}, b.grad().toDoubleArray(), 1e-12, "under the limit: unchanged");
    Clip.clipGradValue(List.of(a, b), 0.1);
    assertArrayEquals(new double[] {0.1, 0}, a.grad().toDoubleArray(), 0);
    assertEquals(0, Clip.clipGradNorm(List.of(unused), 1), 0);
  }
}
