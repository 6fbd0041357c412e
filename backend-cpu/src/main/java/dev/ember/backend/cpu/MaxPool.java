package dev.ember.backend.cpu;


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
    if (!nonEmptyWindows(h, oh, p.kernelH(), p.strideH(), p.padTop())
        || !nonEmptyWindows(w, ow, p.kernelW(), p.strideW(), p.padLeft())) {
      return false;   // a window wholly in the padding: PyTorch's rules exclude it; compose anyway
    }
    boolean f32 = x.dtype() == DType.FLOAT32;
    long xa = ((CpuStorage) x.storage()).at(x.offset());
    long oa = ((CpuStorage) out.storage()).at(out.offset());
    long ia = ((CpuStorage) indices.storage()).at(indices.offset());
    StridedLoop.forRange(planes, (long) planes * h * w, (from, to) -> {
      for (int plane = from; plane < to; plane++) {
        if (f32) {
          forwardPlaneF32(xa + 4L * plane * h * w, h, w, p, oh, ow, oa + 4L * plane * oh * ow,
              ia + 8L * plane * oh * ow);
        } else {
          forwardPlaneF64(xa + 8L * plane * h * w, h, w, p, oh, ow, oa + 8L * plane * oh * ow,
              ia + 8L * plane * oh * ow);
        }
      }
    });
    return true;
  }

  /** Whether the first and the last window (hence all) along a dim hold an input element. */
  private static boolean nonEmptyWindows(int size, int out, int k, int s, int pad) {
    int first = -pad;
    int last = (out - 1) * s - pad;
    return first + k > 0 && last < size && out > 0;
  }

  // The two planes below differ only in the element type. The selection is branch-free (the JIT
  // emits conditional moves): random data makes a compare-and-branch mispredict half the time.

  private static void forwardPlaneF32(long xp, int h, int w, PoolParams p, int oh, int ow, long op, long ip) {
    if (p.kernelH() == 2 && p.kernelW() == 2 && p.strideH() == 2 && p.strideW() == 2 && p.padTop() == 0
        && p.padLeft() == 0 && 2 * oh <= h && 2 * ow <= w) {
      forward2x2F32(xp, w, oh, ow, op, ip);
      return;
    }
    for (int i = 0, o = 0; i < oh; i++) {
      int h0 = i * p.strideH() - p.padTop();
      int hs = Math.max(h0, 0);
      int he = Math.min(h0 + p.kernelH(), h);
      for (int j = 0; j < ow; j++, o++) {
        int w0 = j * p.strideW() - p.padLeft();
        int ws = Math.max(w0, 0);
        int we = Math.min(w0 + p.kernelW(), w);
        int bestAt = hs * w + ws;
        float best = Raw.getFloat(xp + 4L * bestAt);
        for (int r = hs; r < he; r++) {
          for (int c = ws; c < we; c++) {
            int at = r * w + c;
            float v = Raw.getFloat(xp + 4L * at);
            boolean take = v > best || (v != v && best == best);   // first maximum; NaN wins, then stays
            best = take ? v : best;
            bestAt = take ? at : bestAt;
          }
        }
        Raw.putFloat(op + 4L * o, best);
        Raw.putLong(ip + 8L * o, bestAt);
      }
    }
  }

  /**
   * The 2x2, stride-2, unpadded window of most CNNs. The four candidates are compared as integer keys
   * ({@link #orderKey}), so the three first-maximum selections are integer compares the JIT turns into
   * conditional moves (a float compare-and-select stays a branch on x86, and on random data it
   * mispredicts about once per window); the maximum is then read back at the chosen index, so the
   * output keeps the input's bits (-0.0, NaN payloads).
   */
  private static void forward2x2F32(long xp, int w, int oh, int ow, long op, long ip) {
    for (int i = 0; i < oh; i++) {
      int row = 2 * i * w;
      long r0 = xp + 4L * row;
      long r1 = r0 + 4L * w;
      long o = (long) i * ow;
      for (int j = 0; j < ow; j++) {
        int at = row + 2 * j;
        int best = orderKey(Raw.getFloat(r0 + 8L * j));
        int k = orderKey(Raw.getFloat(r0 + 8L * j + 4));
        int bestAt = k > best ? at + 1 : at;
        best = Math.max(k, best);
        k = orderKey(Raw.getFloat(r1 + 8L * j));
        bestAt = k > best ? at + w : bestAt;
        best = Math.max(k, best);
        k = orderKey(Raw.getFloat(r1 + 8L * j + 4));
        bestAt = k > best ? at + w + 1 : bestAt;
        Raw.putFloat(op + 4L * (o + j), Raw.getFloat(xp + 4L * bestAt));
        Raw.putLong(ip + 8L * (o + j), bestAt);
      }
    }
  }

  /**
   * An int that orders floats as the first-maximum rule compares them: monotonic in the value, -0.0
   * and +0.0 equal (negative floats have their magnitude bits flipped, then move up by one), and every
   * NaN above +infinity and equal to each other, so a NaN wins and the first NaN stays.
   */
  static int orderKey(float v) {
    int bits = Float.floatToRawIntBits(v);
    int sign = bits >> 31;                                     // 0, or -1 for a negative sign bit
    int key = (bits ^ (sign & 0x7fffffff)) - sign;             // negatives flipped, -0.0 onto +0.0
    return (bits & 0x7fffffff) > 0x7f800000 ? Integer.MAX_VALUE : key;
  }

  private static void forwardPlaneF64(long xp, int h, int w, PoolParams p, int oh, int ow, long op, long ip) {
    for (int i = 0, o = 0; i < oh; i++) {
      int h0 = i * p.strideH() - p.padTop();
      int hs = Math.max(h0, 0);
      int he = Math.min(h0 + p.kernelH(), h);
      for (int j = 0; j < ow; j++, o++) {
        int w0 = j * p.strideW() - p.padLeft();
        int ws = Math.max(w0, 0);
        int we = Math.min(w0 + p.kernelW(), w);
        int bestAt = hs * w + ws;
        double best = Raw.getDouble(xp + 8L * bestAt);
        for (int r = hs; r < he; r++) {
          for (int c = ws; c < we; c++) {
            int at = r * w + c;
            double v = Raw.getDouble(xp + 8L * at);
            boolean take = v > best || (v != v && best == best);
            best = take ? v : best;
            bestAt = take ? at : bestAt;
          }
        }
        Raw.putDouble(op + 8L * o, best);
        Raw.putLong(ip + 8L * o, bestAt);
      }
    }
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
    StridedLoop.forRange(planes, (long) planes * hw, (from, to) -> {
      Raw.setMemory(xa + (long) from * hw * es, (long) (to - from) * hw * es, (byte) 0);
      for (int plane = from; plane < to; plane++) {
        long xp = xa + (long) plane * hw * es;
        for (long o = (long) plane * ohw, end = o + ohw; o < end; o++) {
          long at = Raw.getLong(ia + 8 * o);
          if (f32) {
            long a = xp + 4 * at;
            Raw.putFloat(a, Raw.getFloat(a) + Raw.getFloat(ga + 4 * o));
          } else {
            long a = xp + 8 * at;
            Raw.putDouble(a, Raw.getDouble(a) + Raw.getDouble(ga + 8 * o));
          }
        }
      }
    });
    return true;
  }
}
