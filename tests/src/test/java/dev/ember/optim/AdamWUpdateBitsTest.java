package dev.ember.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AdamW's update, with the decay and the second-moment update each folded into one pass, gives the bits
 * of PyTorch's op sequence ({@code p.mul_(1 - lr wd)}, {@code exp_avg.lerp_(g, 1 - b1)}, {@code
 * exp_avg_sq.mul_(b2).add_(g g, alpha=1 - b2)}, {@code p.add_(exp_avg / denom, alpha=-step_size)}) written
 * out here as separate ops, over three steps, in float32 and float64.
 */
class AdamWUpdateBitsTest {
  private static long[] bits(Tensor t) {
    double[] v = t.toDoubleArray();
    long[] b = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Double.doubleToRawLongBits(v[i]);
    }
    return b;
  }

  @Test
  void threeStepsMatchTheSeparateOps() {
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor.manualSeed(9);
      Tensor start = Tensor.randn(7, 13).to(dtype);
      Tensor[] grads = {Tensor.randn(7, 13).to(dtype), Tensor.randn(7, 13).to(dtype).mul(3),
          Tensor.randn(7, 13).to(dtype).mul(0.01)};
      double lr = 3e-3;
      double wd = 0.05;
      double b1 = 0.9;
      double b2 = 0.999;
      double eps = 1e-8;
      Tensor p = start.clone().requiresGrad(true);
      AdamW opt = new AdamW(List.of(p), AdamW.options(lr).withWeightDecay(wd));
      Tensor q = start.clone();
      Tensor m = Tensor.zerosLike(q);
      Tensor v = Tensor.zerosLike(q);
      for (int step = 1; step <= 3; step++) {
        Tensor g = grads[step - 1];
        p.setGrad(g.clone());
        opt.step();
        try (GradMode off = GradMode.noGrad()) {
          q.mulInPlace(1 - lr * wd);
          m.addInPlace(g.sub(m), 1 - b1);
          v.mulInPlace(b2).addInPlace(g.mul(g), 1 - b2);
          double stepSize = lr / (1 - Math.pow(b1, step));
          Tensor denom = v.sqrt().div(Math.sqrt(1 - Math.pow(b2, step))).add(eps);
          q.addInPlace(m.div(denom), -stepSize);
        }
        assertArrayEquals(bits(q), bits(p.detach()), dtype + " step " + step);
      }
    }
  }
}
