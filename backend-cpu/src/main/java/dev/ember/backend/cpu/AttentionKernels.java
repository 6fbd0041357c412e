package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import java.util.Arrays;

/**
 * Fused scaled dot-product attention (see {@code Backend.attention}), one (batch, head) entry at a
 * time, entries split across the threads. Per entry, q and v are copied to heap arrays row-major and
 * k transposed ([E, S]), so that each query row's scores are E scaled adds of k's columns (unit
 * stride along the keys, vectorizable); then the mask, a max-subtracted exp, the sum, and the
 * output row as a weighted sum of v's rows. Only one row of scores exists at a time. Each row's
 * log-sum-exp is saved; the backward recomputes the row's weights {@code p = exp(s - lse)}, then
 * {@code dp = g v^T}, {@code ds = p (dp - rowsum(g out)) scale}, {@code dq = ds k}, {@code dk += ds^T
 * q}, {@code dv += p^T g}, accumulating dk and dv for the entry. Causal rows stop at key {@code i}.
 *
 * <p>Float32 computes in float (with float lanes for sums, as PyTorch's CPU kernel) on {@link
 * AttentionVectors} and {@link VectorMath} when the Vector API is ready, scalar Java otherwise;
 * float64 computes in double with {@code Math.exp}. Operands may be any strided views (stride-0
 * batch dims included); results are contiguous.
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

  /** The float32 kernel for a range of entries, with its heap arrays. */
  private static final class F32 {
    private final Dims d;
    private final Operand[] ops;
    private final boolean causal;
    private final float scale;
    private final boolean vec = VectorSupport.ready();
    private final float[] qa;
    private final float[] kt;
    private final float[] row;

    F32(Dims d, Operand[] ops, boolean causal, float scale) {
      this.d = d;
      this.ops = ops;
      this.causal = causal;
      this.scale = scale;
      qa = new float[d.l() * d.e()];
      kt = new float[d.e() * d.s()];
      row = new float[d.s()];
    }

    void forward(int from, int to, CpuStorage out, long outOffset, CpuStorage lse, long lseOffset) {
      float[] va = new float[d.s() * d.ev()];
      float[] o = new float[d.ev()];
      int ev = d.ev();
      for (int b = from; b < to; b++) {
        load(ops[0], b, d.l(), d.e(), qa, false);
        load(ops[1], b, d.s(), d.e(), kt, true);
        load(ops[2], b, d.s(), ev, va, false);
        for (int i = 0; i < d.l(); i++) {
          int n = keys(causal, i, d.s());
          float max = scores(b, i, n);
          float lseValue = Float.NEGATIVE_INFINITY;
          Arrays.fill(o, 0f);
          if (max != Float.NEGATIVE_INFINITY) {
            shiftExp(n, -max);
            float sum = vec ? VectorMath.sum(row, 0, n) : scalarSum(row, n);
            for (int j = 0; j < n; j++) {
              if (row[j] != 0) {
                axpy(row[j], va, j * ev, o, 0, ev);
              }
            }
            float inv = 1 / sum;
            for (int c = 0; c < ev; c++) {
              o[c] *= inv;
            }
            lseValue = max + (float) Math.log(sum);
          }
          long row0 = outOffset + ((long) b * d.l() + i) * ev;
          Raw.copyFromArray(o, 0, out.at(row0), 4L * ev);
          if (lse != null) {
            Raw.putFloat(lse.at(lseOffset + (long) b * d.l() + i), lseValue);
          }
        }
      }
    }

    void backward(int from, int to, CpuStorage lse, long lseOffset, CpuStorage[] grads, long[] gradOffsets) {
      int l = d.l();
      int s = d.s();
      int e = d.e();
      int ev = d.ev();
      float[] ka = new float[s * e];
      float[] vt = new float[ev * s];
      float[] ga = new float[l * ev];
      float[] oa = new float[ev];
      float[] dp = new float[s];
      float[] dq = new float[e];
      float[] dk = new float[s * e];
      float[] dv = new float[s * ev];
      for (int b = from; b < to; b++) {
        load(ops[0], b, l, e, qa, false);
        load(ops[1], b, s, e, kt, true);
        load(ops[1], b, s, e, ka, false);
        load(ops[2], b, s, ev, vt, true);
        load(ops[5], b, l, ev, ga, false);
        Arrays.fill(dk, 0f);
        Arrays.fill(dv, 0f);
        for (int i = 0; i < l; i++) {
          int n = keys(causal, i, s);
          float rowLse = Raw.getFloat(lse.at(lseOffset + (long) b * l + i));
          Arrays.fill(dq, 0f);
          if (rowLse != Float.NEGATIVE_INFINITY) {
            scores(b, i, n);
            shiftExp(n, -rowLse);
            load(ops[4], b, i, 1, ev, oa);
            float rowDot = vec ? AttentionVectors.dot(ga, i * ev, oa, 0, ev) : scalarDot(ga, i * ev, oa, ev);
            Arrays.fill(dp, 0, n, 0f);
            for (int c = 0; c < ev; c++) {
              axpy(ga[i * ev + c], vt, c * s, dp, 0, n);
            }
            if (vec) {
              AttentionVectors.scoreGrad(row, dp, rowDot, scale, n);
            } else {
              for (int j = 0; j < n; j++) {
                dp[j] = (dp[j] - rowDot) * row[j] * scale;
              }
            }
            for (int j = 0; j < n; j++) {
              if (row[j] != 0) {
                axpy(row[j], ga, i * ev, dv, j * ev, ev);
              }
              if (dp[j] != 0) {
                axpy(dp[j], ka, j * e, dq, 0, e);
                axpy(dp[j], qa, i * e, dk, j * e, e);
              }
            }
          }
          Raw.copyFromArray(dq, 0, grads[0].at(gradOffsets[0] + ((long) b * l + i) * e), 4L * e);
        }
        Raw.copyFromArray(dk, 0, grads[1].at(gradOffsets[1] + (long) b * s * e), 4L * s * e);
        Raw.copyFromArray(dv, 0, grads[2].at(gradOffsets[2] + (long) b * s * ev), 4L * s * ev);
      }
    }

    /**
     * Fills {@code row[0, n)} with query {@code i}'s scaled, masked scores against keys {@code 0..n}
     * of entry {@code b}; returns their max.
     */
    private float scores(int b, int i, int n) {
      int e = d.e();
      int s = d.s();
      Arrays.fill(row, 0, n, 0f);
      for (int c = 0; c < e; c++) {
        axpy(qa[i * e + c] * scale, kt, c * s, row, 0, n);
      }
      Operand mask = ops[3];
      if (mask != null) {
        for (int j = 0; j < n; j++) {
          long a = mask.addr(b, i, j);
          if (mask.bool()) {
            if (Raw.getByte(a) == 0) {
              row[j] = Float.NEGATIVE_INFINITY;
            }
          } else {
            row[j] += Raw.getFloat(a);
          }
        }
      }
      if (vec) {
        return VectorMath.max(row, 0, n);
      }
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        max = Math.max(max, row[j]);
      }
      return max;
    }

    /** {@code row[j] = exp(row[j] + shift)} for {@code j < n}. */
    private void shiftExp(int n, float shift) {
      if (vec) {
        VectorMath.scaleShift(row, 0, n, 1f, shift);
        VectorMath.apply(UnaryOp.EXP, row, n);
      } else {
        for (int j = 0; j < n; j++) {
          row[j] = (float) Math.exp(row[j] + shift);
        }
      }
    }

    private void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
      if (vec) {
        AttentionVectors.axpy(a, x, xo, y, yo, n);
      } else {
        for (int j = 0; j < n; j++) {
          y[yo + j] += a * x[xo + j];
        }
      }
    }

    private static float scalarSum(float[] a, int n) {
      float s = 0;
      for (int j = 0; j < n; j++) {
        s += a[j];
      }
      return s;
    }

    private static float scalarDot(float[] a, int ao, float[] b, int n) {
      float s = 0;
      for (int j = 0; j < n; j++) {
        s += a[ao + j] * b[j];
      }
      return s;
    }

    /** Copies rows {@code [0, rows)} of entry {@code b} into {@code dst}, row-major or transposed. */
    private static void load(Operand o, int b, int rows, int cols, float[] dst, boolean transposed) {
      if (transposed) {
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            dst[c * rows + r] = Raw.getFloat(o.addr(b, r, c));
          }
        }
      } else {
        load(o, b, 0, rows, cols, dst);
      }
    }

    /** Copies rows {@code [first, first + rows)} of entry {@code b} row-major into {@code dst}. */
    private static void load(Operand o, int b, int first, int rows, int cols, float[] dst) {
      for (int r = 0; r < rows; r++) {
        if (o.cs() == 1) {
          Raw.copyToArray(o.addr(b, first + r, 0), dst, 4L * r * cols, 4L * cols);
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
    private final double[] kt;
    private final double[] row;

    F64(Dims d, Operand[] ops, boolean causal, double scale) {
      this.d = d;
      this.ops = ops;
      this.causal = causal;
      this.scale = scale;
      qa = new double[d.l() * d.e()];
      kt = new double[d.e() * d.s()];
      row = new double[d.s()];
    }

    void forward(int from, int to, CpuStorage out, long outOffset, CpuStorage lse, long lseOffset) {
      int ev = d.ev();
      double[] va = new double[d.s() * ev];
      double[] o = new double[ev];
      for (int b = from; b < to; b++) {
        load(ops[0], b, 0, d.l(), d.e(), qa, false);
        load(ops[1], b, 0, d.s(), d.e(), kt, true);
        load(ops[2], b, 0, d.s(), ev, va, false);
        for (int i = 0; i < d.l(); i++) {
          int n = keys(causal, i, d.s());
          double max = scores(b, i, n);
          double lseValue = Double.NEGATIVE_INFINITY;
          Arrays.fill(o, 0);
          if (max != Double.NEGATIVE_INFINITY) {
            double sum = 0;
            for (int j = 0; j < n; j++) {
              row[j] = Math.exp(row[j] - max);
              sum += row[j];
            }
            for (int j = 0; j < n; j++) {
              axpy(row[j], va, j * ev, o, 0, ev);
            }
            for (int c = 0; c < ev; c++) {
              o[c] /= sum;
            }
            lseValue = max + Math.log(sum);
          }
          long row0 = outOffset + ((long) b * d.l() + i) * ev;
          for (int c = 0; c < ev; c++) {
            Raw.putDouble(out.at(row0 + c), o[c]);
          }
          if (lse != null) {
            Raw.putDouble(lse.at(lseOffset + (long) b * d.l() + i), lseValue);
          }
        }
      }
    }

    void backward(int from, int to, CpuStorage lse, long lseOffset, CpuStorage[] grads, long[] gradOffsets) {
      int l = d.l();
      int s = d.s();
      int e = d.e();
      int ev = d.ev();
      double[] ka = new double[s * e];
      double[] vt = new double[ev * s];
      double[] ga = new double[l * ev];
      double[] oa = new double[ev];
      double[] dp = new double[s];
      double[] dq = new double[e];
      double[] dk = new double[s * e];
      double[] dv = new double[s * ev];
      for (int b = from; b < to; b++) {
        load(ops[0], b, 0, l, e, qa, false);
        load(ops[1], b, 0, s, e, kt, true);
        load(ops[1], b, 0, s, e, ka, false);
        load(ops[2], b, 0, s, ev, vt, true);
        load(ops[5], b, 0, l, ev, ga, false);
        Arrays.fill(dk, 0);
        Arrays.fill(dv, 0);
        for (int i = 0; i < l; i++) {
          int n = keys(causal, i, s);
          double rowLse = Raw.getDouble(lse.at(lseOffset + (long) b * l + i));
          Arrays.fill(dq, 0);
          if (rowLse != Double.NEGATIVE_INFINITY) {
            scores(b, i, n);
            load(ops[4], b, i, 1, ev, oa, false);
            double rowDot = 0;
            for (int c = 0; c < ev; c++) {
              rowDot += ga[i * ev + c] * oa[c];
            }
            Arrays.fill(dp, 0, n, 0);
            for (int c = 0; c < ev; c++) {
              axpy(ga[i * ev + c], vt, c * s, dp, 0, n);
            }
            for (int j = 0; j < n; j++) {
              double p = Math.exp(row[j] - rowLse);
              double ds = (dp[j] - rowDot) * p * scale;
              axpy(p, ga, i * ev, dv, j * ev, ev);
              axpy(ds, ka, j * e, dq, 0, e);
              axpy(ds, qa, i * e, dk, j * e, e);
            }
          }
          store(dq, grads[0], gradOffsets[0] + ((long) b * l + i) * e, e);
        }
        store(dk, grads[1], gradOffsets[1] + (long) b * s * e, s * e);
        store(dv, grads[2], gradOffsets[2] + (long) b * s * ev, s * ev);
      }
    }

    /** As {@link F32}'s: query {@code i}'s scaled, masked scores into {@code row[0, n)}; returns their max. */
    private double scores(int b, int i, int n) {
      int e = d.e();
      int s = d.s();
      Arrays.fill(row, 0, n, 0);
      for (int c = 0; c < e; c++) {
        axpy(qa[i * e + c], kt, c * s, row, 0, n);
      }
      Operand mask = ops[3];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        row[j] *= scale;
        if (mask != null) {
          long a = mask.addr(b, i, j);
          if (mask.bool()) {
            if (Raw.getByte(a) == 0) {
              row[j] = Double.NEGATIVE_INFINITY;
            }
          } else {
            row[j] += Raw.getDouble(a);
          }
        }
        max = Math.max(max, row[j]);
      }
      return max;
    }

    private static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
      for (int j = 0; j < n; j++) {
        y[yo + j] += a * x[xo + j];
      }
    }

    private static void store(double[] src, CpuStorage st, long offset, int n) {
      for (int j = 0; j < n; j++) {
        Raw.putDouble(st.at(offset + j), src[j]);
      }
    }

    /** Copies rows {@code [first, first + rows)} of entry {@code b} into {@code dst}, row-major or transposed. */
    private static void load(Operand o, int b, int first, int rows, int cols, double[] dst, boolean transposed) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          dst[transposed ? c * rows + r : r * cols + c] = Raw.getDouble(o.addr(b, first + r, c));
        }
      }
    }
  }
}
