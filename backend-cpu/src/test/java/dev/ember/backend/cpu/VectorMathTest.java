package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.spi.UnaryOp;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Vector API kernels against the double-precision scalar path, rounded to float: random values
 * over each function's useful range, values near the branch points, and edge cases (0, -0, the
 * limits of exp, infinities, NaN, denormals, negative logs), which must match the scalar path
 * exactly.
 */
class VectorMathTest {
  /** Relative and absolute error allowed: 20x tighter than the float32 golden tolerance. */
  private static final double RTOL = 5e-6;
  private static final double ATOL = 5e-7;

  @ParameterizedTest
  @EnumSource(value = UnaryOp.class, names = {"EXP", "EXPM1", "LOG", "LOG1P", "TANH", "SIGMOID", "GELU", "GELU_GRAD",
      "GELU_TANH", "GELU_TANH_GRAD"})
  void matchesTheScalarPath(UnaryOp op) {
    assertTrue(VectorSupport.ENABLED, "the tests run with --add-modules=jdk.incubator.vector (surefire argLine)");
    Random random = new Random(1);
    int n = 20_003; // not a multiple of the vector length: the tail is covered
    float[] x = new float[n];
    float range = op == UnaryOp.EXP ? 88 : op == UnaryOp.LOG ? 0 : 12;
    for (int i = 0; i < n; i++) {
      x[i] = op == UnaryOp.LOG ? (float) Math.exp(random.nextDouble() * 160 - 80)
          : (float) ((random.nextDouble() * 2 - 1) * (i % 3 == 0 ? 1 : range));
    }
    float[] edges = {0f, -0f, 0.46875f * 1.41421356f, -0.6249f, 0.625f, 0.6251f, 87f, -87f, 87.5f, -88f, -103f, 89f,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, Float.MIN_NORMAL, -1f,
        1f, 1e-20f, -1e-20f, 1e20f, -1e20f, 3.999f, -9.5f, 9.5f};
    System.arraycopy(edges, 0, x, 100, edges.length);
    float[] got = x.clone();
    VectorMath.apply(op, got, n);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      float want = (float) Elementwise.unaryDouble(op, x[i]);
      if (Float.isNaN(want) || Float.isInfinite(want)) {
        assertEquals(want, got[i], op + "(" + x[i] + ")");
        continue;
      }
      double err = Math.abs(got[i] - want);
      worst = Math.max(worst, err / (ATOL + RTOL * Math.abs(want)));
      assertTrue(err <= ATOL + RTOL * Math.abs(want), op + "(" + x[i] + ") = " + got[i] + ", want " + want);
    }
    System.out.printf("vector %s: worst error %.3f of the tolerance%n", op, worst);
  }

  /** sigmoid below -87 gives the denormal value (about 6.05e-39 at -88), not the clamped exponential's 1.6e-38. */
  @Test
  void sigmoidReachesItsDenormalValues() {
    float[] x = {-88f, -100f, -87.5f, -90f, 1f, 2f, 3f, -104f};
    float[] got = x.clone();
    VectorMath.apply(UnaryOp.SIGMOID, got, x.length);
    for (int i = 0; i < x.length; i++) {
      double e = Math.exp(-Math.abs(x[i]));
      float want = (float) (x[i] >= 0 ? 1 / (1 + e) : e / (1 + e));
      assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]), "sigmoid(" + x[i] + ") = " + got[i]);
    }
  }

  /**
   * log1p and expm1 keep their relative accuracy near 0, where log(1 + x) and e^x - 1 lose it: within 3
   * ulps of {@link Math#log1p} and {@link Math#expm1} for |x| from 1e-30 to 80 (log1p: x > -1), the
   * denormals and -0.0 included.
   */
  @ParameterizedTest
  @EnumSource(value = UnaryOp.class, names = {"LOG1P", "EXPM1"})
  void log1pAndExpm1KeepTheirRelativeAccuracyNearZero(UnaryOp op) {
    Random random = new Random(9);
    int n = 40_000;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      float m = (float) Math.pow(10, -30 + 31.9 * random.nextDouble());
      x[i] = random.nextBoolean() ? m : op == UnaryOp.LOG1P ? -Math.min(m, 0.9999f) : -m;
    }
    float[] edges = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-7f, -1e-7f, 5.96e-8f, -5.96e-8f, 0.5f, -0.5f};
    System.arraycopy(edges, 0, x, 8, edges.length);
    float[] got = x.clone();
    VectorMath.apply(op, got, n);
    for (int i = 0; i < n; i++) {
      double want = op == UnaryOp.LOG1P ? Math.log1p(x[i]) : Math.expm1(x[i]);
      float w = (float) want;
      assertTrue(Math.abs(got[i] - want) <= 3 * Math.ulp(w) || Float.floatToRawIntBits(got[i]) == Float.floatToRawIntBits(w),
          op + "(" + x[i] + ") = " + got[i] + ", want " + w);
      if (x[i] == 0) {
        assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(got[i]), op + " keeps the zero's sign");
      }
    }
  }

  /**
   * exp of -inf lanes (a causal softmax's masked entries) is exactly 0 and leaves the other lanes of
   * its vector on the vector path: each lane's value is the same whatever its neighbours hold.
   */
  @Test
  void negativeInfinityLanesKeepTheirNeighboursOnTheVectorPath() {
    assertTrue(VectorSupport.ENABLED, "the tests run with --add-modules=jdk.incubator.vector (surefire argLine)");
    int n = 64;
    float[] plain = new float[n];
    for (int i = 0; i < n; i++) {
      plain[i] = (i % 17) / 4f - 2f;
    }
    float[] masked = plain.clone();
    for (int i = 0; i < n; i++) {
      if (i % 8 >= 3 + i / 16) {
        masked[i] = Float.NEGATIVE_INFINITY;
      }
    }
    VectorMath.apply(UnaryOp.EXP, plain, n);
    VectorMath.apply(UnaryOp.EXP, masked, n);
    for (int i = 0; i < n; i++) {
      if (i % 8 >= 3 + i / 16) {
        assertEquals(0f, masked[i], "exp(-inf) at " + i);
        assertEquals(0, Float.floatToRawIntBits(masked[i]), "exp(-inf) is +0 at " + i);
      } else {
        assertEquals(plain[i], masked[i], "lane " + i + " changed with its neighbours");
      }
    }
  }

  @Test
  void reluFollowsPyTorchsRuleBitForBit() {
    assertTrue(VectorSupport.ENABLED, "the tests run with --add-modules=jdk.incubator.vector (surefire argLine)");
    float[] special = {Float.NaN, -0f, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.MIN_VALUE,
        -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1.5f, -1.5f, Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7fffffff),
        Float.intBitsToFloat(0xff800001)};
    int n = 1000 + 3; // several vectors and a tail
    float[] a = new float[n];
    java.util.Random r = new java.util.Random(7);
    for (int i = 0; i < n; i++) {
      a[i] = i < special.length * 4 ? special[i % special.length] : (float) r.nextGaussian();
    }
    float[] y = a.clone();
    VectorMath.apply(UnaryOp.RELU, y, n);
    for (int i = 0; i < n; i++) {
      // PyTorch's x < 0 ? +0.0 : x (-0.0 and NaN stay), and the scalar loops' bits (FastLoops.reluBits)
      float want = a[i] < 0 ? 0f : a[i];
      assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(y[i]), "relu(" + a[i] + ") at " + i);
      assertEquals(Float.floatToRawIntBits(want), FastLoops.reluBits(Float.floatToRawIntBits(a[i])),
          "reluBits(" + a[i] + ")");
      double d = a[i];
      assertEquals(Double.doubleToRawLongBits(d < 0 ? 0.0 : d), FastLoops.reluBits(Double.doubleToRawLongBits(d)),
          "reluBits(" + d + "d)");
    }
  }

  /**
   * {@link VectorMath#unaryF32} over off-heap memory: while an op is cold it computes most of each block
   * with the scalar twin (its priming form), then all of it on the vector code; both give the same bits,
   * within the tolerance of the double-precision path.
   */
  @org.junit.jupiter.api.Test
  void unaryF32PrimesThenRunsAllVector() {
    UnaryOp op = UnaryOp.GELU_TANH_GRAD;
    int n = 3 * 2048 + 5;
    CpuStorage in = new CpuStorage(dev.ember.DType.FLOAT32, n);
    CpuStorage out = new CpuStorage(dev.ember.DType.FLOAT32, n);
    Random random = new Random(3);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (random.nextDouble() * 16 - 8);
      Raw.putFloat(in.at(0) + 4L * i, x[i]);
    }
    VectorGate gate = VectorMath.gate(op);
    gate.close();
    float[] cold = new float[n];
    for (int call = 0; call < 3; call++) {
      assertTrue(!gate.open() || call > 0, "a closed gate stays closed until its probes run fast");
      VectorMath.unaryF32(op, in.at(0), out.at(0), n);
      for (int i = 0; i < n; i += 97) {
        float want = (float) Elementwise.unaryDouble(op, x[i]);
        float got = Raw.getFloat(out.at(0) + 4L * i);
        assertTrue(Math.abs(got - want) <= ATOL + RTOL * Math.abs(want), op + "(" + x[i] + ") = " + got + ", want " + want);
      }
    }
    Raw.copyToArray(out.at(0), cold, 0, 4L * n);
    gate.openNow();
    VectorMath.unaryF32(op, in.at(0), out.at(0), n);
    for (int i = 0; i < n; i++) {
      float want = (float) Elementwise.unaryDouble(op, x[i]);
      float got = Raw.getFloat(out.at(0) + 4L * i);
      assertEquals(Float.floatToIntBits(got), Float.floatToIntBits(cold[i]), op + "(" + x[i] + ") open and cold");
      assertTrue(Math.abs(got - want) <= ATOL + RTOL * Math.abs(want), op + "(" + x[i] + ") = " + got + ", want " + want);
    }
    in.close();
    out.close();
  }

  /**
   * {@link VectorMath#adamF32} gives the scalar Adam update bit for bit in its priming form (a few
   * lanes on the vector loop) and once it runs all vector.
   */
  @org.junit.jupiter.api.Test
  void adamF32MatchesTheScalarUpdateBeforeAndAfterPriming() {
    int n = 2 * 2048 + 13;
    Random random = new Random(5);
    float[] p0 = new float[n];
    float[] g = new float[n];
    float[] m0 = new float[n];
    float[] v0 = new float[n];
    for (int i = 0; i < n; i++) {
      p0[i] = (float) random.nextGaussian();
      g[i] = (float) random.nextGaussian();
      m0[i] = (float) random.nextGaussian() * 0.1f;
      v0[i] = (float) random.nextDouble() * 0.01f;
    }
    float w = 0.1f, b2 = 0.999f, ob2 = 0.001f, bc2 = 0.3f, eps = 1e-8f, scale = 0.99f, negStep = -1e-3f;
    float[] pw = new float[n];
    float[] mw = new float[n];
    float[] vw = new float[n];
    for (int i = 0; i < n; i++) {
      float mi = m0[i] + w * (g[i] - m0[i]);
      float vi = b2 * v0[i] + ob2 * (g[i] * g[i]);
      mw[i] = mi;
      vw[i] = vi;
      pw[i] = scale * p0[i] + negStep * (mi / ((float) Math.sqrt(vi) / bc2 + eps));
    }
    CpuStorage[] s = new CpuStorage[4];
    for (int k = 0; k < 4; k++) {
      s[k] = new CpuStorage(dev.ember.DType.FLOAT32, n);
    }
    for (int round = 0; round < 2; round++) {
      if (round == 0) {
        VectorMath.adamGate().close();
      } else {
        VectorMath.adamGate().openNow();
      }
      for (int i = 0; i < n; i++) {
        Raw.putFloat(s[0].at(i), p0[i]);
        Raw.putFloat(s[1].at(i), g[i]);
        Raw.putFloat(s[2].at(i), m0[i]);
        Raw.putFloat(s[3].at(i), v0[i]);
      }
      VectorMath.adamF32(s[0].at(0), s[1].at(0), s[2].at(0), s[3].at(0), n, w, b2, ob2, bc2, eps, scale, negStep);
      for (int i = 0; i < n; i++) {
        String at = "round " + round + " at " + i;
        assertEquals(Float.floatToRawIntBits(pw[i]), Float.floatToRawIntBits(Raw.getFloat(s[0].at(i))), "param " + at);
        assertEquals(Float.floatToRawIntBits(mw[i]), Float.floatToRawIntBits(Raw.getFloat(s[2].at(i))), "m " + at);
        assertEquals(Float.floatToRawIntBits(vw[i]), Float.floatToRawIntBits(Raw.getFloat(s[3].at(i))), "v " + at);
      }
    }
    for (CpuStorage t : s) {
      t.close();
    }
  }

  /**
   * A {@link VectorGate} opens after {@link VectorGate#FAST_IN_A_ROW} timed blocks in a row at compiled
   * speed (one slow block, e.g. the thread descheduled, starts the count over) and closes again after
   * {@link VectorGate#SLOW_IN_A_ROW} slow ones (the kernel back on C1 code after a deoptimization).
   */
  @org.junit.jupiter.api.Test
  void vectorGateOpensAfterFastBlocksAndClosesAfterSlowOnes() {
    VectorGate gate = new VectorGate("test");
    gate.close();
    assertEquals(VectorGate.PROBE_FLOATS, gate.vectorFloats(2048));
    for (int i = 0; i < VectorGate.FAST_IN_A_ROW - 1; i++) {
      gate.record(40, 32);
    }
    gate.record(5_000, 32);   // interpreted speed: start over
    for (int i = 0; i < VectorGate.FAST_IN_A_ROW - 1; i++) {
      gate.record(40, 32);
    }
    assertTrue(!gate.open(), "one fast block short");
    gate.record(40, 32);
    assertTrue(gate.open());
    assertEquals(2048, gate.vectorFloats(2048));
    gate.record(200_000, 2048);
    gate.record(900, 2048);   // compiled speed for 2,048 floats: the slow run starts over
    gate.record(200_000, 2048);
    assertTrue(gate.open(), "one slow block does not close it");
    gate.record(200_000, 2048);
    assertTrue(!gate.open(), "two slow blocks in a row close it");
    assertEquals(VectorGate.PROBE_FLOATS, gate.vectorFloats(2048));
    assertEquals(5, gate.vectorFloats(5));
  }

  /**
   * {@link VectorMath#unaryBackwardF32} gives the scalar activation gradients bit for bit, cold (a few
   * lanes on the vector loop, the rest on its scalar tail) and open.
   */
  @org.junit.jupiter.api.Test
  void activationGradsMatchTheScalarFormulaColdAndOpen() {
    int n = 2 * 2048 + 21;
    Random random = new Random(11);
    CpuStorage y = new CpuStorage(dev.ember.DType.FLOAT32, n);
    CpuStorage g = new CpuStorage(dev.ember.DType.FLOAT32, n);
    CpuStorage o = new CpuStorage(dev.ember.DType.FLOAT32, n);
    float[] yv = new float[n];
    float[] gv = new float[n];
    for (int i = 0; i < n; i++) {
      yv[i] = (float) (random.nextDouble() * 2 - 0.5);
      gv[i] = (float) random.nextGaussian();
      Raw.putFloat(y.at(i), yv[i]);
      Raw.putFloat(g.at(i), gv[i]);
    }
    for (dev.ember.spi.UnaryBackwardOp op : dev.ember.spi.UnaryBackwardOp.values()) {
      for (boolean open : new boolean[] {false, true}) {
        VectorGate gate = VectorMath.backwardGate(op);
        if (open) {
          gate.openNow();
        } else {
          gate.close();
        }
        VectorMath.unaryBackwardF32(op, y.at(0), g.at(0), false, o.at(0), n);
        for (int i = 0; i < n; i++) {
          float want = switch (op) {
            case RELU -> yv[i] > 0 ? gv[i] : 0f;
            case SIGMOID -> gv[i] * (yv[i] * (1f - yv[i]));
            case TANH -> gv[i] * (1f - yv[i] * yv[i]);
          };
          assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(Raw.getFloat(o.at(i))),
              op + (open ? " open" : " cold") + " at " + i);
        }
      }
    }
    y.close();
    g.close();
    o.close();
  }

  /**
   * Log-softmax's row sum without the -inf select: rows with -inf entries, entries far below the
   * maximum (-90 to -300 from it) and a NaN give the same floats as the loop that adds exactly 0 for
   * -inf lanes (the earlier kernel, rewritten here in its lane order).
   */
  @Test
  void logSoftmaxRowSumEqualsTheSelectingLoop() {
    jdk.incubator.vector.VectorSpecies<Float> s = VectorShape.FLOATS;
    Random random = new Random(3);
    for (int c : new int[] {8, 9, 26, 65, 130}) {
      for (int row = 0; row < 200; row++) {
        float[] a = new float[c + 3];
        for (int j = 0; j < c; j++) {
          int kind = random.nextInt(6);
          a[3 + j] = kind == 0 ? Float.NEGATIVE_INFINITY : kind == 1 ? (float) (-90 - 210 * random.nextDouble())
              : (float) (random.nextGaussian() * 4);
        }
        if (row == 7) {
          a[3 + c / 2] = Float.NaN;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) {
          max = Float.isNaN(a[3 + j]) ? Float.NaN : Math.max(max, a[3 + j]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
          continue;
        }
        int full = c - c % s.length();
        float expected = 0;
        if (full > 0) {
          jdk.incubator.vector.FloatVector acc = jdk.incubator.vector.FloatVector.zero(s);
          for (int i = 0; i < full; i += s.length()) {
            jdk.incubator.vector.FloatVector x = jdk.incubator.vector.FloatVector.fromArray(s, a, 3 + i).sub(max);
            acc = acc.add(VectorMath.expCore(x.max(-87f).min(87f))
                .blend(0f, x.compare(jdk.incubator.vector.VectorOperators.EQ, Float.NEGATIVE_INFINITY)));
          }
          expected = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        }
        for (int i = full; i < c; i++) {
          float x = a[3 + i] - max;
          expected += x == Float.NEGATIVE_INFINITY ? 0f : ScalarTwins.expCore(Math.max(x, -87f));
        }
        float[] got = a.clone();
        VectorMath.softmaxRows(got, 3, 1, c, new float[2], new float[c + VectorMath.LANES], true);
        float log = (float) Math.log(expected);
        for (int j = 0; j < c; j++) {
          float want = (a[3 + j] - max) - log;
          assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[3 + j]),
              "row " + row + " of " + c + " at " + j + ": sum " + expected);
        }
      }
    }
  }
}
