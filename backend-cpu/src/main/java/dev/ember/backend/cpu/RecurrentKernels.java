package dev.ember.backend.cpu;


import dev.ember.DType;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;

/**
 * The LSTM cell's pointwise part, one time step, forward and backward (the Backend SPI's {@code
 * lstmCell} and {@code lstmCellBackward}): one pass over the [N, 4H] gates instead of the twenty-odd
 * elementwise ops of the composition. Float32 works on per-thread arrays laid out gate by gate, so
 * the sigmoids and tanhs run on the Vector API ({@link VectorMath}) over long runs when the JVM has
 * it; float64 computes in double with the same formulas as the elementwise kernels. Gates are in
 * PyTorch's order i, f, g, o.
 */
final class RecurrentKernels {
  private static final ThreadLocal<float[][]> F32 = ThreadLocal.withInitial(() -> new float[4][0]);

  private RecurrentKernels() {}

  private static boolean usable(Strided... xs) {
    for (Strided x : xs) {
      if (!x.isContiguous() || x.dtype() != xs[0].dtype()
          || (x.dtype() != DType.FLOAT32 && x.dtype() != DType.FLOAT64)) {
        return false;
      }
    }
    return true;
  }

  private static long addr(Strided s) {
    return ((CpuStorage) s.storage()).at(s.offset());
  }

  /** Per-thread float buffer {@code which} of at least {@code n} floats. */
  private static float[] buffer(int which, int n) {
    float[][] b = F32.get();
    if (b[which].length < n) {
      b[which] = new float[n];
    }
    return b[which];
  }

  /** {@code op} in place on {@code a[0, n)}, vectorized where the JVM allows. */
  private static void apply(UnaryOp op, float[] a, int n) {
    if (VectorSupport.ENABLED) {
      VectorMath.apply(op, a, n);
    } else {
      for (int k = 0; k < n; k++) {
        a[k] = (float) Elementwise.unaryDouble(op, a[k]);
      }
    }
  }

  /**
   * One forward step: {@code acts = (sig(i), sig(f), tanh(g), sig(o))} of {@code gx + hh}, {@code c =
   * f cPrev + i g}, {@code h = o tanh(c)}. Returns false for operands it does not take.
   */
  static boolean lstmCell(Strided gx, Strided hh, Strided cPrev, Strided acts, Strided hOut, Strided cOut) {
    if (!usable(gx, hh, cPrev, acts, hOut, cOut) || cPrev.rank() != 2) {
      return false;
    }
    int n = cPrev.shape()[0];
    int h = cPrev.shape()[1];
    if (gx.dtype() == DType.FLOAT64) {
      forwardF64(addr(gx), addr(hh), addr(cPrev), addr(acts), addr(hOut), addr(cOut), n, h);
    } else {
      forwardF32(addr(gx), addr(hh), addr(cPrev), addr(acts), addr(hOut), addr(cOut), n, h);
    }
    return true;
  }

  /**
   * Gate q's slot in the gate-major float32 buffers: i, f, o first (one sigmoid run of 3NH), then g
   * (one tanh run).
   */
  private static int slot(int q) {
    return q == 2 ? 3 : q == 3 ? 2 : q;
  }

  private static void forwardF32(long gx, long hh, long cPrev, long acts, long hOut, long cOut, int n, int h) {
    int nh = n * h;
    float[] pre = buffer(0, 4 * nh);
    float[] add = buffer(1, 4 * nh);
    float[] gates = buffer(2, 4 * nh);
    float[] c = buffer(3, 2 * nh);
    Raw.copyToArray(gx, pre, 0, 16L * nh);
    Raw.copyToArray(hh, add, 0, 16L * nh);
    for (int r = 0; r < n; r++) {
      for (int q = 0; q < 4; q++) {
        int src = (4 * r + q) * h;
        int dst = slot(q) * nh + r * h;
        for (int j = 0; j < h; j++) {
          gates[dst + j] = pre[src + j] + add[src + j];
        }
      }
    }
    apply(UnaryOp.SIGMOID, gates, 3 * nh);
    // tanh(g) on its own run: copy it to the front of `pre`, apply, copy back.
    System.arraycopy(gates, 3 * nh, pre, 0, nh);
    apply(UnaryOp.TANH, pre, nh);
    System.arraycopy(pre, 0, gates, 3 * nh, nh);
    Raw.copyToArray(cPrev, c, 0, 4L * nh);
    for (int k = 0; k < nh; k++) {
      c[k] = gates[nh + k] * c[k] + gates[k] * gates[3 * nh + k];
    }
    Raw.copyFromArray(c, 0, cOut, 4L * nh);
    System.arraycopy(c, 0, pre, 0, nh);
    apply(UnaryOp.TANH, pre, nh);
    for (int k = 0; k < nh; k++) {
      pre[k] *= gates[2 * nh + k];
    }
    Raw.copyFromArray(pre, 0, hOut, 4L * nh);
    for (int r = 0; r < n; r++) {
      for (int q = 0; q < 4; q++) {
        Raw.copyFromArray(gates, 4L * (slot(q) * nh + r * h), acts + 4L * (4 * r + q) * h, 4L * h);
      }
    }
  }

  private static double sigmoid(double x) {
    return Elementwise.unaryDouble(UnaryOp.SIGMOID, x);
  }

  private static double tanh(double x) {
    return Elementwise.unaryDouble(UnaryOp.TANH, x);
  }

  private static void forwardF64(long gx, long hh, long cPrev, long acts, long hOut, long cOut, int n, int h) {
    for (int r = 0; r < n; r++) {
      long row = 8L * 4 * h * r;
      for (int j = 0; j < h; j++) {
        long gi = row + 8L * j;
        long gf = gi + 8L * h;
        long gg = gf + 8L * h;
        long go = gg + 8L * h;
        double i = sigmoid(Raw.getDouble(gx + gi) + Raw.getDouble(hh + gi));
        double f = sigmoid(Raw.getDouble(gx + gf) + Raw.getDouble(hh + gf));
        double g = tanh(Raw.getDouble(gx + gg) + Raw.getDouble(hh + gg));
        double o = sigmoid(Raw.getDouble(gx + go) + Raw.getDouble(hh + go));
        long k = 8L * (r * h + j);
        double c = f * Raw.getDouble(cPrev + k) + i * g;
        Raw.putDouble(acts + gi, i);
        Raw.putDouble(acts + gf, f);
        Raw.putDouble(acts + gg, g);
        Raw.putDouble(acts + go, o);
        Raw.putDouble(cOut + k, c);
        Raw.putDouble(hOut + k, o * tanh(c));
      }
    }
  }

  /**
   * One backward step from the saved {@code acts}, {@code cPrev}, {@code c} and the incoming {@code
   * gradH}, {@code gradC}: with {@code dc = gradC + gradH o (1 - tanh(c)^2)}, the gate gradients
   * {@code (dc g i (1 - i), dc cPrev f (1 - f), dc i (1 - g^2), gradH tanh(c) o (1 - o))} and {@code
   * gradCPrev = dc f}. Returns false for operands it does not take.
   */
  static boolean lstmCellBackward(Strided acts, Strided cPrev, Strided c, Strided gradH, Strided gradC,
      Strided gradGates, Strided gradCPrev) {
    if (!usable(acts, cPrev, c, gradH, gradC, gradGates, gradCPrev) || c.rank() != 2) {
      return false;
    }
    int n = c.shape()[0];
    int h = c.shape()[1];
    if (c.dtype() == DType.FLOAT64) {
      backwardF64(addr(acts), addr(cPrev), addr(c), addr(gradH), addr(gradC), addr(gradGates), addr(gradCPrev), n, h);
    } else {
      backwardF32(addr(acts), addr(cPrev), addr(c), addr(gradH), addr(gradC), addr(gradGates), addr(gradCPrev), n, h);
    }
    return true;
  }

  private static void backwardF32(long acts, long cPrev, long cNow, long gradH, long gradC, long gradGates,
      long gradCPrev, int n, int h) {
    int nh = n * h;
    float[] a = buffer(0, 4 * nh); // acts as stored, then the gate gradients as stored
    float[] tc = buffer(1, 4 * nh); // tanh(c), then dh, dc, cPrev
    float[] out = buffer(2, 4 * nh);
    float[] dcPrev = buffer(3, 2 * nh);
    Raw.copyToArray(acts, a, 0, 16L * nh);
    Raw.copyToArray(cNow, tc, 0, 4L * nh);
    apply(UnaryOp.TANH, tc, nh);
    Raw.copyToArray(gradH, tc, 4L * nh, 4L * nh);
    Raw.copyToArray(gradC, tc, 8L * nh, 4L * nh);
    Raw.copyToArray(cPrev, tc, 12L * nh, 4L * nh);
    for (int r = 0; r < n; r++) {
      int row = 4 * h * r;
      int k0 = r * h;
      for (int j = 0; j < h; j++) {
        int k = k0 + j;
        float i = a[row + j];
        float f = a[row + h + j];
        float g = a[row + 2 * h + j];
        float o = a[row + 3 * h + j];
        float t = tc[k];
        float dh = tc[nh + k];
        float dc = tc[2 * nh + k] + dh * o * (1 - t * t);
        out[row + j] = dc * g * (i * (1 - i));
        out[row + h + j] = dc * tc[3 * nh + k] * (f * (1 - f));
        out[row + 2 * h + j] = dc * i * (1 - g * g);
        out[row + 3 * h + j] = dh * t * (o * (1 - o));
        dcPrev[k] = dc * f;
      }
    }
    Raw.copyFromArray(out, 0, gradGates, 16L * nh);
    Raw.copyFromArray(dcPrev, 0, gradCPrev, 4L * nh);
  }

  private static void backwardF64(long acts, long cPrev, long cNow, long gradH, long gradC, long gradGates,
      long gradCPrev, int n, int h) {
    for (int r = 0; r < n; r++) {
      long row = 8L * 4 * h * r;
      for (int j = 0; j < h; j++) {
        long gi = row + 8L * j;
        long gf = gi + 8L * h;
        long gg = gf + 8L * h;
        long go = gg + 8L * h;
        long k = 8L * (r * h + j);
        double i = Raw.getDouble(acts + gi);
        double f = Raw.getDouble(acts + gf);
        double g = Raw.getDouble(acts + gg);
        double o = Raw.getDouble(acts + go);
        double t = tanh(Raw.getDouble(cNow + k));
        double dh = Raw.getDouble(gradH + k);
        double dc = Raw.getDouble(gradC + k) + dh * o * (1 - t * t);
        Raw.putDouble(gradGates + gi, dc * g * (i * (1 - i)));
        Raw.putDouble(gradGates + gf, dc * Raw.getDouble(cPrev + k) * (f * (1 - f)));
        Raw.putDouble(gradGates + gg, dc * i * (1 - g * g));
        Raw.putDouble(gradGates + go, dh * t * (o * (1 - o)));
        Raw.putDouble(gradCPrev + k, dc * f);
      }
    }
  }
}
