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
 * and indexing in plain Java loops, GEMM on oneDNN's sgemm (float32) or ND4J's OpenBLAS ({@link Blas}),
 * convolution on oneDNN ({@link Dnnl}) where its natives load, and a direct max-pooling kernel ({@link MaxPool}).
 *
 * <p>Every method that touches storage runs inside {@code try (Pinned p = Pinned.of(op, operands...))},
 * so another thread's {@code close()} cannot free memory a kernel is using; a new kernel entry point
 * must do the same.
 */
public final class CpuBackend implements Backend {
  static {
    OpenMpEnvironment.ensurePassive(); // before any kernel loads a native library that brings libgomp
  }

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
    copyFromHost(src, dst, 0, Math.toIntExact(dst.numel()));
  }

  /**
   * Copies straight from the buffer into the storage (a bulk memory copy, byte-swapped only on a
   * big-endian host): no temporary array, so a caller can stream a large tensor in bounded chunks.
   */
  @Override
  public void copyFromHost(ByteBuffer src, Storage dst, long dstOffset, int count) {
    CpuStorage d = (CpuStorage) dst;
    ByteBuffer s = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = Math.toIntExact(dstOffset);
    try (Pinned p = Pinned.of("copy from host", dst, null, null, null)) {
      switch (d.dtype()) {
        case FLOAT32 -> d.f32.put(at, s.asFloatBuffer(), 0, count);
        case FLOAT64 -> d.f64.put(at, s.asDoubleBuffer(), 0, count);
        case INT64 -> d.i64.put(at, s.asLongBuffer(), 0, count);
        case INT32 -> d.i32.put(at, s.asIntBuffer(), 0, count);
        case BOOL -> d.bytes.put(at, s, s.position(), count);
        case FLOAT16, BFLOAT16 -> d.half.put(at, s.asShortBuffer(), 0, count);
      }
    }
  }

  @Override
  public void copyToHost(Storage src, ByteBuffer dst) {
    copyToHost(src, 0, Math.toIntExact(src.numel()), dst);
  }

  /** Copies straight from the storage into the buffer (a bulk memory copy), no temporary array. */
  @Override
  public void copyToHost(Storage src, long srcOffset, int count, ByteBuffer dst) {
    CpuStorage s = (CpuStorage) src;
    ByteBuffer d = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = Math.toIntExact(srcOffset);
    try (Pinned p = Pinned.of("copy to host", src, null, null, null)) {
      switch (s.dtype()) {
        case FLOAT32 -> d.asFloatBuffer().put(0, s.f32, at, count);
        case FLOAT64 -> d.asDoubleBuffer().put(0, s.f64, at, count);
        case INT64 -> d.asLongBuffer().put(0, s.i64, at, count);
        case INT32 -> d.asIntBuffer().put(0, s.i32, at, count);
        case BOOL -> d.put(d.position(), s.bytes, at, count);
        case FLOAT16, BFLOAT16 -> d.asShortBuffer().put(0, s.half, at, count);
      }
    }
  }

  @Override
  public void copy(Strided src, Strided out) {
    try (Pinned p = Pinned.of("copy", src, out)) {
      Elementwise.copy(src, out);
    }
  }

  @Override
  public void fill(Strided out, double value) {
    try (Pinned p = Pinned.of("fill", out)) {
      Elementwise.fill(out, value);
    }
  }

  @Override
  public void unary(UnaryOp op, Strided x, Strided out) {
    try (Pinned p = Pinned.of(op, x, out)) {
      Elementwise.unary(op, x, out);
    }
  }

  @Override
  public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
    try (Pinned p = Pinned.of(op, a, b, out)) {
      Elementwise.binary(op, a, b, out);
    }
  }

  @Override
  public void axpby(double alpha, Strided a, double beta, Strided b, Strided out) {
    try (Pinned p = Pinned.of("axpby", a, b, out)) {
      Elementwise.axpby(alpha, a, beta, b, out);
    }
  }

  @Override
  public void unaryBackward(dev.ember.spi.UnaryBackwardOp op, Strided y, Strided grad, Strided out) {
    boolean done;
    try (Pinned p = Pinned.of("unary_backward", y, grad, out)) {
      done = ActivationGrads.unaryBackward(op, y, grad, out);
    }
    if (!done) {
      Backend.super.unaryBackward(op, y, grad, out);
    }
  }

  @Override
  public void where(Strided cond, Strided a, Strided b, Strided out) {
    try (Pinned p = Pinned.of("where", cond, a, b, out)) {
      Elementwise.where(cond, a, b, out);
    }
  }

  @Override
  public void reduce(ReduceOp op, Strided x, Strided out) {
    try (Pinned p = Pinned.of(op, x, out)) {
      Reductions.reduce(op, x, out);
    }
  }

  @Override
  public void cumsum(Strided x, int dim, Strided out) {
    try (Pinned p = Pinned.of("cumsum", x, out)) {
      Reductions.cumsum(x, dim, out);
    }
  }

  @Override
  public void matmul(Strided a, Strided b, Strided out) {
    try (Pinned p = Pinned.of("matmul", a, b, out)) {
      Blas.matmul(a, b, out, this);
    }
  }

  @Override
  public void gather(Strided x, int dim, Strided index, Strided out) {
    try (Pinned p = Pinned.of("gather", x, index, out)) {
      Scatter.gather(x, dim, index, out);
    }
  }

  @Override
  public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
    try (Pinned p = Pinned.of("scatter_add", src, index, out)) {
      Scatter.scatterAdd(src, dim, index, out);
    }
  }

  @Override
  public void uniform(long seed, long offset, Strided out) {
    try (Pinned p = Pinned.of("uniform", out)) {
      fillUniform(seed, offset, out);
    }
  }

  private static void fillUniform(long seed, long offset, Strided out) {
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
  public boolean softmax(Strided x, boolean log, Strided out) {
    try (Pinned p = Pinned.of("softmax", x, out)) {
      return RowKernels.softmax(x, log, out);
    }
  }

  @Override
  public boolean softmaxBackward(Strided y, Strided grad, boolean log, Strided out) {
    try (Pinned p = Pinned.of("softmax_backward", y, grad, out)) {
      return RowKernels.softmaxBackward(y, grad, log, out);
    }
  }

  @Override
  public boolean layerNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean,
      Strided rstd) {
    try (Pinned p = Pinned.of("layer_norm", storage(x), storage(weight), storage(bias), storage(out));
        Pinned q = Pinned.of("layer_norm", storage(mean), storage(rstd), null, null)) {
      return RowKernels.layerNorm(x, weight, bias, eps, out, mean, rstd);
    }
  }

  @Override
  public boolean layerNormBackward(Strided x, Strided mean, Strided rstd, Strided weight, Strided grad,
      Strided gradX, Strided gradWeight, Strided gradBias) {
    try (Pinned p = Pinned.of("layer_norm_backward", storage(x), storage(mean), storage(rstd), storage(weight));
        Pinned q = Pinned.of("layer_norm_backward", storage(grad), storage(gradX), storage(gradWeight),
            storage(gradBias))) {
      return RowKernels.layerNormBackward(x, mean, rstd, weight, grad, gradX, gradWeight, gradBias);
    }
  }

  @Override
  public boolean crossEntropy(Strided x, Strided target, long ignoreIndex, Strided logProbs, Strided out) {
    try (Pinned p = Pinned.of("cross_entropy", x, target, logProbs, out)) {
      return RowKernels.crossEntropy(x, target, ignoreIndex, logProbs, out);
    }
  }

  @Override
  public boolean crossEntropyBackward(Strided logProbs, Strided target, long ignoreIndex, double scale,
      Strided out) {
    try (Pinned p = Pinned.of("cross_entropy_backward", logProbs, target, out)) {
      return RowKernels.crossEntropyBackward(logProbs, target, ignoreIndex, scale, out);
    }
  }

  @Override
  public boolean attention(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale,
      Strided out, Strided lse) {
    try (Pinned p = Pinned.of("scaled_dot_product_attention", q.storage(), k.storage(), v.storage(), storage(mask));
        Pinned r = Pinned.of("scaled_dot_product_attention", out.storage(), storage(lse), null, null)) {
      return AttentionKernels.forward(q, k, v, mask, causal, scale, out, lse);
    }
  }

  @Override
  public boolean attentionBackward(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale,
      Strided out, Strided lse, Strided gradOut, Strided gradQ, Strided gradK, Strided gradV) {
    String op = "scaled_dot_product_attention_backward";
    try (Pinned p = Pinned.of(op, q.storage(), k.storage(), v.storage(), storage(mask));
        Pinned r = Pinned.of(op, out.storage(), storage(lse), gradOut.storage(), gradQ.storage());
        Pinned t = Pinned.of(op, gradK, gradV)) {
      return AttentionKernels.backward(q, k, v, mask, causal, scale, out, lse, gradOut, gradQ, gradK, gradV);
    }
  }

  /** Returns the storage of an optional operand, or null when it is absent. */
  private static Storage storage(Strided s) {
    return s == null ? null : s.storage();
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

  /** Returns how many float32 matrix products (one per batch entry) this JVM has run on oneDNN (sgemm or matmul). */
  public static long dnnlGemms() {
    return Blas.dnnlGemms();
  }

  /**
   * Returns how many large float32 elementwise calls (add, sub, mul, div, sigmoid) this JVM has run on
   * oneDNN's binary and eltwise primitives.
   */
  public static long dnnlElementwiseCalls() {
    return DnnlElementwise.calls();
  }

  /** Returns how many float32 batches of products this JVM has run as one call of oneDNN's matmul primitive. */
  public static long dnnlBatchedMatmuls() {
    return Blas.dnnlBatchedMatmuls();
  }

  /** Returns how many float32 softmax, log-softmax and layer-norm forwards this JVM has run on oneDNN. */
  public static long dnnlRowOps() {
    return DnnlRows.calls();
  }

  @Override
  public boolean conv2d(Strided x, Strided weight, Strided bias, ConvParams p, Strided out) {
    try (Pinned pin = Pinned.of("conv2d", storage(x), storage(weight), storage(bias), storage(out))) {
      return Dnnl.conv2d(x, weight, bias, p, out);
    }
  }

  @Override
  public boolean conv2dBackwardData(Strided gradOut, Strided weight, ConvParams p, Strided gradX) {
    try (Pinned pin = Pinned.of("conv2d_backward", gradOut, weight, gradX)) {
      return Dnnl.conv2dBackwardData(gradOut, weight, p, gradX);
    }
  }

  @Override
  public boolean conv2dBackwardWeights(Strided x, Strided gradOut, ConvParams p, Strided gradWeight,
      Strided gradBias) {
    try (Pinned pin = Pinned.of("conv2d_backward", storage(x), storage(gradOut), storage(gradWeight),
        storage(gradBias))) {
      return Dnnl.conv2dBackwardWeights(x, gradOut, p, gradWeight, gradBias);
    }
  }

  // Max pooling is a direct Java kernel (MaxPool): oneDNN's pooling on plain NCHW measured slower
  // than the composed path. Average pooling stays composed (the SPI default).

  @Override
  public boolean maxPool2d(Strided x, PoolParams p, Strided out, Strided workspace) {
    try (Pinned pin = Pinned.of("max_pool2d", storage(x), storage(out), storage(workspace), null)) {
      return MaxPool.forward(x, p, out, workspace);
    }
  }

  @Override
  public boolean maxPool2dBackward(Strided gradOut, Strided workspace, PoolParams p, Strided gradX) {
    try (Pinned pin = Pinned.of("max_pool2d_backward", gradOut, workspace, gradX)) {
      return MaxPool.backward(gradOut, workspace, gradX);
    }
  }

  // ---------------------------------------------------------------- the fused LSTM cell

  @Override
  public boolean adamStep(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq,
      dev.ember.spi.AdamStep step) {
    try (Pinned p = Pinned.of("adam_step", param, grad, expAvg, expAvgSq);
        Pinned q = maxExpAvgSq == null ? null : Pinned.of("adam_step", maxExpAvgSq)) {
      return OptimizerKernels.adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, step);
    }
  }

  @Override
  public boolean lstmCell(Strided gx, Strided hh, Strided cPrev, Strided acts, Strided hOut, Strided cOut) {
    try (Pinned p = Pinned.of("lstm_cell", gx, hh, cPrev); Pinned q = Pinned.of("lstm_cell", acts, hOut, cOut)) {
      return RecurrentKernels.lstmCell(gx, hh, cPrev, acts, hOut, cOut);
    }
  }

  @Override
  public boolean lstmCellBackward(Strided acts, Strided cPrev, Strided c, Strided gradH, Strided gradC,
      Strided gradGates, Strided gradCPrev) {
    try (Pinned p = Pinned.of("lstm_cell_backward", acts, cPrev, c, gradH);
        Pinned q = Pinned.of("lstm_cell_backward", gradC, gradGates, gradCPrev)) {
      return RecurrentKernels.lstmCellBackward(acts, cPrev, c, gradH, gradC, gradGates, gradCPrev);
    }
  }

  @Override
  public Storage lstmSequence(Strided x, Strided h0, Strided c0, Strided wih, Strided whh, Strided bias,
      boolean reverse, Strided out, Strided cN) {
    try (Pinned p = Pinned.of("lstm", x, h0, c0, wih); Pinned q = Pinned.of("lstm", whh, bias, out, cN)) {
      return Dnnl.lstmForward(x, h0, c0, wih, whh, bias, reverse, out, cN);
    }
  }

  @Override
  public boolean lstmSequenceBackward(Strided x, Strided h0, Strided c0, Strided wih, Strided whh, Strided bias,
      boolean reverse, Strided out, Strided cN, Storage workspace, Strided gradOut, Strided gradCN, Strided gradX,
      Strided gradH0, Strided gradC0, Strided gradWih, Strided gradWhh, Strided gradBias) {
    if (!(workspace instanceof CpuStorage ws)) {
      return false;
    }
    try (Pinned p = Pinned.of("lstm_backward", x, h0, c0, wih); Pinned q = Pinned.of("lstm_backward", whh, bias, out, cN);
        Pinned r = Pinned.of("lstm_backward", ws, gradOut.storage(), gradCN.storage(), gradX.storage());
        Pinned s = Pinned.of("lstm_backward", gradH0, gradC0, gradWih, gradWhh);
        Pinned t = Pinned.of("lstm_backward", gradBias)) {
      return Dnnl.lstmBackward(x, h0, c0, wih, whh, bias, reverse, out, cN, ws, gradOut, gradCN, gradX, gradH0, gradC0,
          gradWih, gradWhh, gradBias);
    }
  }

  @Override
  public Storage gruSequence(Strided x, Strided h0, Strided wih, Strided whh, Strided bih, Strided bhh,
      boolean reverse, Strided out) {
    try (Pinned p = Pinned.of("gru", x, h0, wih, whh); Pinned q = Pinned.of("gru", bih, bhh, out)) {
      return Dnnl.gruForward(x, h0, wih, whh, bih, bhh, reverse, out);
    }
  }

  @Override
  public boolean gruSequenceBackward(Strided x, Strided h0, Strided wih, Strided whh, Strided bih, Strided bhh,
      boolean reverse, Strided out, Storage workspace, Strided gradOut, Strided gradX, Strided gradH0,
      Strided gradWih, Strided gradWhh, Strided gradBih, Strided gradBhh) {
    if (!(workspace instanceof CpuStorage ws)) {
      return false;
    }
    try (Pinned p = Pinned.of("gru_backward", x, h0, wih, whh); Pinned q = Pinned.of("gru_backward", bih, bhh, out);
        Pinned r = Pinned.of("gru_backward", ws, gradOut.storage(), gradX.storage(), gradH0.storage());
        Pinned s = Pinned.of("gru_backward", gradWih, gradWhh, gradBih, gradBhh)) {
      return Dnnl.gruBackward(x, h0, wih, whh, bih, bhh, reverse, out, ws, gradOut, gradX, gradH0, gradWih, gradWhh,
          gradBih, gradBhh);
    }
  }

  /** A Linear's forward as one oneDNN matmul with a bias argument (float32; see {@link Blas#linear}). */
  @Override
  public boolean linear(Strided x, Strided weight, Strided bias, Strided out) {
    try (Pinned p = Pinned.of("linear", x, weight, bias, out)) {
      return Blas.linear(x, weight, bias, out);
    }
  }

  /** A Linear's bias gradient as a oneDNN product with ones, then a short double sum (see {@link Blas#columnSums}). */
  @Override
  public boolean linearBiasGrad(Strided grad, Strided gradBias) {
    try (Pinned p = Pinned.of("linear_backward", grad, gradBias)) {
      return Blas.columnSums(grad, gradBias, this);
    }
  }
}
