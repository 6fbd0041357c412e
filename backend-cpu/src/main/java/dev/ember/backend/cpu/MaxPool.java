package dev.ember.backend.cpu;

import static dev.ember.backend.cpu.Raw.U;

import dev.ember.DType;
import dev.ember.spi.PoolParams;
import dev.ember.spi.Strided;

/**
 * Direct 2-d max pooling on contiguous NCHW float32/float64 buffers, forward and backward: one pass
 * over each window (no copy of the windows), the position of each window's first maximum (NaN counts
 * as the maximum, as in PyTorch) saved as an int64 index into its H x W plane, and a backward pass
 * that adds each output gradient at that index. oneDNN's pooling measured slower than the composed
 * path on plain NCHW (its jit kernels need blocked layouts), so this is the CPU's fused max pooling.
 */
final class MaxPool {
  private MaxPool() {}

  /** Whether these operands suit the direct kernels: contiguous, one floating dtype. */
  static boolean applies(Strided x, Strided out) {
    return x.isContiguous() && out.isContiguous() && x.dtype() == out.dtype()
        && (x.dtype() == DType.FLOAT32 || x.dtype() == DType.FLOAT64);
  }

  /** Computes {@code out} [N, C, oh, ow] and the int64 {@code indices} (into each H x W plane). */
  static boolean forward(Strided x, PoolParams p, Strided out, Strided indices) {
    if (!applies(x, out) || !indices.isContiguous() || indices.dtype() != DType.INT64) {
      return false;
    }
    int planes = x.shape()[0] * x.shape()[1];
    int h = x.shape()[2];
    int w = x.shape()[3];
    int oh = out.shape()[2];
    int ow = out.shape()[3];
    boolean f32 = x.dtype() == DType.FLOAT32;
    int es = f32 ? 4 : 8;
    long xa = ((CpuStorage) x.storage()).at(x.offset());
    long oa = ((CpuStorage) out.storage()).at(out.offset());
    long ia = ((CpuStorage) indices.storage()).at(indices.offset());
    for (int plane = 0; plane < planes; plane++) {
      long xp = xa + (long) plane * h * w * es;
      long o = (long) plane * oh * ow;
      for (int i = 0; i < oh; i++) {
        int h0 = i * p.strideH() - p.padTop();
        int hs = Math.max(h0, 0);
        int he = Math.min(h0 + p.kernelH(), h);
        for (int j = 0; j < ow; j++, o++) {
          int w0 = j * p.strideW() - p.padLeft();
          int ws = Math.max(w0, 0);
          int we = Math.min(w0 + p.kernelW(), w);
          double best = Double.NEGATIVE_INFINITY;
          long bestAt = -1;
          for (int r = hs; r < he; r++) {
            for (int c = ws; c < we; c++) {
              int at = r * w + c;
              double v = f32 ? U.getFloat(xp + 4L * at) : U.getDouble(xp + 8L * at);
              // first maximum; a NaN wins and stays
              if (bestAt < 0 || v > best || (v != v && best == best)) {
                best = v;
                bestAt = at;
              }
            }
          }
          if (f32) {
            U.putFloat(oa + 4 * o, (float) best);
          } else {
            U.putDouble(oa + 8 * o, best);
          }
          U.putLong(ia + 8 * o, bestAt);
        }
      }
    }
    return true;
  }

  /** Computes {@code gradX} [N, C, H, W]: zeros plus each output gradient at its saved index. */
  static boolean backward(Strided gradOut, Strided indices, Strided gradX) {
    if (!applies(gradOut, gradX) || !indices.isContiguous() || indices.dtype() != DType.INT64) {
      return false;
    }
    int planes = gradX.shape()[0] * gradX.shape()[1];
    int hw = gradX.shape()[2] * gradX.shape()[3];
    int ohw = gradOut.shape()[2] * gradOut.shape()[3];
    boolean f32 = gradX.dtype() == DType.FLOAT32;
    int es = f32 ? 4 : 8;
    long ga = ((CpuStorage) gradOut.storage()).at(gradOut.offset());
    long xa = ((CpuStorage) gradX.storage()).at(gradX.offset());
    long ia = ((CpuStorage) indices.storage()).at(indices.offset());
    U.setMemory(xa, (long) planes * hw * es, (byte) 0);
    long o = 0;
    for (int plane = 0; plane < planes; plane++) {
      long xp = xa + (long) plane * hw * es;
      for (int k = 0; k < ohw; k++, o++) {
        long at = U.getLong(ia + 8 * o);
        if (at < 0) {
          continue;
        }
        if (f32) {
          long a = xp + 4 * at;
          U.putFloat(a, U.getFloat(a) + U.getFloat(ga + 4 * o));
        } else {
          long a = xp + 8 * at;
          U.putDouble(a, U.getDouble(a) + U.getDouble(ga + 8 * o));
        }
      }
    }
    return true;
  }
}
