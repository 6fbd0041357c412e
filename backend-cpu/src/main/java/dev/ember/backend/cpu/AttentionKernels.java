package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import java.util.Arrays;

/**
 * Fused scaled dot-product attention (see {@code Backend.attention}), one (batch, head) entry at a
 * time, entries split across the threads. Per entry, q, k (also transposed, [E, S]) and v are copied
 * to heap arrays; queries then go in blocks of {@link #ROWS}: the block's scores ([rows, S], the only
 * part of the weights that ever exists) are a small matrix product, then scale, the causal or explicit
 * mask, a max-subtracted exp, row sums, and the output rows as a product with v. Each row's
 * log-sum-exp is saved; the backward recomputes a block's weights {@code p = exp(s - lse)}, then
 * {@code dp = g v^T}, {@code ds = p (dp - rowsum(g out)) scale}, {@code dq = ds k}, and accumulates
 * {@code dk += ds^T q}, {@code dv += p^T g} over the entry's blocks. A causal block computes the keys
 * its last query sees; its earlier queries' hidden keys get -inf.
 *
 * <p>Float32 computes in float (products on {@link AttentionVectors}' register tiles, exp and row
 * reductions on {@link VectorMath}, sums in float lanes as PyTorch's CPU kernel) when the Vector API
 * is enabled, scalar Java otherwise; float64 computes in double with {@code Math.exp}. Operands may be
 * any strided views (stride-0 batch dims included); results are contiguous.
 */
final class AttentionKernels {
  private AttentionKernels() {}

  /** One operand's geometry: per-entry element offsets, and the strides of its last two dims. */
  private record Operand(CpuStorage st, long[] base, int rs, int cs, boolean bool) {
    static Operand of(Strided s, int batches) {
      if (s == null) {
        return null;
      }
      int r = s.rank();
      long[] base = new long[batches];
      for (int b = 0; b < batches; b++) {
        long o = s.offset();
        int rem = b;
        for (int d = r - 3; d >= 0; d--) {
          o += (long) (rem % s.shape()[d]) * s.strides()[d];
          rem /= s.shape()[d];
        }
        base[b] = o;
      }
      return new Operand((CpuStorage) s.storage(), base, s.strides()[r - 2], s.strides()[r - 1],
          s.dtype() == DType.BOOL);
    }

    long addr(int b, int row, int col) {
      return st.at(base[b] + (long) row * rs + (long) col * cs);
    }
  }

  /** The sizes of one call: entries, queries, keys, head dims of q/k and of v. */
  private record Dims(int batches, int l, int s, int e, int ev) {}

  /** Returns the call's sizes, or null where the operands are not ones this kernel handles. */
  private static Dims dims(Strided q, Strided k, Strided v, Strided mask, Strided out, Strided lse) {
    DType t = q.dtype();
    int r = q.rank();
    if ((t != DType.FLOAT32 && t != DType.FLOAT64) || k.dtype() != t || v.dtype() != t || out.dtype() != t
        || r < 2 || k.rank() != r || v.rank() != r || out.rank() != r || !out.isContiguous()
        || (lse != null && (lse.dtype() != t || !lse.isContiguous()))
        || (mask != null && (mask.rank() != r || (mask.dtype() != t && mask.dtype() != DType.BOOL)))) {
      return null;
    }
    int batches = 1;
    for (int d = 0; d < r - 2; d++) {
      batches = Math.multiplyExact(batches, q.shape()[d]);
    }
    Dims dims = new Dims(batches, q.shape()[r - 2], k.shape()[r - 2], q.shape()[r - 1], v.shape()[r - 1]);
    return dims.l() * dims.s() * dims.e() * dims.ev() == 0 ? null : dims;
  }

  /** The work of one call in multiply-adds, for the thread split. */
  private static long work(Dims d) {
    return (long) d.batches() * d.l() * d.s() * (d.e() + d.ev());
  }

  /** Keys query {@code i} attends to: all, or {@code 0..i} when causal. */
  private static int keys(boolean causal, int i, int s) {
    return causal ? Math.min(i + 1, s) : s;
  }

  /** See {@code Backend.attention}; false if the operands are not float32/float64 as documented. */
  static boolean forward(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale, Strided out,
      Strided lse) {
    Dims d = dims(q, k, v, mask, out, lse);
    if (d == null) {
      return false;
    }
    Operand[] ops = {Operand.of(q, d.batches()), Operand.of(k, d.batches()), Operand.of(v, d.batches()),
        Operand.of(mask, d.batches())};
    CpuStorage o = (CpuStorage) out.storage();
    CpuStorage ls = lse == null ? null : (CpuStorage) lse.storage();
    long oo = out.offset();
    long lo = lse == null ? 0 : lse.offset();
    boolean single = q.dtype() == DType.FLOAT32;
    StridedLoop.forRange(d.batches(), work(d), (from, to) -> {
      if (single) {
        new F32(d, ops, causal, (float) scale).forward(from, to, o, oo, ls, lo);
      } else {
        new F64(d, ops, causal, scale).forward(from, to, o, oo, ls, lo);
      }
    });
    return true;
  }

  /** See {@code Backend.attentionBackward}; false if the operands are not as documented. */
  static boolean backward(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale, Strided out,
      Strided lse, Strided gradOut, Strided gradQ, Strided gradK, Strided gradV) {
    Dims d = dims(q, k, v, mask, out, lse);
    DType t = q.dtype();
    if (d == null || lse == null || gradOut.dtype() != t || gradOut.rank() != q.rank()) {
      return false;
    }
    for (Strided g : new Strided[] {gradQ, gradK, gradV}) {
      if (g.dtype() != t || !g.isContiguous()) {
        return false;
      }
    }
    Operand[] ops = {Operand.of(q, d.batches()), Operand.of(k, d.batches()), Operand.of(v, d.batches()),
        Operand.of(mask, d.batches()), Operand.of(out, d.batches()), Operand.of(gradOut, d.batches())};
    CpuStorage[] grads = {(CpuStorage) gradQ.storage(), (CpuStorage) gradK.storage(), (CpuStorage) gradV.storage()};
    long[] gradOffsets = {gradQ.offset(), gradK.offset(), gradV.offset()};
    CpuStorage ls = (CpuStorage) lse.storage();
    long lo = lse.offset();
    boolean single = t == DType.FLOAT32;
    StridedLoop.forRange(d.batches(), 2 * work(d), (from, to) -> {
      if (single) {
        new F32(d, ops, causal, (float) scale).backward(from, to, ls, lo, grads, gradOffsets);
      } else {
        new F64(d, ops, causal, scale).backward(from, to, ls, lo, grads, gradOffsets);
      }
    });
    return true;
  }

  /** Query rows per block: the scores of one block ([ROWS, S]) are all that exists of the weights. */
  private static final int ROWS = 16;

  /** The float32 kernel for a range of entries, with its heap arrays. */
  private static final class F32 {
    private final Dims d;
    private final Operand[] ops;
    private final boolean causal;
    private final float scale;
    private final boolean vec = VectorSupport.ENABLED;
    private final float[] qa;
    private final float[] ka;
    private final float[] kt;
    private final float[] va;
    private final float[] blk;
    private final float[] rowMax = new float[ROWS];

    F32(Dims d, Operand[] ops, boolean causal, float scale) {
      this.d = d;
      this.ops = ops;
      this.causal = causal;
      this.scale = scale;
      qa = new float[d.l() * d.e()];
      ka = new float[d.s() * d.e()];
      kt = new float[d.e() * d.s()];
      va = new float[d.s() * d.ev()];
      blk = new float[ROWS * d.s()];
    }

    /**
     * Loads entry {@code b}'s q, k transposed and v, row-major, and with {@code rowMajorK} (the backward's
     * {@code dq = ds k}) k itself.
     */
    private void loadEntry(int b, boolean rowMajorK) {
      load(ops[0], b, 0, d.l(), d.e(), qa);
      if (rowMajorK) {
        load(ops[1], b, 0, d.s(), d.e(), ka);
      }
      loadTransposed(ops[1], b, d.s(), d.e(), kt);
      load(ops[2], b, 0, d.s(), d.ev(), va);
    }

    void forward(int from, int to, CpuStorage out, long outOffset, CpuStorage lse, long lseOffset) {
      int l = d.l();
      int ev = d.ev();
      float[] o = new float[ROWS * ev];
      for (int b = from; b < to; b++) {
        loadEntry(b, false);
        for (int i0 = 0; i0 < l; i0 += ROWS) {
          int rb = Math.min(ROWS, l - i0);
          int n = scores(b, i0, rb);
          for (int r = 0; r < rb; r++) {
            float max = vec ? VectorMath.max(blk, r * n, n) : scalarMax(blk, r * n, n);
            rowMax[r] = max;
            shift(r * n, n, max == Float.NEGATIVE_INFINITY ? 0 : -max);
          }
          exp(rb * n);
          gemm(rb, ev, n, blk, 0, n, 1, va, 0, ev, o, 0, ev, false);
          for (int r = 0; r < rb; r++) {
            float sum = vec ? VectorMath.sum(blk, r * n, n) : scalarSum(blk, r * n, n);
            float inv = sum == 0 ? 0 : 1 / sum;
            for (int c = 0; c < ev; c++) {
              o[r * ev + c] *= inv;
            }
            if (lse != null) {
              float value = sum == 0 ? Float.NEGATIVE_INFINITY : rowMax[r] + (float) Math.log(sum);
              Raw.putFloat(lse.at(lseOffset + (long) b * l + i0 + r), value);
            }
          }
          Raw.copyFromArray(o, 0, out.at(outOffset + ((long) b * l + i0) * ev), 4L * rb * ev);
        }
      }
    }

    void backward(int from, int to, CpuStorage lse, long lseOffset, CpuStorage[] grads, long[] gradOffsets) {
      int l = d.l();
      int s = d.s();
      int e = d.e();
      int ev = d.ev();
      float[] vt = new float[ev * s];
      float[] ga = new float[l * ev];
      float[] oa = new float[l * ev];
      float[] dp = new float[ROWS * s];
      float[] dq = new float[ROWS * e];
      float[] dk = new float[s * e];
      float[] dv = new float[s * ev];
      for (int b = from; b < to; b++) {
        loadEntry(b, true);
        loadTransposed(ops[2], b, s, ev, vt);
        load(ops[5], b, 0, l, ev, ga);
        load(ops[4], b, 0, l, ev, oa);
        Arrays.fill(dk, 0f);
        Arrays.fill(dv, 0f);
        for (int i0 = 0; i0 < l; i0 += ROWS) {
          int rb = Math.min(ROWS, l - i0);
          int n = scores(b, i0, rb);
          for (int r = 0; r < rb; r++) {
            float rowLse = Raw.getFloat(lse.at(lseOffset + (long) b * l + i0 + r));
            shift(r * n, n, rowLse == Float.NEGATIVE_INFINITY ? 0 : -rowLse);
          }
          exp(rb * n);
          gemm(rb, n, ev, ga, i0 * ev, ev, 1, vt, 0, s, dp, 0, n, false);
          for (int r = 0; r < rb; r++) {
            int gi = (i0 + r) * ev;
            if (vec) {
              AttentionVectors.scoreGrad(blk, dp, r * n, AttentionVectors.dot(ga, gi, oa, gi, ev), scale, n);
            } else {
              float rowDot = 0;
              for (int c = 0; c < ev; c++) {
                rowDot += ga[gi + c] * oa[gi + c];
              }
              for (int j = r * n; j < (r + 1) * n; j++) {
                dp[j] = (dp[j] - rowDot) * blk[j] * scale;
              }
            }
          }
          gemm(rb, e, n, dp, 0, n, 1, ka, 0, e, dq, 0, e, false);
          gemm(n, e, rb, dp, 0, 1, n, qa, i0 * e, e, dk, 0, e, true);
          gemm(n, ev, rb, blk, 0, 1, n, ga, i0 * ev, ev, dv, 0, ev, true);
          Raw.copyFromArray(dq, 0, grads[0].at(gradOffsets[0] + ((long) b * l + i0) * e), 4L * rb * e);
        }
        Raw.copyFromArray(dk, 0, grads[1].at(gradOffsets[1] + (long) b * s * e), 4L * s * e);
        Raw.copyFromArray(dv, 0, grads[2].at(gradOffsets[2] + (long) b * s * ev), 4L * s * ev);
      }
    }

    /**
     * Fills {@code blk} ([rb, n], row pitch n) with the scaled, masked scores of queries {@code i0 ..
     * i0 + rb} of entry {@code b} against keys {@code 0 .. n}, n being the keys the block's last query
     * sees; returns n. Causally hidden keys of the block's earlier queries get -inf.
     */
    private int scores(int b, int i0, int rb) {
      int n = keys(causal, i0 + rb - 1, d.s());
      gemm(rb, n, d.e(), qa, i0 * d.e(), d.e(), 1, kt, 0, d.s(), blk, 0, n, false);
      Operand mask = ops[3];
      for (int r = 0; r < rb; r++) {
        int base = r * n;
        if (vec) {
          VectorMath.scaleShift(blk, base, n, scale, 0f);
        } else {
          for (int j = 0; j < n; j++) {
            blk[base + j] *= scale;
          }
        }
        if (causal) {
          Arrays.fill(blk, base + keys(true, i0 + r, d.s()), base + n, Float.NEGATIVE_INFINITY);
        } else if (mask != null) {
          for (int j = 0; j < n; j++) {
            long a = mask.addr(b, i0 + r, j);
            if (mask.bool()) {
              if (Raw.getByte(a) == 0) {
                blk[base + j] = Float.NEGATIVE_INFINITY;
              }
            } else {
              blk[base + j] += Raw.getFloat(a);
            }
          }
        }
      }
      return n;
    }

    /** {@code blk[o + j] += shift} for {@code j < n}. */
    private void shift(int o, int n, float shift) {
      if (vec) {
        VectorMath.scaleShift(blk, o, n, 1f, shift);
      } else {
        for (int j = o; j < o + n; j++) {
          blk[j] += shift;
        }
      }
    }

    /** {@code blk[j] = exp(blk[j])} for {@code j < n}. */
    private void exp(int n) {
      if (vec) {
        VectorMath.apply(UnaryOp.EXP, blk, n);
      } else {
        for (int j = 0; j < n; j++) {
          blk[j] = (float) Math.exp(blk[j]);
        }
      }
    }

    /** {@link AttentionVectors#gemm}, or the same product in scalar Java. */
    private void gemm(int m, int n, int k, float[] a, int ao, int ars, int acs, float[] b, int bo, int ldb,
        float[] c, int co, int ldc, boolean accumulate) {
      if (vec) {
        AttentionVectors.gemm(m, n, k, a, ao, ars, acs, b, bo, ldb, c, co, ldc, accumulate);
        return;
      }
      for (int i = 0; i < m; i++) {
        int ci = co + i * ldc;
        if (!accumulate) {
          Arrays.fill(c, ci, ci + n, 0f);
        }
        for (int p = 0; p < k; p++) {
          float x = a[ao + i * ars + p * acs];
          int bp = bo + p * ldb;
          for (int j = 0; j < n; j++) {
            c[ci + j] += x * b[bp + j];
          }
        }
      }
    }

    private static float scalarMax(float[] a, int o, int n) {
      float max = Float.NEGATIVE_INFINITY;
      for (int j = o; j < o + n; j++) {
        max = Math.max(max, a[j]);
      }
      return max;
    }

    private static float scalarSum(float[] a, int o, int n) {
      float s = 0;
      for (int j = o; j < o + n; j++) {
        s += a[j];
      }
      return s;
    }

    /**
     * Copies entry {@code b}'s [rows, cols] matrix transposed into {@code dst} ([cols, rows], row-major),
     * straight from its storage: a column at a time, so the writes run in order (transposing a heap copy
     * with a bounds check on every scattered write took a tenth of sdpa's forward + backward, JFR).
     */
    private static void loadTransposed(Operand o, int b, int rows, int cols, float[] dst) {
      long step = 4L * o.rs();
      for (int c = 0; c < cols; c++) {
        long a = o.addr(b, 0, c);
        int at = c * rows;
        for (int r = 0; r < rows; r++) {
          dst[at + r] = Raw.getFloat(a + r * step);
        }
      }
    }

    /** Copies rows {@code [first, first + rows)} of entry {@code b} row-major into {@code dst}. */
    private static void load(Operand o, int b, int first, int rows, int cols, float[] dst) {
      for (int r = 0; r < rows; r++) {
        if (o.cs() == 1) {
          Raw.copyToArray(o.addr(b, first + r, 0), dst, 4L * r * cols, 4L * cols);
        } else if (o.cs() == 0) { // a broadcast row, as the gradient of a sum arrives
          Arrays.fill(dst, r * cols, (r + 1) * cols, Raw.getFloat(o.addr(b, first + r, 0)));
        } else {
          for (int c = 0; c < cols; c++) {
            dst[r * cols + c] = Raw.getFloat(o.addr(b, first + r, c));
          }
        }
      }
    }
  }

  /** The float64 kernel for a range of entries: the same steps as {@link F32} in double, scalar. */
  private static final class F64 {
    private final Dims d;
    private final Operand[] ops;
    private final boolean causal;
    private final double scale;
    private final double[] qa;
    private final double[] ka;
    private final double[] kt;
    private final double[] va;
    private final double[] blk;
    private final double[] rowMax = new double[ROWS];

    F64(Dims d, Operand[] ops, boolean causal, double scale) {
      this.d = d;
      this.ops = ops;
      this.causal = causal;
      this.scale = scale;
      qa = new double[d.l() * d.e()];
      ka = new double[d.s() * d.e()];
      kt = new double[d.e() * d.s()];
      va = new double[d.s() * d.ev()];
      blk = new double[ROWS * d.s()];
    }

    private void loadEntry(int b) {
      load(ops[0], b, d.l(), d.e(), qa);
      load(ops[1], b, d.s(), d.e(), ka);
      transpose(ka, d.s(), d.e(), kt);
      load(ops[2], b, d.s(), d.ev(), va);
    }

    void forward(int from, int to, CpuStorage out, long outOffset, CpuStorage lse, long lseOffset) {
      int l = d.l();
      int ev = d.ev();
      double[] o = new double[ROWS * ev];
      for (int b = from; b < to; b++) {
        loadEntry(b);
        for (int i0 = 0; i0 < l; i0 += ROWS) {
          int rb = Math.min(ROWS, l - i0);
          int n = scores(b, i0, rb);
          for (int r = 0; r < rb; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = r * n; j < (r + 1) * n; j++) {
              max = Math.max(max, blk[j]);
            }
            rowMax[r] = max;
            expShifted(r * n, n, max == Double.NEGATIVE_INFINITY ? 0 : -max);
          }
          gemm(rb, ev, n, blk, 0, n, 1, va, 0, ev, o, 0, ev, false);
          for (int r = 0; r < rb; r++) {
            double sum = 0;
            for (int j = r * n; j < (r + 1) * n; j++) {
              sum += blk[j];
            }
            long row = outOffset + ((long) b * l + i0 + r) * ev;
            for (int c = 0; c < ev; c++) {
              Raw.putDouble(out.at(row + c), sum == 0 ? 0 : o[r * ev + c] / sum);
            }
            if (lse != null) {
              double value = sum == 0 ? Double.NEGATIVE_INFINITY : rowMax[r] + Math.log(sum);
              Raw.putDouble(lse.at(lseOffset + (long) b * l + i0 + r), value);
            }
          }
        }
      }
    }

    void backward(int from, int to, CpuStorage lse, long lseOffset, CpuStorage[] grads, long[] gradOffsets) {
      int l = d.l();
      int s = d.s();
      int e = d.e();
      int ev = d.ev();
      double[] vt = new double[ev * s];
      double[] ga = new double[l * ev];
      double[] oa = new double[l * ev];
      double[] dp = new double[ROWS * s];
      double[] dq = new double[ROWS * e];
      double[] dk = new double[s * e];
      double[] dv = new double[s * ev];
      for (int b = from; b < to; b++) {
        loadEntry(b);
        transpose(va, s, ev, vt);
        load(ops[5], b, l, ev, ga);
        load(ops[4], b, l, ev, oa);
        Arrays.fill(dk, 0);
        Arrays.fill(dv, 0);
        for (int i0 = 0; i0 < l; i0 += ROWS) {
          int rb = Math.min(ROWS, l - i0);
          int n = scores(b, i0, rb);
          for (int r = 0; r < rb; r++) {
            double rowLse = Raw.getDouble(lse.at(lseOffset + (long) b * l + i0 + r));
            expShifted(r * n, n, rowLse == Double.NEGATIVE_INFINITY ? 0 : -rowLse);
          }
          gemm(rb, n, ev, ga, i0 * ev, ev, 1, vt, 0, s, dp, 0, n, false);
          for (int r = 0; r < rb; r++) {
            int gi = (i0 + r) * ev;
            double rowDot = 0;
            for (int c = 0; c < ev; c++) {
              rowDot += ga[gi + c] * oa[gi + c];
            }
            for (int j = r * n; j < (r + 1) * n; j++) {
              dp[j] = (dp[j] - rowDot) * blk[j] * scale;
            }
          }
          gemm(rb, e, n, dp, 0, n, 1, ka, 0, e, dq, 0, e, false);
          gemm(n, e, rb, dp, 0, 1, n, qa, i0 * e, e, dk, 0, e, true);
          gemm(n, ev, rb, blk, 0, 1, n, ga, i0 * ev, ev, dv, 0, ev, true);
          store(dq, grads[0], gradOffsets[0] + ((long) b * l + i0) * e, rb * e);
        }
        store(dk, grads[1], gradOffsets[1] + (long) b * s * e, s * e);
        store(dv, grads[2], gradOffsets[2] + (long) b * s * ev, s * ev);
      }
    }

    /** As {@link F32}'s: the block's scaled, masked scores into {@code blk} [rb, n]; returns n. */
    private int scores(int b, int i0, int rb) {
      int n = keys(causal, i0 + rb - 1, d.s());
      gemm(rb, n, d.e(), qa, i0 * d.e(), d.e(), 1, kt, 0, d.s(), blk, 0, n, false);
      Operand mask = ops[3];
      for (int r = 0; r < rb; r++) {
        int base = r * n;
        int visible = keys(causal, i0 + r, d.s());
        for (int j = 0; j < n; j++) {
          double v = blk[base + j] * scale;
          if (j >= visible) {
            v = Double.NEGATIVE_INFINITY;
          } else if (mask != null) {
            long a = mask.addr(b, i0 + r, j);
            if (mask.bool()) {
              v = Raw.getByte(a) == 0 ? Double.NEGATIVE_INFINITY : v;
            } else {
              v += Raw.getDouble(a);
            }
          }
          blk[base + j] = v;
        }
      }
      return n;
    }

    /** {@code blk[o + j] = exp(blk[o + j] + shift)} for {@code j < n}. */
    private void expShifted(int o, int n, double shift) {
      for (int j = o; j < o + n; j++) {
        blk[j] = Math.exp(blk[j] + shift);
      }
    }

    /** As {@link AttentionVectors#gemm}, in double. */
    private static void gemm(int m, int n, int k, double[] a, int ao, int ars, int acs, double[] b, int bo,
        int ldb, double[] c, int co, int ldc, boolean accumulate) {
      for (int i = 0; i < m; i++) {
        int ci = co + i * ldc;
        if (!accumulate) {
          Arrays.fill(c, ci, ci + n, 0);
        }
        for (int p = 0; p < k; p++) {
          double x = a[ao + i * ars + p * acs];
          int bp = bo + p * ldb;
          for (int j = 0; j < n; j++) {
            c[ci + j] += x * b[bp + j];
          }
        }
      }
    }

    private static void transpose(double[] src, int rows, int cols, double[] dst) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          dst[c * rows + r] = src[r * cols + c];
        }
      }
    }

    private static void store(double[] src, CpuStorage st, long offset, int n) {
      for (int j = 0; j < n; j++) {
        Raw.putDouble(st.at(offset + j), src[j]);
      }
    }

    /** Copies the first {@code rows} rows of entry {@code b} row-major into {@code dst}. */
    private static void load(Operand o, int b, int rows, int cols, double[] dst) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          dst[r * cols + c] = Raw.getDouble(o.addr(b, r, c));
        }
      }
    }
  }
}
