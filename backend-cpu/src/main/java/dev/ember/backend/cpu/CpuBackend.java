package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.internal.Philox;
import dev.ember.spi.Backend;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.ConvParams;
import dev.ember.spi.PoolParams;
import dev.ember.spi.ReduceOp;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The CPU backend: off-heap storage from JavaCPP (ND4J's allocator), elementwise work, reductions
 * and indexing in plain Java loops, GEMM on ND4J's OpenBLAS, convolution on oneDNN ({@link Dnnl})
 * where its natives load, and a direct max-pooling kernel ({@link MaxPool}).
 */
public final class CpuBackend implements Backend {
  /**
   * Off-heap memory of the CPU backend.
   *
   * @param inUseBytes bytes held by live storages
   * @param cachedBytes bytes kept by the caching allocator for reuse
   * @param peakBytes the most bytes in use at once
   * @param forcedCollections garbage collections the memory budget asked for
   */
  public record MemoryStats(long inUseBytes, long cachedBytes, long peakBytes, long forcedCollections) {}

  /** Returns the allocator's figures. */
  public static MemoryStats memoryStats() {
    CpuMemory m = CpuMemory.INSTANCE;
    return new MemoryStats(m.inUseBytes(), m.cachedBytes(), m.peakBytes(), m.collections());
  }

  /**
   * Returns whether ND4J's native kernels are in use for large transcendental elementwise ops
   * (false where its natives cannot load, or with {@code -Dember.cpu.noNd4j=true}).
   */
  public static boolean nd4jKernelsAvailable() {
    return Nd4jKernels.available();
  }

  /** Frees the blocks the caching allocator keeps for reuse. */
  public static void emptyCache() {
    CpuMemory.INSTANCE.emptyCache();
  }

  @Override
  public Device device() {
    return Device.CPU;
  }

  @Override
  public Storage allocate(DType dtype, long numel) {
    return new CpuStorage(dtype, numel);
  }

  @Override
  public void copyFromHost(ByteBuffer src, Storage dst) {
    CpuStorage d = (CpuStorage) dst;
    ByteBuffer s = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) d.numel();
    switch (d.dtype()) {
      case FLOAT32 -> d.f32.put(0, toArray(s.asFloatBuffer(), n));
      case FLOAT64 -> {
        double[] v = new double[n];
        s.asDoubleBuffer().get(v);
        d.f64.put(0, v);
      }
      case INT64 -> {
        long[] v = new long[n];
        s.asLongBuffer().get(v);
        d.i64.put(0, v);
      }
      case INT32 -> {
        int[] v = new int[n];
        s.asIntBuffer().get(v);
        d.i32.put(0, v);
      }
      case BOOL -> {
        byte[] v = new byte[n];
        s.get(v);
        d.bytes.put(0, v);
      }
    }
  }

  private static float[] toArray(java.nio.FloatBuffer b, int n) {
    float[] v = new float[n];
    b.get(v);
    return v;
  }

  @Override
  public void copyToHost(Storage src, ByteBuffer dst) {
    CpuStorage s = (CpuStorage) src;
    int n = (int) s.numel();
    ByteBuffer d = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    switch (s.dtype()) {
      case FLOAT32 -> {
        float[] v = new float[n];
        s.f32.get(0, v);
        d.asFloatBuffer().put(v);
      }
      case FLOAT64 -> {
        double[] v = new double[n];
        s.f64.get(0, v);
        d.asDoubleBuffer().put(v);
      }
      case INT64 -> {
        long[] v = new long[n];
        s.i64.get(0, v);
        d.asLongBuffer().put(v);
      }
      case INT32 -> {
        int[] v = new int[n];
        s.i32.get(0, v);
        d.asIntBuffer().put(v);
      }
      case BOOL -> {
        byte[] v = new byte[n];
        s.bytes.get(0, v);
        d.put(v);
      }
    }
  }

  @Override
  public void copy(Strided src, Strided out) {
    Elementwise.copy(src, out);
  }

  @Override
  public void fill(Strided out, double value) {
    Elementwise.fill(out, value);
  }

  @Override
  public void unary(UnaryOp op, Strided x, Strided out) {
    Elementwise.unary(op, x, out);
  }

  @Override
  public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
    Elementwise.binary(op, a, b, out);
  }

  @Override
  public void axpby(double alpha, Strided a, double beta, Strided b, Strided out) {
    Elementwise.axpby(alpha, a, beta, b, out);
  }

  @Override
  public void where(Strided cond, Strided a, Strided b, Strided out) {
    Elementwise.where(cond, a, b, out);
  }

  @Override
  public void reduce(ReduceOp op, Strided x, Strided out) {
    Reductions.reduce(op, x, out);
  }

  @Override
  public void cumsum(Strided x, int dim, Strided out) {
    Reductions.cumsum(x, dim, out);
  }

  @Override
  public void matmul(Strided a, Strided b, Strided out) {
    Blas.matmul(a, b, out, this);
  }

  @Override
  public void gather(Strided x, int dim, Strided index, Strided out) {
    Scatter.gather(x, dim, index, out);
  }

  @Override
  public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
    Scatter.scatterAdd(src, dim, index, out);
  }

  @Override
  public void uniform(long seed, long offset, Strided out) {
    CpuStorage y = (CpuStorage) out.storage();
    boolean single = out.dtype() == DType.FLOAT32;
    long[] counter = {offset};
    StridedLoop.forEach(out.shape(), new int[][] {out.strides()}, new long[] {out.offset()},
        (o, so, a, sa, b, sb, n) -> {
          for (int k = 0; k < n; k++, o += so) {
            long c = counter[0]++;
            y.setDouble(o, single ? Philox.uniformFloat(seed, c) : Philox.uniformDouble(seed, c));
          }
        });
  }

  @Override
  public String toString() {
    return "CpuBackend[OpenBLAS via nd4j-native]";
  }

  // ---------------------------------------------------------------- fused primitives on oneDNN

  /**
   * Returns whether convolution runs on oneDNN (false where its natives cannot load, or
   * with {@code -Dember.cpu.dnnl=false}; then they use tensor-api's compositions).
   */
  public static boolean dnnlAvailable() {
    return Dnnl.available();
  }

  /** Returns why oneDNN is not in use, or null if it is. */
  public static String dnnlUnavailableReason() {
    return Dnnl.unavailableReason();
  }

  /**
   * Returns how many oneDNN primitives this JVM has created: they are cached by shape, dtype and
   * geometry, so a training step at fixed shapes adds none after its first.
   */
  public static long dnnlPrimitivesCreated() {
    return Dnnl.primitivesCreated();
  }

  @Override
  public boolean conv2d(Strided x, Strided weight, Strided bias, ConvParams p, Strided out) {
    return Dnnl.conv2d(x, weight, bias, p, out);
  }

  @Override
  public boolean conv2dBackwardData(Strided gradOut, Strided weight, ConvParams p, Strided gradX) {
    return Dnnl.conv2dBackwardData(gradOut, weight, p, gradX);
  }

  @Override
  public boolean conv2dBackwardWeights(Strided x, Strided gradOut, ConvParams p, Strided gradWeight,
      Strided gradBias) {
    return Dnnl.conv2dBackwardWeights(x, gradOut, p, gradWeight, gradBias);
  }

  // Max pooling is a direct Java kernel (MaxPool): oneDNN's pooling on plain NCHW measured slower
  // than the composed path. Average pooling stays composed (the SPI default).

  @Override
  public boolean maxPool2d(Strided x, PoolParams p, Strided out, Strided workspace) {
    return MaxPool.forward(x, p, out, workspace);
  }

  @Override
  public boolean maxPool2dBackward(Strided gradOut, Strided workspace, PoolParams p, Strided gradX) {
    return MaxPool.backward(gradOut, workspace, gradX);
  }
}
