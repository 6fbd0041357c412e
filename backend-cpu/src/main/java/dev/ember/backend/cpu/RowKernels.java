package dev.ember.backend.cpu;


import dev.ember.DType;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;

/**
 * Fused row kernels over the last dim of contiguous tensors: softmax and log-softmax (forward and
 * backward) and layer norm (forward and backward), each one pass over a block of rows instead of
 * the five to ten elementwise and reduction passes of their compositions. Float32 rows are
 * processed in blocks of up to {@link #BLOCK} floats copied into a per-thread array, with the
 * exponentials, row maxima, sums and scaling on the Vector API ({@link VectorMath}) when the JVM has
 * it (sums then in float lanes, as PyTorch's kernels; in double otherwise).
 * Float64 computes in double with {@code Math.exp}. Rows are split across threads for large inputs.
 */
final class RowKernels {
  /** Whether the vector code of each row kernel runs compiled ({@link VectorGate}): until then one row a block. */
  static final VectorGate LOG_SOFTMAX_GATE = new VectorGate("log-softmax rows", 16); // 4-6.5 ns a float compiled
  static final VectorGate SOFTMAX_GATE = new VectorGate("softmax rows", 16);
  static final VectorGate SOFTMAX_BACKWARD_GATE = new VectorGate("softmax backward rows");
  static final VectorGate LAYER_NORM_BACKWARD_GATE = new VectorGate("layer-norm backward rows");
  /** The exponentials of log-softmax's and cross-entropy's backward passes: their own call site, own gate. */
  static final VectorGate ROW_EXP_GATE = new VectorGate("row exponentials");

  private static final int BLOCK = 4096;
  private static final ThreadLocal<float[][]> F32 = ThreadLocal.withInitial(() -> new float[3][BLOCK]);

  private RowKernels() {}

  private static boolean usable(Strided... xs) {
    for (Strided x : xs) {
      if (x != null && (!x.isContiguous() || x.rank() == 0
          || (x.dtype() != DType.FLOAT32 && x.dtype() != DType.FLOAT64) || x.dtype() != xs[0].dtype())) {
        return false;
      }
    }
    return xs[0].numel() > 0;
  }

  /**
   * Returns 0 if {@code g} is one value broadcast (every stride 0: the gradient of a sum), 1 if it is
   * contiguous, -1 otherwise; a gradient's address step per element is this times one element.
   */
  private static int gradStep(Strided g) {
    if (g.isContiguous()) {
      return 1;
    }
    for (int st : g.strides()) {
      if (st != 0) {
        return -1;
      }
    }
    return 0;
  }

  /** Fills {@code dst[0, n)} from {@code n} floats at {@code address}, or with its one value if {@code step} is 0. */
  private static void loadGrad(long address, int step, float[] dst, int n) {
    if (step == 0) {
      java.util.Arrays.fill(dst, 0, n, Raw.getFloat(address));
    } else {
      Raw.copyToArray(address, dst, 0, 4L * n);
    }
  }

  private static long addr(Strided s) {
    return ((CpuStorage) s.storage()).at(s.offset());
  }

  /** Rows of the block starting at {@code row}: as many as fit in {@link #BLOCK} floats, at least one. */
  private static int blockRows(int c, long row, long to) {
    return (int) Math.min(to - row, Math.max(1, BLOCK / c));
  }

  private static float[] buffer(int which, int n) {
    float[][] b = F32.get();
    if (b[which].length < n) {
      b[which] = new float[n];
    }
    return b[which];
  }

  /** e^v in place on {@code a[0, n)} in float32 (the vector kernel a few lanes at a time while it is cold). */
  private static void expInPlace(float[] a, int n) {
    if (VectorSupport.ENABLED) {
      VectorMath.applyGated(ROW_EXP_GATE, UnaryOp.EXP, a, n);
    } else {
      for (int i = 0; i < n; i++) {
        a[i] = (float) Math.exp(a[i]);
      }
    }
  }

  /** Softmax or log-softmax of each last-dim row of {@code x} into {@code out}; false if not contiguous. */
  static boolean softmax(Strided x, boolean log, Strided out) {
    if (!usable(x, out)) {
      return false;
    }
    if (!log && DnnlRows.softmax(x, out)) {
      return true;
    }
    int c = x.shape()[x.rank() - 1];
    long rows = x.numel() / c;
    long xa = addr(x);
    long ya = addr(out);
    if (x.dtype() == DType.FLOAT32 && VectorSupport.ENABLED) {
      VectorGate gate = log ? LOG_SOFTMAX_GATE : SOFTMAX_GATE;
      StridedLoop.forRows(rows, costlyRowWork(c),
          (from, to) -> softmaxRowsF32(xa, ya, c, from, to, log, gate));
    } else if (x.dtype() == DType.FLOAT32) {
      StridedLoop.forRows(rows, costlyRowWork(c), (from, to) -> softmaxF32(xa, ya, c, from, to, log));
    } else {
      StridedLoop.forRows(rows, c, (from, to) -> softmaxF64(xa, ya, c, from, to, log));
    }
    return true;
  }

  /**
   * A row of {@code c} exponentials counted as copy-equivalent work for {@link StridedLoop#forRows}'s
   * threshold: exp costs about ten copies, so rows split across threads from {@link
   * StridedLoop#COSTLY_PARALLEL_THRESHOLD} elements (32,768: log-softmax [512, 65] 78 us on one thread).
   */
  private static long costlyRowWork(int c) {
    return (long) c * Math.max(1, StridedLoop.PARALLEL_THRESHOLD / StridedLoop.COSTLY_PARALLEL_THRESHOLD);
  }

  /**
   * Float32 softmax or log-softmax rows on the vector kernels, a staged block of rows at a time ({@link
   * VectorMath#softmaxRows}: passes over the block's rows; while {@code gate} is cold, one row of a block
   * there and the rest on its scalar twin). A row of -inf, or with a NaN or +inf, gives a NaN row, as
   * PyTorch.
   */
  private static void softmaxRowsF32(long xa, long ya, int c, long from, long to, boolean log, VectorGate gate) {
    for (long row = from; row < to; ) {
      int r = blockRows(c, row, to);
      int n = r * c;
      float[] s = buffer(0, n);
      Raw.copyToArray(xa + 4L * row * c, s, 0, 4L * n);
      int vectorRows = gate.vectorRows(r);
      long started = gate.begin();
      VectorMath.softmaxRows(s, 0, vectorRows, c, buffer(1, 2 * vectorRows), buffer(2, n + VectorMath.LANES), log);
      gate.end(started, vectorRows * c);
      for (int i = vectorRows; i < r; i++) {
        ScalarTwins.softmaxRow(s, i * c, c, log);
      }
      Raw.copyFromArray(s, 0, ya + 4L * row * c, 4L * n);
      row += r;
    }
  }

  /** Float32 softmax or log-softmax rows in scalar Java (a JVM without the Vector API), sums in double. */
  private static void softmaxF32(long xa, long ya, int c, long from, long to, boolean log) {
    for (long row = from; row < to; ) {
      int r = blockRows(c, row, to);
      int n = r * c;
      float[] s = buffer(0, n);
      float[] e = buffer(1, n);
      Raw.copyToArray(xa + 4L * row * c, s, 0, 4L * n);
      for (int i = 0; i < r; i++) {
        int base = i * c;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) {
          max = Math.max(max, s[base + j]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
          max = 0; // a row of -inf: e^(x - 0) = 0 everywhere, as the composition gives
        }
        double sum = 0;
        for (int j = 0; j < c; j++) {
          s[base + j] -= max;
          e[base + j] = (float) Math.exp(s[base + j]);
          sum += e[base + j];
        }
        if (log) {
          float ls = (float) Math.log(sum);
          for (int j = 0; j < c; j++) {
            e[base + j] = s[base + j] - ls;
          }
        } else {
          float inv = (float) (1 / sum);
          for (int j = 0; j < c; j++) {
            e[base + j] *= inv;
          }
        }
      }
      Raw.copyFromArray(e, 0, ya + 4L * row * c, 4L * n);
      row += r;
    }
  }

  private static void softmaxF64(long xa, long ya, int c, long from, long to, boolean log) {
    for (long row = from; row < to; row++) {
      long xr = xa + 8L * row * c;
      long yr = ya + 8L * row * c;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, Raw.getDouble(xr + 8L * j));
      }
      if (max == Double.NEGATIVE_INFINITY) {
        max = 0;
      }
      double sum = 0;
      for (int j = 0; j < c; j++) {
        double v = Math.exp(Raw.getDouble(xr + 8L * j) - max);
        Raw.putDouble(yr + 8L * j, v);
        sum += v;
      }
      if (log) {
        double ls = Math.log(sum);
        for (int j = 0; j < c; j++) {
          Raw.putDouble(yr + 8L * j, Raw.getDouble(xr + 8L * j) - max - ls);
        }
      } else {
        for (int j = 0; j < c; j++) {
          Raw.putDouble(yr + 8L * j, Raw.getDouble(yr + 8L * j) / sum);
        }
      }
    }
  }

  /**
   * The gradient of softmax ({@code y (g - sum(g y))}) or log-softmax ({@code g - e^y sum(g)}) along
   * the last dim, from its output {@code y} and the incoming gradient {@code g}.
   */
  static boolean softmaxBackward(Strided y, Strided g, boolean log, Strided out) {
    int gs = gradStep(g);
    if (!usable(y, out) || gs < 0 || g.dtype() != y.dtype()) {
      return false;
    }
    int c = y.shape()[y.rank() - 1];
    long rows = y.numel() / c;
    long ya = addr(y);
    long ga = addr(g);
    long oa = addr(out);
    boolean single = y.dtype() == DType.FLOAT32;
    StridedLoop.forRows(rows, c, (from, to) -> {
      if (single && log) {
        logSoftmaxBackwardF32(ya, ga, gs, oa, c, from, to);
        return;
      }
      if (single && VectorSupport.ENABLED) {
        softmaxBackwardF32(ya, ga, gs, oa, c, from, to);
        return;
      }
      int size = single ? 4 : 8;
      for (long row = from; row < to; row++) {
        long yr = ya + (long) size * row * c;
        long gr = ga + (long) size * row * c * gs;
        long or = oa + (long) size * row * c;
        double dot = 0;
        for (int j = 0; j < c; j++) {
          double gj = single ? Raw.getFloat(gr + 4L * j * gs) : Raw.getDouble(gr + 8L * j * gs);
          dot += log ? gj : gj * (single ? Raw.getFloat(yr + 4L * j) : Raw.getDouble(yr + 8L * j));
        }
        for (int j = 0; j < c; j++) {
          if (single) {
            float yj = Raw.getFloat(yr + 4L * j);
            Raw.putFloat(or + 4L * j, (float) (yj * (Raw.getFloat(gr + 4L * j * gs) - dot)));
          } else {
            double yj = Raw.getDouble(yr + 8L * j);
            double gj = Raw.getDouble(gr + 8L * j * gs);
            Raw.putDouble(or + 8L * j, log ? gj - Math.exp(yj) * dot : yj * (gj - dot));
          }
        }
      }
    });
    return true;
  }

  /** One row of softmax's gradient, in place of {@code g}: on the vector helpers, or their scalar twins. */
  private static void softmaxGradRow(float[] g, float[] y, int base, int c, boolean vector) {
    VectorMath.softmaxGrad(g, y, base, c, VectorMath.dot(g, y, base, c, vector), vector);
  }

  /** Softmax's gradient {@code y (g - sum(g y))} on float32 rows, blocked, on the vector kernels. */
  private static void softmaxBackwardF32(long ya, long ga, int gs, long oa, int c, long from, long to) {
    for (long row = from; row < to; ) {
      int r = blockRows(c, row, to);
      int n = r * c;
      float[] y = buffer(0, n);
      float[] g = buffer(1, n);
      Raw.copyToArray(ya + 4L * row * c, y, 0, 4L * n);
      loadGrad(ga + 4L * row * c * gs, gs, g, n);
      int vectorRows = SOFTMAX_BACKWARD_GATE.vectorRows(r);   // cold: one row on the vector code, timed
      long started = SOFTMAX_BACKWARD_GATE.begin();
      for (int i = 0; i < vectorRows; i++) {
        softmaxGradRow(g, y, i * c, c, true);
      }
      SOFTMAX_BACKWARD_GATE.end(started, vectorRows * c);
      for (int i = vectorRows; i < r; i++) {
        softmaxGradRow(g, y, i * c, c, false);
      }
      Raw.copyFromArray(g, 0, oa + 4L * row * c, 4L * n);
      row += r;
    }
  }

  private static void logSoftmaxBackwardF32(long ya, long ga, int gs, long oa, int c, long from, long to) {
    for (long row = from; row < to; ) {
      int r = blockRows(c, row, to);
      int n = r * c;
      float[] e = buffer(0, n);
      float[] g = buffer(1, n);
      Raw.copyToArray(ya + 4L * row * c, e, 0, 4L * n);
      loadGrad(ga + 4L * row * c * gs, gs, g, n);
      expInPlace(e, n);
      for (int i = 0; i < r; i++) {
        int base = i * c;
        double sum = 0;
        for (int j = 0; j < c; j++) {
          sum += g[base + j];
        }
        float s = (float) sum;
        for (int j = 0; j < c; j++) {
          g[base + j] -= e[base + j] * s;
        }
      }
      Raw.copyFromArray(g, 0, oa + 4L * row * c, 4L * n);
      row += r;
    }
  }

  /**
   * Layer norm over the last dim {@code d} of {@code x} [R, d]: {@code out = (x - mean) rstd weight +
   * bias} with the biased variance; writes each row's mean and {@code rstd = 1 / sqrt(var + eps)} to
   * {@code mean} and {@code rstd} ([R]). {@code weight} and {@code bias} ([d]) may be null.
   */
  static boolean layerNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean,
      Strided rstd) {
    if (!usable(x, weight, bias, out, mean, rstd)) {
      return false;
    }
    if (DnnlRows.layerNorm(x, weight, bias, eps, out, mean, rstd)) {
      return true;
    }
    int d = x.shape()[x.rank() - 1];
    long rows = x.numel() / d;
    boolean single = x.dtype() == DType.FLOAT32;
    int size = single ? 4 : 8;
    long xa = addr(x);
    long oa = addr(out);
    long ma = addr(mean);
    long ra = addr(rstd);
    long wa = weight == null ? 0 : addr(weight);
    long ba = bias == null ? 0 : addr(bias);
    if (single && VectorSupport.ENABLED) {
      float[] w = weight == null ? null : toArray(wa, d);
      float[] b = bias == null ? null : toArray(ba, d);
      StridedLoop.forRows(rows, d, (from, to) -> layerNormF32(xa, oa, ma, ra, d, from, to, w, b, (float) eps));
      return true;
    }
    StridedLoop.forRows(rows, d, (from, to) -> {
      for (long row = from; row < to; row++) {
        long xr = xa + (long) size * row * d;
        long or = oa + (long) size * row * d;
        double sum = 0;
        for (int j = 0; j < d; j++) {
          sum += load(single, xr, j);
        }
        double mu = sum / d;
        double sq = 0;
        for (int j = 0; j < d; j++) {
          double v = load(single, xr, j) - mu;
          sq += v * v;
        }
        double rs = 1 / Math.sqrt(sq / d + eps);
        store(single, ma, row, mu);
        store(single, ra, row, rs);
        for (int j = 0; j < d; j++) {
          double v = (load(single, xr, j) - mu) * rs;
          if (wa != 0) {
            v *= load(single, wa, j);
          }
          if (ba != 0) {
            v += load(single, ba, j);
          }
          store(single, or, j, v);
        }
      }
    });
    return true;
  }

  private static float[] toArray(long address, int n) {
    float[] a = new float[n];
    Raw.copyToArray(address, a, 0, 4L * n);
    return a;
  }

  /** Float32 layer norm rows on the vector kernels, in blocks of rows. */
  private static void layerNormF32(long xa, long oa, long ma, long ra, int d, long from, long to, float[] w,
      float[] b, float eps) {
    for (long row = from; row < to; ) {
      int r = blockRows(d, row, to);
      int n = r * d;
      float[] a = buffer(0, n);
      Raw.copyToArray(xa + 4L * row * d, a, 0, 4L * n);
      for (int i = 0; i < r; i++) {
        int base = i * d;
        float mean = VectorMath.sum(a, base, d) / d;
        float rstd = (float) (1 / Math.sqrt(VectorMath.sumSquaresAbout(a, base, d, mean) / d + (double) eps));
        Raw.putFloat(ma + 4L * (row + i), mean);
        Raw.putFloat(ra + 4L * (row + i), rstd);
        VectorMath.normalize(a, base, d, mean, rstd, w, b);
      }
      Raw.copyFromArray(a, 0, oa + 4L * row * d, 4L * n);
      row += r;
    }
  }

  /**
   * The gradients of {@link #layerNorm} from its saved {@code mean} and {@code rstd}: {@code gradX =
   * rstd (gy - mean(gy) - xhat mean(gy xhat))} with {@code gy = g weight}; {@code gradWeight = sum
   * over rows of g xhat} and {@code gradBias = sum of g} when not null.
   */
  static boolean layerNormBackward(Strided x, Strided mean, Strided rstd, Strided weight, Strided grad,
      Strided gradX, Strided gradWeight, Strided gradBias) {
    int gs = gradStep(grad);
    if (!usable(x, mean, rstd, weight, gradX, gradWeight, gradBias) || gs < 0 || grad.dtype() != x.dtype()) {
      return false;
    }
    int d = x.shape()[x.rank() - 1];
    long rows = x.numel() / d;
    boolean single = x.dtype() == DType.FLOAT32;
    int size = single ? 4 : 8;
    long xa = addr(x);
    long ga = addr(grad);
    long oa = addr(gradX);
    long ma = addr(mean);
    long ra = addr(rstd);
    long wa = weight == null ? 0 : addr(weight);
    if (single && VectorSupport.ENABLED) {
      layerNormBackwardF32(xa, ma, ra, wa == 0 ? null : toArray(wa, d), ga, gs, oa, d, rows,
          gradWeight == null ? 0 : addr(gradWeight), gradBias == null ? 0 : addr(gradBias));
      return true;
    }
    StridedLoop.forRows(rows, d, (from, to) -> {
      for (long row = from; row < to; row++) {
        long xr = xa + (long) size * row * d;
        long gr = ga + (long) size * row * d * gs;
        long or = oa + (long) size * row * d;
        double mu = load(single, ma, row);
        double rs = load(single, ra, row);
        double sumGy = 0;
        double sumGyXhat = 0;
        for (int j = 0; j < d; j++) {
          double gy = load(single, gr, (long) j * gs) * (wa == 0 ? 1 : load(single, wa, j));
          sumGy += gy;
          sumGyXhat += gy * (load(single, xr, j) - mu) * rs;
        }
        double a = sumGy / d;
        double b = sumGyXhat / d;
        for (int j = 0; j < d; j++) {
          double gy = load(single, gr, (long) j * gs) * (wa == 0 ? 1 : load(single, wa, j));
          double xhat = (load(single, xr, j) - mu) * rs;
          store(single, or, j, rs * (gy - a - xhat * b));
        }
      }
    });
    if (gradWeight != null || gradBias != null) {
      double[] gw = new double[d];
      double[] gb = new double[d];
      for (long row = 0; row < rows; row++) {
        long xr = xa + (long) size * row * d;
        long gr = ga + (long) size * row * d * gs;
        double mu = load(single, ma, row);
        double rs = load(single, ra, row);
        for (int j = 0; j < d; j++) {
          double g = load(single, gr, (long) j * gs);
          gw[j] += g * (load(single, xr, j) - mu) * rs;
          gb[j] += g;
        }
      }
      for (int j = 0; j < d; j++) {
        if (gradWeight != null) {
          store(single, addr(gradWeight), j, gw[j]);
        }
        if (gradBias != null) {
          store(single, addr(gradBias), j, gb[j]);
        }
      }
    }
    return true;
  }

  /**
   * Float32 layer-norm backward on the vector kernels: one pass over blocks of rows computes gradX
   * and each thread's partial weight and bias gradients (float lanes within a block of rows, double
   * across blocks), which are then added in the order of the pieces' rows, so the result does not
   * depend on which thread finishes first.
   */
  private static void layerNormBackwardF32(long xa, long ma, long ra, float[] w, long ga, int gs, long oa, int d, long rows,
      long gwa, long gba) {
    java.util.concurrent.ConcurrentSkipListMap<Long, double[][]> partials = new java.util.concurrent.ConcurrentSkipListMap<>();
    StridedLoop.forRows(rows, d, (from, to) -> {
      // Float lanes over one block of rows (at most BLOCK / d), then a double sum over the blocks.
      float[] gw = gwa == 0 ? null : new float[d];
      float[] gb = gba == 0 ? null : new float[d];
      double[][] sums = {new double[d], new double[d]};
      float[] rowSums = new float[2];
      for (long row = from; row < to; ) {
        int r = blockRows(d, row, to);
        int n = r * d;
        float[] x = buffer(0, n);
        float[] g = buffer(1, n);
        Raw.copyToArray(xa + 4L * row * d, x, 0, 4L * n);
        loadGrad(ga + 4L * row * d * gs, gs, g, n);
        int vectorRows = LAYER_NORM_BACKWARD_GATE.vectorRows(r);   // cold: one row on the vector code, timed
        long started = LAYER_NORM_BACKWARD_GATE.begin();
        for (int i = 0; i < vectorRows; i++) {
          layerNormBackwardRow(x, g, i * d, d, Raw.getFloat(ma + 4L * (row + i)), Raw.getFloat(ra + 4L * (row + i)),
              w, gw, gb, rowSums, true);
        }
        LAYER_NORM_BACKWARD_GATE.end(started, vectorRows * d);
        for (int i = vectorRows; i < r; i++) {
          layerNormBackwardRow(x, g, i * d, d, Raw.getFloat(ma + 4L * (row + i)), Raw.getFloat(ra + 4L * (row + i)),
              w, gw, gb, rowSums, false);
        }
        Raw.copyFromArray(g, 0, oa + 4L * row * d, 4L * n);
        row += r;
        for (int j = 0; j < d; j++) {
          if (gw != null) {
            sums[0][j] += gw[j];
            gw[j] = 0;
          }
          if (gb != null) {
            sums[1][j] += gb[j];
            gb[j] = 0;
          }
        }
      }
      partials.put(from, sums);
    });
    for (int which = 0; which < 2; which++) {
      long at = which == 0 ? gwa : gba;
      if (at == 0) {
        continue;
      }
      double[] total = new double[d];
      for (double[][] p : partials.values()) {
        for (int j = 0; j < d; j++) {
          total[j] += p[which][j];
        }
      }
      for (int j = 0; j < d; j++) {
        Raw.putFloat(at + 4L * j, (float) total[j]);
      }
    }
  }

  /**
   * One layer-norm backward row of {@code d} at {@code base}: {@code x} becomes {@code xhat}, the row's
   * terms go into {@code gw}/{@code gb}, {@code g} becomes gradX; on the vector helpers, or with {@code
   * vector} false on their scalar twins (a cold kernel's rows). {@code sums} is scratch of 2.
   */
  private static void layerNormBackwardRow(float[] x, float[] g, int base, int d, float mean, float rstd,
      float[] w, float[] gw, float[] gb, float[] sums, boolean vector) {
    VectorMath.layerNormGradSums(x, g, base, d, mean, rstd, w, gw, gb, sums, vector);
    VectorMath.layerNormGradX(g, x, base, d, rstd, w, sums[0] / d, sums[1] / d, vector);
  }

  private static double load(boolean single, long base, long i) {
    return single ? Raw.getFloat(base + 4 * i) : Raw.getDouble(base + 8 * i);
  }

  private static void store(boolean single, long base, long i, double v) {
    if (single) {
      Raw.putFloat(base + 4 * i, (float) v);
    } else {
      Raw.putDouble(base + 8 * i, v);
    }
  }

  /** See {@code Backend.crossEntropy}: log-softmax rows, then the NLL sum and count of valid rows. */
  static boolean crossEntropy(Strided x, Strided target, long ignoreIndex, Strided logProbs, Strided out) {
    if (!usable(x, logProbs, out) || x.rank() != 2 || target.dtype() != DType.INT64 || !target.isContiguous()) {
      return false;
    }
    int n = x.shape()[0];
    int c = x.shape()[1];
    long ta = addr(target);
    for (int i = 0; i < n; i++) {
      long t = Raw.getLong(ta + 8L * i);
      if (t != ignoreIndex && (t < 0 || t >= c)) {
        return false;
      }
    }
    softmax(x, true, logProbs);
    boolean single = x.dtype() == DType.FLOAT32;
    long la = addr(logProbs);
    double sum = 0;
    long count = 0;
    for (int i = 0; i < n; i++) {
      long t = Raw.getLong(ta + 8L * i);
      if (t != ignoreIndex) {
        sum -= load(single, la, (long) i * c + t);
        count++;
      }
    }
    long oa = addr(out);
    store(single, oa, 0, sum);
    store(single, oa, 1, count);
    return true;
  }

  /** See {@code Backend.crossEntropyBackward}: {@code scale (softmax - onehot)} on valid rows. */
  static boolean crossEntropyBackward(Strided logProbs, Strided target, long ignoreIndex, double scale,
      Strided out) {
    if (!usable(logProbs, out) || logProbs.rank() != 2 || target.dtype() != DType.INT64
        || !target.isContiguous()) {
      return false;
    }
    int c = logProbs.shape()[1];
    long rows = logProbs.shape()[0];
    boolean single = logProbs.dtype() == DType.FLOAT32;
    long la = addr(logProbs);
    long oa = addr(out);
    long ta = addr(target);
    StridedLoop.forRows(rows, c, (from, to) -> {
      for (long i = from; i < to; i++) {
        long t = Raw.getLong(ta + 8L * i);
        long base = i * c;
        if (t == ignoreIndex) {
          for (int j = 0; j < c; j++) {
            store(single, oa, base + j, 0);
          }
          continue;
        }
        if (single) {
          float[] e = buffer(0, c);
          Raw.copyToArray(la + 4L * base, e, 0, 4L * c);
          expInPlace(e, c);
          float sc = (float) scale;
          for (int j = 0; j < c; j++) {
            e[j] *= sc;
          }
          e[(int) t] -= sc;
          Raw.copyFromArray(e, 0, oa + 4L * base, 4L * c);
        } else {
          for (int j = 0; j < c; j++) {
            Raw.putDouble(oa + 8L * (base + j), scale * (Math.exp(Raw.getDouble(la + 8L * (base + j))) - (j == t ? 1 : 0)));
          }
        }
      }
    });
    return true;
  }
}
