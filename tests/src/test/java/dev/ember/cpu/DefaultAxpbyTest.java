package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.internal.Backends;
import dev.ember.spi.Backend;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.ReduceOp;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The SPI's default {@code axpby} (what a backend without a fused one runs) matches the CPU's fused loop. */
class DefaultAxpbyTest {
  /** Forwards every primitive to the CPU backend but keeps the SPI's default {@code axpby}. */
  static final class Plain implements Backend {
    private final Backend cpu = Backends.get(Device.CPU);

    @Override public Device device() { return cpu.device(); }
    @Override public Storage allocate(DType t, long n) { return cpu.allocate(t, n); }
    @Override public void copyFromHost(ByteBuffer s, Storage d) { cpu.copyFromHost(s, d); }
    @Override public void copyToHost(Storage s, ByteBuffer d) { cpu.copyToHost(s, d); }
    @Override public void copy(Strided s, Strided o) { cpu.copy(s, o); }
    @Override public void fill(Strided o, double v) { cpu.fill(o, v); }
    @Override public void unary(UnaryOp op, Strided x, Strided o) { cpu.unary(op, x, o); }
    @Override public void binary(BinaryOp op, Strided a, Strided b, Strided o) { cpu.binary(op, a, b, o); }
    @Override public void where(Strided c, Strided a, Strided b, Strided o) { cpu.where(c, a, b, o); }
    @Override public void reduce(ReduceOp op, Strided x, Strided o) { cpu.reduce(op, x, o); }
    @Override public void cumsum(Strided x, int d, Strided o) { cpu.cumsum(x, d, o); }
    @Override public void matmul(Strided a, Strided b, Strided o) { cpu.matmul(a, b, o); }
    @Override public void gather(Strided x, int d, Strided i, Strided o) { cpu.gather(x, d, i, o); }
    @Override public void scatterAdd(Strided s, int d, Strided i, Strided o) { cpu.scatterAdd(s, d, i, o); }
    @Override public void uniform(long seed, long off, Strided o) { cpu.uniform(seed, off, o); }
  }

  @Test
  void defaultCompositionEqualsFusedLoop() {
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor a = Tensor.randn(3, 5).to(t);
      Tensor b = Tensor.randn(5, 3).to(t).t();
      Tensor fused = a.clone();
      Tensor composed = a.clone();
      fused.backend().axpby(0.5, fused.strided(), -2.0, b.strided(), fused.strided());
      new Plain().axpby(0.5, composed.strided(), -2.0, b.strided(), composed.strided());
      assertArrayEquals(fused.toDoubleArray(), composed.toDoubleArray(), 0.0, t.toString());
      assertArrayEquals(a.mul(0.5).sub(b.mul(2)).toDoubleArray(), fused.toDoubleArray(), 1e-6, t.toString());
    }
  }
}
