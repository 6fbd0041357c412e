package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.spi.UnaryBackwardOp;
import org.junit.jupiter.api.Test;

/**
 * The SPI's default {@code unaryBackward} (the composition a backend without the fused pass runs)
 * gives the CPU's one-pass kernels' numbers bit for bit, on dense, broadcast and strided gradients
 * and on the values where the formulas' roundings or ReLU's mask could differ (NaN, +-0, +-inf).
 */
class DefaultUnaryBackwardTest {
  @Test
  void defaultCompositionEqualsFusedPass() {
    double[] ys = new double[4099];
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < ys.length; i++) {
      ys[i] = r.nextGaussian();
    }
    double[] special = {Double.NaN, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-40, 1, -1};
    System.arraycopy(special, 0, ys, 17, special.length);
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor y = Tensor.of(ys, 4099).to(t);
      Tensor dense = Tensor.randn(4099).to(t);
      Tensor broadcast = Tensor.of(new double[] {0.75}, 1).to(t).expand(4099);
      Tensor strided = Tensor.randn(2, 4099).to(t).select(0, 1);
      Tensor strided2 = Tensor.randn(4099, 2).to(t).select(1, 0);
      for (UnaryBackwardOp op : UnaryBackwardOp.values()) {
        for (Tensor g : new Tensor[] {dense, broadcast, strided, strided2}) {
          Tensor fused = Tensor.empty(dev.ember.Shape.of(4099), t, y.device());
          Tensor composed = Tensor.empty(dev.ember.Shape.of(4099), t, y.device());
          y.backend().unaryBackward(op, y.strided(), g.strided(), fused.strided());
          new DefaultAxpbyTest.Plain().unaryBackward(op, y.strided(), g.strided(), composed.strided());
          assertArrayEquals(composed.toDoubleArray(), fused.toDoubleArray(), op + " " + t);
        }
      }
    }
  }
}
