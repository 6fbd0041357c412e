package dev.ember.backend.cpu;

import dev.ember.spi.UnaryOp;

/**
 * {@link VectorMath}'s float32 formulas one float at a time, with the vector code's operations in its
 * order ({@link Math#fma} where a lane fuses), so they give its bits exactly. A cold kernel ({@link
 * VectorGate}) runs most of each block here while its vector code is not yet compiled: the result of a
 * call never depends on how warm the JIT is (an activation's output is the same in the first training
 * step and the thousandth, and a fused backward equals its composition bit for bit whenever it runs).
 *
 * <p>A vector with a lane outside a formula's range goes to the double-precision formula ({@link
 * Elementwise#unaryDouble}) as a whole, as in {@link VectorMath}: the vectors are the 8-float runs from
 * the start of the block, and the floats past the last one take the double formula too.
 */
final class ScalarTwins {
  private static final int LANES = VectorShape.FLOATS.length();

  static final float LOG2E = 1.44269504088896341f;
  static final float LN2_HI = 0.693359375f;
  static final float LN2_LO = -2.12194440e-4f;
  static final float ROUND_MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
  static final int MAGIC_BITS = 0x4B400000;
  static final float EXP_LIMIT = 87f;
  /** e^r's polynomial on [-ln2/2, ln2/2], highest degree first (the degree-1 and -0 terms are 1). */
  static final float EXP_C7 = 1.9875691500e-4f;
  static final float EXP_C6 = 1.3981999507e-3f;
  static final float EXP_C5 = 8.3334519073e-3f;
  static final float EXP_C4 = 4.1665795894e-2f;
  static final float EXP_C3 = 1.6666665459e-1f;
  static final float EXP_C2 = 5.0000001201e-1f;
  static final float GELU_K0 = (float) Math.sqrt(2 / Math.PI);
  static final float GELU_K1 = 0.044715f;
  static final float SQRT_HALF = (float) Math.sqrt(0.5);
  static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

  private ScalarTwins() {}

  /**
   * Applies {@code op} in place to {@code a[from, len)} with {@link VectorMath#apply}'s bits; {@code
   * from} is a multiple of the vector length (or {@code len}).
   */
  static void apply(UnaryOp op, float[] a, int from, int len) {
    int full = len - len % LANES;
    for (int i = from; i < full; i += LANES) {
      if (inRange(op, a, i)) {
        for (int l = i; l < i + LANES; l++) {
          a[l] = formula(op, a[l]);
        }
      } else {
        for (int l = i; l < i + LANES; l++) {
          a[l] = (float) Elementwise.unaryDouble(op, a[l]);
        }
      }
    }
    for (int i = Math.max(from, full); i < len; i++) {
      a[i] = (float) Elementwise.unaryDouble(op, a[i]);
    }
  }

  /** Whether the vector at {@code a[i, i + LANES)} stays on {@code op}'s float formula. */
  private static boolean inRange(UnaryOp op, float[] a, int i) {
    for (int l = i; l < i + LANES; l++) {
      float x = a[l];
      boolean ok = switch (op) {
        case RELU -> true;
        // exp: -inf lanes give 0 on the formula; beyond +-87 or NaN the vector leaves it.
        case EXP -> x == Float.NEGATIVE_INFINITY || Math.abs(x) <= EXP_LIMIT;
        case LOG -> x >= Float.MIN_NORMAL && x <= Float.MAX_VALUE;
        case LOG1P -> x > -1f && x <= Float.MAX_VALUE;
        case EXPM1 -> Math.abs(x) <= EXP_LIMIT;
        case SIGMOID -> x >= -EXP_LIMIT && x <= Float.MAX_VALUE;
        default -> Math.abs(x) <= Float.MAX_VALUE;
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static float formula(UnaryOp op, float x) {
    return switch (op) {
      case RELU -> x < 0f ? 0f : x;
      case EXP -> x == Float.NEGATIVE_INFINITY ? 0f : expCore(Math.max(x, -EXP_LIMIT));
      case LOG -> log(x);
      case LOG1P -> log1p(x);
      case EXPM1 -> expm1(x);
      case TANH -> tanh(x);
      case SIGMOID -> sigmoid(x);
      case GELU_TANH -> x * sigmoid((Math.fma(x * x, GELU_K1, 1f) * x) * (2 * GELU_K0));
      case GELU_TANH_GRAD -> geluTanhGrad(x);
      case GELU -> x * normalCdf(x);
      case GELU_GRAD -> Math.fma(x, expClamped((x * x) * -0.5f) * INV_SQRT_2PI, normalCdf(x));
      default -> throw new AssertionError(op);
    };
  }

  /*
   * Row functions: VectorMath's softmax and log-softmax rows and the row helpers of the softmax and
   * layer-norm backward, over a row of n floats at off, with their bits. The vector part (the first full = n - n %
   * LANES floats) runs one lane at a time (lane j takes the elements j, j + LANES, ...), the lanes' sums
   * added in order from lane 0 as reduceLanes adds them; the rest runs the helpers' own scalar tails. A
   * cold row kernel runs its rows here ({@link VectorGate}).
   */

  /**
   * One row of {@link VectorMath#softmaxRows}: a softmax (or, if {@code log}, log-softmax) row of {@code
   * n} at {@code off}, in place.
   */
  static void softmaxRow(float[] a, int off, int n, boolean log) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, a[off + i]);
    }
    float sum = 0;
    if (max == Float.NEGATIVE_INFINITY) {
      max = 0;
    } else {
      int full = n - n % LANES;
      for (int lane = 0; lane < LANES; lane++) {
        float acc = 0;
        for (int i = lane; i < full; i += LANES) {
          acc += shiftedExp(a[off + i] - max);
        }
        sum += acc;
      }
      for (int i = full; i < n; i++) {
        sum += shiftedExp(a[off + i] - max);
      }
    }
    if (log) {
      float ls = (float) Math.log(sum);
      for (int i = 0; i < n; i++) {
        a[off + i] = (a[off + i] - max) - ls;
      }
    } else {
      float inv = 1f / sum;
      for (int i = 0; i < n; i++) {
        a[off + i] = shiftedExp(a[off + i] - max) * inv;
      }
    }
  }

  /** A softmax row's {@code e^d} for {@code d = x - max}: 0 below -87 (-inf included), NaN for NaN. */
  private static float shiftedExp(float d) {
    return d < -EXP_LIMIT ? 0f : expCore(Math.max(d, -EXP_LIMIT));
  }

  /** {@link VectorMath#dot}: the float sum of {@code a[off + i] * b[off + i]} (fused in the vector part). */
  static float dot(float[] a, float[] b, int off, int n) {
    int full = n - n % LANES;
    float s = 0;
    for (int lane = 0; lane < LANES; lane++) {
      float acc = 0;
      for (int i = lane; i < full; i += LANES) {
        acc = Math.fma(a[off + i], b[off + i], acc);
      }
      s += acc;
    }
    return dotTail(a, b, off, full, n, s);
  }

  /** Adds {@code a[off + i] * b[off + i]} for {@code full <= i < n} to {@code s} (both forms' tail, unfused). */
  static float dotTail(float[] a, float[] b, int off, int full, int n, float s) {
    for (int i = full; i < n; i++) {
      s += a[off + i] * b[off + i];
    }
    return s;
  }

  /** {@link VectorMath#softmaxGrad} (and its tail): {@code g[off + i] = y[off + i] * (g[off + i] - dot)}. */
  static void softmaxGrad(float[] g, float[] y, int off, int n, float dot) {
    for (int i = 0; i < n; i++) {
      g[off + i] = y[off + i] * (g[off + i] - dot);
    }
  }

  /** {@link VectorMath#layerNormGradSums}, with its side effects on x, gw and gb. */
  static void layerNormGradSums(float[] x, float[] g, int off, int n, float mean, float rstd, float[] w,
      float[] gw, float[] gb, float[] sums) {
    int full = n - n % LANES;
    float sumGy = 0;
    float sumGyXhat = 0;
    for (int lane = 0; lane < LANES; lane++) {
      float accGy = 0;
      float accGyXhat = 0;
      for (int i = lane; i < full; i += LANES) {
        float xhat = (x[off + i] - mean) * rstd;
        x[off + i] = xhat;
        float gi = g[off + i];
        float gy = w == null ? gi : gi * w[i];
        accGy += gy;
        accGyXhat = Math.fma(gy, xhat, accGyXhat);
        if (gw != null) {
          gw[i] = Math.fma(gi, xhat, gw[i]);
        }
        if (gb != null) {
          gb[i] = gi + gb[i];
        }
      }
      sumGy += accGy;
      sumGyXhat += accGyXhat;
    }
    layerNormGradSumsTail(x, g, off, full, n, mean, rstd, w, gw, gb, sumGy, sumGyXhat, sums);
  }

  /**
   * The scalar tail of both forms of {@link VectorMath#layerNormGradSums} over {@code full <= i < n}
   * (unfused), from the vector part's sums; stores the row's two sums into {@code sums[0, 2)}.
   */
  static void layerNormGradSumsTail(float[] x, float[] g, int off, int full, int n, float mean, float rstd,
      float[] w, float[] gw, float[] gb, float sumGy, float sumGyXhat, float[] sums) {
    for (int i = full; i < n; i++) {
      float xhat = (x[off + i] - mean) * rstd;
      x[off + i] = xhat;
      float gi = g[off + i];
      float gy = w == null ? gi : gi * w[i];
      sumGy += gy;
      sumGyXhat += gy * xhat;
      if (gw != null) {
        gw[i] += gi * xhat;
      }
      if (gb != null) {
        gb[i] += gi;
      }
    }
    sums[0] = sumGy;
    sums[1] = sumGyXhat;
  }

  /**
   * {@link VectorMath#layerNormGradX} over the row's elements {@code from <= i < n} (0 for the whole row,
   * the vector part's end for its tail): {@code g = rstd (g w[i] - a - xhat b)}.
   */
  static void layerNormGradX(float[] g, float[] xhat, int off, int from, int n, float rstd, float[] w, float a,
      float b) {
    for (int i = from; i < n; i++) {
      float gy = w == null ? g[off + i] : g[off + i] * w[i];
      g[off + i] = rstd * (gy - a - xhat[off + i] * b);
    }
  }

  /** {@link VectorMath#expCore}: e^x for x in [-87, 87]. */
  static float expCore(float x) {
    float t = Math.fma(x, LOG2E, ROUND_MAGIC);
    float n = t - ROUND_MAGIC;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(r, EXP_C7, EXP_C6);
    p = Math.fma(p, r, EXP_C5);
    p = Math.fma(p, r, EXP_C4);
    p = Math.fma(p, r, EXP_C3);
    p = Math.fma(p, r, EXP_C2);
    float e = p * (r * r) + r + 1f;
    float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - (MAGIC_BITS - 127)) << 23);
    return e * scale;
  }

  private static float expClamped(float x) {
    return expCore(Math.min(Math.max(x, -EXP_LIMIT), EXP_LIMIT));
  }

  /** ln x for a positive normal finite x. */
  private static float log(float x) {
    int bits = Float.floatToRawIntBits(x);
    int e = (bits >>> 23) - 126;
    float m = Float.intBitsToFloat(bits & 0x007FFFFF | 0x3F000000); // [0.5, 1)
    boolean low = m < 0.707106781186547524f;
    float ef = (float) e - (low ? 1f : 0f);
    float f = (m - 1f) + (low ? m : 0f); // m - 1, or 2m - 1
    float z = f * f;
    float p = Math.fma(f, 7.0376836292e-2f, -1.1514610310e-1f);
    p = Math.fma(p, f, 1.1676998740e-1f);
    p = Math.fma(p, f, -1.2420140846e-1f);
    p = Math.fma(p, f, 1.4249322787e-1f);
    p = Math.fma(p, f, -1.6668057665e-1f);
    p = Math.fma(p, f, 2.0000714765e-1f);
    p = Math.fma(p, f, -2.4999993993e-1f);
    p = Math.fma(p, f, 3.3333331174e-1f);
    float r = (p * f) * z;
    r = Math.fma(ef, LN2_LO, r);
    r = Math.fma(z, -0.5f, r);
    return (f + r) + ef * LN2_HI;
  }

  /** {@link VectorMath}'s log1p: {@code u == 1 ? x : log(u) (x / (u - 1))} with {@code u = 1 + x}. */
  private static float log1p(float x) {
    float u = x + 1f;
    return u == 1f ? x : log(u) * (x / (u - 1f));
  }

  /** {@link VectorMath}'s expm1: {@code u == 1 ? x : u - 1 == -1 ? -1 : (u - 1) (x / log(u))}, u = e^x. */
  private static float expm1(float x) {
    float u = expCore(x);
    float um1 = u - 1f;
    return u == 1f ? x : um1 == -1f ? -1f : um1 * (x / log(u));
  }

  private static float tanh(float x) {
    float a = Math.abs(x);
    float e = expCore(Math.min(a + a, 20f)); // VectorMath.tanh: exactly ±1 from |x| = 9.01
    float big = 1f - 2f / (e + 1f);
    if (x < 0f) {
      big = -big;
    }
    float z = x * x;
    float p = Math.fma(z, -5.70498872745e-3f, 2.06390887954e-2f);
    p = Math.fma(p, z, -5.37397155531e-2f);
    p = Math.fma(p, z, 1.33314422036e-1f);
    p = Math.fma(p, z, -3.33332819422e-1f);
    float small = Math.fma(p * z, x, x);
    return a < 0.625f ? small : big;
  }

  private static float sigmoid(float x) {
    return 1f / (expClamped(-x) + 1f);
  }

  /** {@code s + 2 x s (1 - s) k0 (1 + 3 k1 x^2)} for {@code s = sigmoid(2u)}, x clamped to +-10 in the second term. */
  private static float geluTanhGrad(float x) {
    float s = sigmoid((Math.fma(x * x, GELU_K1, 1f) * x) * (2 * GELU_K0));
    float xc = Math.min(Math.max(x, -10f), 10f);
    float inner = Math.fma(xc * xc, 3 * GELU_K1, 1f) * (2 * GELU_K0);
    return s + ((xc * s) * (1f - s)) * inner;
  }

  /** Phi(x) as {@link VectorMath}'s three passes compute it (Cody's erf below z = 0.46875, erfc above). */
  private static float normalCdf(float x) {
    float z = Math.abs(x) * SQRT_HALF;
    float tail;
    if (z <= 0.46875f) {
      tail = lowerTail(z);
    } else {
      float y = Math.min(z, 9f);
      tail = (upperTail(z) * expCore(Math.max(-(y * y), -EXP_LIMIT))) * 0.5f;
    }
    return x < 0f ? tail : 1f - tail;
  }

  private static float lowerTail(float z) {
    float zz = z * z;
    float num = zz * 1.85777706184603153e-1f;
    float den = zz;
    num = (num + 3.16112374387056560e00f) * zz;
    den = (den + 2.36012909523441209e01f) * zz;
    num = (num + 1.13864154151050156e02f) * zz;
    den = (den + 2.44024637934444173e02f) * zz;
    num = (num + 3.77485237685302021e02f) * zz;
    den = (den + 1.28261652607737228e03f) * zz;
    float erfSmall = (z * (num + 3.20937758913846947e03f)) / (den + 2.84423683343917062e03f);
    return 0.5f - erfSmall * 0.5f;
  }

  private static float upperTail(float z) {
    float y = Math.min(z, 9f);
    float c = y * 2.15311535474403846e-8f;
    float d = y;
    c = (c + 5.64188496988670089e-1f) * y;
    d = (d + 1.57449261107098347e01f) * y;
    c = (c + 8.88314979438837594e00f) * y;
    d = (d + 1.17693950891312499e02f) * y;
    c = (c + 6.61191906371416295e01f) * y;
    d = (d + 5.37181101862009858e02f) * y;
    c = (c + 2.98635138197400131e02f) * y;
    d = (d + 1.62138957456669019e03f) * y;
    c = (c + 8.81952221241769090e02f) * y;
    d = (d + 3.29079923573345963e03f) * y;
    c = (c + 1.71204761263407058e03f) * y;
    d = (d + 4.36261909014324716e03f) * y;
    c = (c + 2.05107837782607147e03f) * y;
    d = (d + 3.43936767414372164e03f) * y;
    return (c + 1.23033935479799725e03f) / (d + 1.23033935480374942e03f);
  }
}
