package dev.ember.backend.cpu;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;

import dev.ember.DType;
import dev.ember.spi.Strided;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.openblas.global.openblas;

/**
 * Batched matrix products on the OpenBLAS build that nd4j-native ships, called directly through
 * its CBLAS entry points: wrapping the same call in ND4J's INDArray API costs 30-50 us per call
 * here (measured), more than a whole small GEMM. Transposed views map to BLAS's transpose flags,
 * so {@code a.transpose(1, 2)} costs no copy; other layouts are copied to contiguous first.
 *
 * <p>float32 products of at least {@link #DNNL_MIN_MACS} multiply-adds (or fewer than {@link
 * #DNNL_SKINNY_ROWS} result rows) run on oneDNN's {@code
 * dnnl_sgemm} (its JIT AVX2/AVX-512 kernels) where oneDNN loads: at the shapes of a training step (M or K of 64-1024) it took 0.6-0.85x OpenBLAS 0.3.19's time
 * on one thread and kept its speed on two threads of a loaded machine, where OpenBLAS's threads
 * collapsed (docs/benchmarks.md). {@code -Dember.cpu.dnnlGemm=false} (or oneDNN off) keeps OpenBLAS;
 * float64 always runs on OpenBLAS ({@code dgemm}; oneDNN has none).
 *
 * <p>float32 batches of more than one product (attention's per-head products, {@code bmm}) run as
 * one call of oneDNN's matmul primitive over the whole batch, cached per shape and layout
 * ({@link Dnnl#matmul}): at 64 x [64, 64] x [64, 32] it took 0.5-0.65x OpenBLAS's time and 0.4x a
 * loop of {@code dnnl_sgemm} calls (each forks its OpenMP team); a layout it declines falls back to
 * the loop, per call ("GEMM per shape class" in docs/benchmarks.md), as does every batch with
 * {@code -Dember.cpu.dnnlBatchedMatmul=false}.
 */
final class Blas {
  /** The system property that keeps float32 GEMMs on OpenBLAS ({@code -Dember.cpu.dnnlGemm=false}). */
  static final String DNNL_GEMM_PROPERTY = "ember.cpu.dnnlGemm";

  /**
   * Products below this many multiply-adds stay on OpenBLAS, which runs them on one thread: oneDNN
   * forks its two OpenMP threads for each and took 1.2-1.7x OpenBLAS's time on attention's [64, 64] x
   * [64, 32] (though 0.5x on one thread).
   */
  static final long DNNL_MIN_MACS = 1L << 18;

  /**
   * Smaller products with fewer result rows than this run on oneDNN too: OpenBLAS 0.3.19's sgemm is slow
   * on a skinny left operand (1 x 256 x 256: 47 us against oneDNN's 10; 4 x 128 x 128: 11 against 4;
   * 10 x 128 x 64 transposed: 9 against 3; two threads), while from 16 rows up it matched or beat oneDNN
   * (48 x 48 x 48: 6 against 9 us).
   */
  static final int DNNL_SKINNY_ROWS = 16;

  /** The system property that runs batches entry by entry ({@code -Dember.cpu.dnnlBatchedMatmul=false}). */
  static final String DNNL_BATCHED_PROPERTY = "ember.cpu.dnnlBatchedMatmul";

  private static final boolean DNNL_GEMM =
      !"false".equalsIgnoreCase(System.getProperty(DNNL_GEMM_PROPERTY, "true")) && Dnnl.available();

  private static final boolean DNNL_BATCHED =
      DNNL_GEMM && !"false".equalsIgnoreCase(System.getProperty(DNNL_BATCHED_PROPERTY, "true"));

  private static final java.util.concurrent.atomic.LongAdder DNNL_GEMMS = new java.util.concurrent.atomic.LongAdder();
  private static final java.util.concurrent.atomic.LongAdder DNNL_BATCHES = new java.util.concurrent.atomic.LongAdder();

  private Blas() {}

  /** Returns how many float32 products (one per batch entry) have run on oneDNN (sgemm or matmul). */
  static long dnnlGemms() {
    return DNNL_GEMMS.sum();
  }

  /** Returns how many float32 batches (of more than one product) have run as one oneDNN matmul call. */
  static long dnnlBatchedMatmuls() {
    return DNNL_BATCHES.sum();
  }

  /**
   * A matrix operand as BLAS sees it: storage, transpose flag, leading dim, batch stride, and
   * whether the storage is a contiguous copy this product made (freed as soon as it ends).
   */
  private record Operand(CpuStorage storage, int trans, int ld, int batchStride, long offset, boolean copy) {
    /**
     * This operand as a [batch, rows, cols] view with the strides BLAS reads it with: a batch of
     * one when every entry shares the matrix (batch stride 0).
     */
    Strided view(int batch, int rows, int cols) {
      boolean shared = batchStride == 0 || batch == 1;
      int[] shape = {shared ? 1 : batch, rows, cols};
      int[] strides = {shared ? rows * cols : batchStride, trans == CblasTrans ? 1 : ld, trans == CblasTrans ? ld : 1};
      return new Strided(storage, DType.FLOAT32, shape, strides, offset);
    }

    void freeCopy() {
      if (copy) {
        storage.close();
      }
    }
  }

  private static Operand operand(Strided s, CpuBackend backend) {
    int rows = s.shape()[1];
    int cols = s.shape()[2];
    int rs = s.strides()[1];
    int cs = s.strides()[2];
    if ((cs == 1 || cols == 1) && rs >= Math.max(1, cols)) {
      return new Operand((CpuStorage) s.storage(), CblasNoTrans, Math.max(rs, Math.max(1, cols)), s.strides()[0],
          s.offset(), false);
    }
    if ((rs == 1 || rows == 1) && cs >= Math.max(1, rows)) {
      return new Operand((CpuStorage) s.storage(), CblasTrans, Math.max(cs, Math.max(1, rows)), s.strides()[0],
          s.offset(), false);
    }
    CpuStorage copy = (CpuStorage) backend.allocate(s.dtype(), s.numel());
    Strided c = Strided.contiguous(copy, s.shape());
    Elementwise.copy(s, c);
    return new Operand(copy, CblasNoTrans, Math.max(1, cols), rows * cols, 0, true);
  }

  static void matmul(Strided as, Strided bs, Strided out, CpuBackend backend) {
    Operand a = operand(as, backend);
    Operand b = operand(bs, backend);
    try {
      gemms(as, a, b, out);
    } finally {
      a.freeCopy();
      b.freeCopy();
    }
  }

  /**
   * Computes {@code out} [N, M] = {@code x} [N, K] @ {@code weight}^T + {@code bias} [M] (contiguous, added
   * to every row): a Linear's forward, {@code weight} [M, K] read transposed in place. float32 products that
   * {@link #gemms} would send to oneDNN run as one call of its matmul primitive with a bias argument, which
   * adds the bias as it writes each block of the result (no second pass over it): bit for bit the sgemm's
   * product plus the bias, in 1.02-1.06x the sgemm's time against 1.11-1.28x for the product and then a
   * broadcast add (docs/benchmarks.md, "Linear: forward and backward"). Returns false, writing nothing, for
   * everything else (float64, small products that stay on OpenBLAS, oneDNN off or declining the layout),
   * and the caller adds the bias after {@link #matmul}.
   */
  static boolean linear(Strided x, Strided weight, Strided bias, Strided out) {
    int n = out.shape()[0];
    int m = out.shape()[1];
    int k = x.shape()[1];
    if (!DNNL_GEMM || x.dtype() != DType.FLOAT32 || k == 0 || !inPlace(x) || !inPlace(weight)
        || ((long) n * m * k < DNNL_MIN_MACS && n >= DNNL_SKINNY_ROWS)) {
      return false;
    }
    // 2-d descriptors: oneDNN 2.5 runs a batch dim of stride 0 on its reference kernel.
    Strided weightT = new Strided(weight.storage(), weight.dtype(), new int[] {k, m},
        new int[] {weight.strides()[1], weight.strides()[0]}, weight.offset());
    Strided biasRow = new Strided(bias.storage(), bias.dtype(), new int[] {1, m}, new int[] {m, 1}, bias.offset());
    if (!Dnnl.matmul(x, weightT, biasRow, out)) {
      return false;
    }
    DNNL_GEMMS.increment();
    return true;
  }

  /**
   * Whether oneDNN reads this [rows, cols] matrix in place: no stride 0, a unit stride in one dim and a
   * pitch past the other.
   */
  private static boolean inPlace(Strided s) {
    int rows = s.shape()[0];
    int cols = s.shape()[1];
    int rs = s.strides()[0];
    int cs = s.strides()[1];
    return rs > 0 && cs > 0
        && (((cs == 1 || cols == 1) && rs >= Math.max(1, cols)) || ((rs == 1 || rows == 1) && cs >= Math.max(1, rows)));
  }

  /**
   * Sums the contiguous float32 {@code grad} [N, M] over its rows into {@code out} [M] (contiguous): a
   * Linear's bias gradient, in two levels. With N = per * parts ({@code per} the largest divisor of N not
   * above its square root), one oneDNN product {@code ones [1, per] @ grad} viewed as [per, parts * M]
   * sums every {@code parts}-th row in float32 ({@code per} values each: row r * parts + q into partial q),
   * then the {@code parts} partials of each column are added in order in double. At [1024, 384]: about 70 us
   * against 250-300 us for the row loop that accumulates every element in double; the error stays that of
   * a {@code per}-term float32 sum (32 terms at N = 1024). Returns false, touching nothing, where oneDNN is
   * off, the dtype is not float32, or N has no divisor from 2 up to its square root (a prime N).
   */
  static boolean columnSums(Strided grad, Strided out, CpuBackend backend) {
    int n = grad.shape()[0];
    int m = grad.shape()[1];
    if (!DNNL_GEMM || grad.dtype() != DType.FLOAT32 || !grad.isContiguous() || !out.isContiguous()
        || (long) n * m > Integer.MAX_VALUE) {
      return false;
    }
    int per = 1;
    for (int d = 2; (long) d * d <= n; d++) {
      if (n % d == 0) {
        per = d;
      }
    }
    if (per < 2) {
      return false;
    }
    int parts = n / per;
    int width = parts * m;
    CpuStorage scratch = (CpuStorage) backend.allocate(DType.FLOAT32, (long) per + width);
    try {
      long ones = scratch.at(0);
      for (int i = 0; i < per; i++) {
        Raw.putFloat(ones + 4L * i, 1f);
      }
      CpuStorage g = (CpuStorage) grad.storage();
      int status = dnnl.dnnl_sgemm((byte) 'N', (byte) 'N', 1, width, per, 1f, scratch.floatPointer(0), per,
          g.floatPointer(grad.offset()), width, 0f, scratch.floatPointer(per), width);
      if (status != dnnl.dnnl_success) {
        return false;
      }
      long partials = scratch.at(per);
      double[] acc = new double[m];
      for (int q = 0; q < parts; q++) {
        long row = partials + 4L * q * m;
        for (int j = 0; j < m; j++) {
          acc[j] += Raw.getFloat(row + 4L * j);
        }
      }
      long o = ((CpuStorage) out.storage()).at(out.offset());
      for (int j = 0; j < m; j++) {
        Raw.putFloat(o + 4L * j, (float) acc[j]);
      }
      return true;
    } finally {
      scratch.close();
    }
  }

  private static void gemms(Strided as, Operand a, Operand b, Strided out) {
    int batch = out.shape()[0];
    int m = out.shape()[1];
    int n = out.shape()[2];
    int k = as.shape()[2];
    CpuStorage c = (CpuStorage) out.storage();
    int cStride = out.strides()[0];
    boolean single = as.dtype() == DType.FLOAT32;
    if (single && DNNL_BATCHED && batch > 1
        && Dnnl.matmul(a.view(batch, m, k), b.view(batch, k, n), out)) {
      DNNL_BATCHES.increment();
      DNNL_GEMMS.add(batch);
      return;
    }
    boolean dnnlGemm = DNNL_GEMM && ((long) m * n * k >= DNNL_MIN_MACS || m < DNNL_SKINNY_ROWS);
    for (int i = 0; i < batch; i++) {
      long ao = a.offset + (long) i * a.batchStride;
      long bo = b.offset + (long) i * b.batchStride;
      long co = out.offset() + (long) i * cStride;
      if (single && dnnlGemm) {
        int status = dnnl.dnnl_sgemm(a.trans == CblasTrans ? (byte) 'T' : (byte) 'N',
            b.trans == CblasTrans ? (byte) 'T' : (byte) 'N', m, n, k, 1f, a.storage.floatPointer(ao), a.ld,
            b.storage.floatPointer(bo), b.ld, 0f, c.floatPointer(co), Math.max(1, n));
        if (status != dnnl.dnnl_success) {
          throw new IllegalStateException("matmul: oneDNN sgemm failed with status " + status + " for [" + m
              + ", " + k + "] @ [" + k + ", " + n + "] (run with -D" + DNNL_GEMM_PROPERTY + "=false to use OpenBLAS)");
        }
        DNNL_GEMMS.increment();
      } else if (single) {
        openblas.cblas_sgemm(CblasRowMajor, a.trans, b.trans, m, n, k, 1f, a.storage.floatPointer(ao), a.ld,
            b.storage.floatPointer(bo), b.ld, 0f, c.floatPointer(co), Math.max(1, n));
      } else {
        openblas.cblas_dgemm(CblasRowMajor, a.trans, b.trans, m, n, k, 1.0, a.storage.doublePointer(ao), a.ld,
            b.storage.doublePointer(bo), b.ld, 0.0, c.doublePointer(co), Math.max(1, n));
      }
    }
  }
}
