package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.ops.Arithmetic;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code scaleAndAddInPlace(self, beta, other, alpha)}, SGD's momentum update in one pass, gives the bits
 * of PyTorch's two ops {@code self.mul_(beta).add_(other, alpha=alpha)} in float32 and float64, on the
 * fused path (no grad, same shapes) and on the fallbacks (a broadcast operand, recorded under autograd).
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class ScaleAndAddConformanceTest {
  @Parameter
  Device device;

  private Tensor random(DType dtype, int... shape) {
    Random r = new Random(11);
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    return Tensor.of(Checks.normal(r, n), shape).to(dtype).to(device);
  }

  private static long[] bits(Tensor t) {
    double[] v = t.toDoubleArray();
    long[] b = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Double.doubleToRawLongBits(v[i]);
    }
    return b;
  }

  @Test
  void fusedPassMatchesTheTwoOpsBitForBit() {
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      for (double[] ba : new double[][] {{0.9, 1}, {0.9, 0.7}, {1, -0.01}, {0.3, 1e-3}}) {
        Tensor self = random(dtype, 37, 29);
        Tensor other = random(dtype, 37, 29).mul(1.7);
        Tensor want = self.mul(ba[0]).add(other.mul(ba[1]));
        try (GradMode off = GradMode.noGrad()) {
          Tensor twoOps = self.clone().mulInPlace(ba[0]).addInPlace(other, ba[1]);
          Tensor fused = self.clone();
          assertSame(fused, Arithmetic.scaleAndAddInPlace(fused, ba[0], other, ba[1]));
          assertArrayEquals(bits(twoOps), bits(fused), dtype + " beta " + ba[0] + " alpha " + ba[1]);
          assertArrayEquals(bits(want), bits(fused), dtype + " beta " + ba[0] + " alpha " + ba[1]);
        }
      }
    }
  }

  @Test
  void broadcastOperandAndRecordedCallsTakeTheTwoOps() {
    Tensor self = random(DType.FLOAT32, 4, 5);
    Tensor row = random(DType.FLOAT32, 5);
    Tensor want = self.mul(0.9).add(row.mul(0.5));
    Tensor fused = self.clone();
    try (GradMode off = GradMode.noGrad()) {
      Arithmetic.scaleAndAddInPlace(fused, 0.9, row, 0.5);
    }
    assertArrayEquals(bits(want), bits(fused));
    Tensor leaf = random(DType.FLOAT64, 6).requiresGrad(true);
    Tensor h = leaf.mul(1);
    Arithmetic.scaleAndAddInPlace(h, 3, leaf, 2);
    h.sum().backward();
    assertArrayEquals(new double[] {5, 5, 5, 5, 5, 5}, leaf.grad().toDoubleArray());
  }
}
