package dev.ember.backend.cpu;

import static dev.ember.backend.cpu.ScalarTwins.EXP_LIMIT;
import static dev.ember.backend.cpu.ScalarTwins.GELU_K0;
import static dev.ember.backend.cpu.ScalarTwins.GELU_K1;
import static dev.ember.backend.cpu.ScalarTwins.INV_SQRT_2PI;
import static dev.ember.backend.cpu.ScalarTwins.LN2_HI;
import static dev.ember.backend.cpu.ScalarTwins.LN2_LO;
import static dev.ember.backend.cpu.ScalarTwins.LOG2E;
import static dev.ember.backend.cpu.ScalarTwins.MAGIC_BITS;
import static dev.ember.backend.cpu.ScalarTwins.ROUND_MAGIC;
import static dev.ember.backend.cpu.ScalarTwins.SQRT_HALF;

import dev.ember.spi.UnaryBackwardOp;
import dev.ember.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 transcendental functions on the Vector API ({@code jdk.incubator.vector}): exp, log, tanh,
 * sigmoid, GELU (tanh and erf forms) and their GELU derivatives over unit-stride runs, a machine
 * vector at a time (8 lanes with AVX2). Loaded only through {@link VectorSupport}, so a JVM without
 * the module never touches this class.
 *
 * <p>Accuracy (checked against the double-precision scalar paths in {@code VectorMathTest}): a few
 * float ulps, within the golden tolerance of 1e-4 relative + 1e-5 absolute. Inputs outside the
 * range where the polynomials hold (exp beyond +-87, log of non-positive, denormal, infinite or NaN
 * values) take the scalar path for that vector, so edge cases match it exactly. The polynomial
 * coefficients are the classic minimax fits of the Cephes library (S. L. Moshier) for single
 * precision, and W. J. Cody's rational approximations for erf and erfc (as in {@link Erf}).
 *
 * <p>Off-heap data is moved through a per-thread float[] block with {@code Unsafe.copyMemory}
 * (cheap beside the math): Java 17's Vector API loads only from arrays and byte buffers.
 */
final class VectorMath {
  private static final VectorSpecies<Float> S = VectorShape.FLOATS;
  static final int LANES = S.length();
  private static final int BLOCK = 2048;
  private static final ThreadLocal<float[]> BUFFER = ThreadLocal.withInitial(() -> new float[BLOCK]);
  private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[BLOCK]);

  /*
   * Polynomial coefficients as vectors made once: a broadcast inside the kernels is a call chain that
   * C2 stops inlining in the big tanh body (NodeCountInliningCutoff), and every call it leaves out
   * returns a boxed vector: tanh on 73,728 floats measured 290 us of thread CPU per call that way,
   * 123 us with these constants (exp, sigmoid and GELU unchanged or 2-5% faster).
   */
  private static final FloatVector LOG_C2 = FloatVector.broadcast(S, 1.1676998740e-1f);
  private static final FloatVector LOG_C3 = FloatVector.broadcast(S, -1.2420140846e-1f);
  private static final FloatVector LOG_C4 = FloatVector.broadcast(S, 1.4249322787e-1f);
  private static final FloatVector LOG_C5 = FloatVector.broadcast(S, -1.6668057665e-1f);
  private static final FloatVector LOG_C6 = FloatVector.broadcast(S, 2.0000714765e-1f);
  private static final FloatVector LOG_C7 = FloatVector.broadcast(S, -2.4999993993e-1f);
  private static final FloatVector LOG_C8 = FloatVector.broadcast(S, 3.3333331174e-1f);
  private static final FloatVector LN2_LO_V = FloatVector.broadcast(S, LN2_LO);
  private static final FloatVector MINUS_HALF = FloatVector.broadcast(S, -0.5f);
  private static final FloatVector TANH_C2 = FloatVector.broadcast(S, -5.37397155531e-2f);
  private static final FloatVector TANH_C1 = FloatVector.broadcast(S, 1.33314422036e-1f);
  private static final FloatVector TANH_C0 = FloatVector.broadcast(S, -3.33332819422e-1f);
  private static final FloatVector LOG2E_V = FloatVector.broadcast(S, LOG2E);
  private static final FloatVector ROUND_MAGIC_V = FloatVector.broadcast(S, ROUND_MAGIC);
  private static final FloatVector NEG_LN2_HI_V = FloatVector.broadcast(S, -LN2_HI);
  private static final FloatVector NEG_LN2_LO_V = FloatVector.broadcast(S, -LN2_LO);
  private static final FloatVector EXP_C7_V = FloatVector.broadcast(S, ScalarTwins.EXP_C7);
  private static final FloatVector EXP_C6_V = FloatVector.broadcast(S, ScalarTwins.EXP_C6);
  private static final FloatVector EXP_C5_V = FloatVector.broadcast(S, ScalarTwins.EXP_C5);
  private static final FloatVector EXP_C4_V = FloatVector.broadcast(S, ScalarTwins.EXP_C4);
  private static final FloatVector EXP_C3_V = FloatVector.broadcast(S, ScalarTwins.EXP_C3);
  private static final FloatVector EXP_C2_V = FloatVector.broadcast(S, ScalarTwins.EXP_C2);
  private static final FloatVector ONE_V = FloatVector.broadcast(S, 1f);

  private VectorMath() {}

  private static FloatVector bc(float v) {
    return FloatVector.broadcast(S, v);
  }

  /** Returns whether {@link #unaryF32} computes {@code op}. */
  static boolean supports(UnaryOp op) {
    return switch (op) {
      case RELU, EXP, EXPM1, LOG, LOG1P, TANH, SIGMOID, GELU, GELU_GRAD, GELU_TANH, GELU_TANH_GRAD -> true;
      default -> false;
    };
  }

  /** Per {@link UnaryOp}, whether {@link #unaryF32}'s vector code runs compiled ({@link VectorGate}). */
  private static final VectorGate[] UNARY_GATES = gates(UnaryOp.values());

  /** Per {@link UnaryBackwardOp}, the same for {@link #unaryBackwardF32}. */
  private static final VectorGate[] BACKWARD_GATES = gates(UnaryBackwardOp.values());

  /** The same for {@link #adamF32}. */
  private static final VectorGate ADAM_GATE = new VectorGate("adam");

  private static VectorGate[] gates(Enum<?>[] ops) {
    VectorGate[] g = new VectorGate[ops.length];
    for (int i = 0; i < ops.length; i++) {
      g[i] = new VectorGate(ops[i].getDeclaringClass().getSimpleName() + "." + ops[i].name());
    }
    return g;
  }

  /** Returns the gate of {@code op}'s forward kernel (tests). */
  static VectorGate gate(UnaryOp op) {
    return UNARY_GATES[op.ordinal()];
  }

  /** Returns the gate of {@code op}'s gradient kernel (tests). */
  static VectorGate backwardGate(UnaryBackwardOp op) {
    return BACKWARD_GATES[op.ordinal()];
  }

  /** Returns the gate of the fused Adam kernel (tests). */
  static VectorGate adamGate() {
    return ADAM_GATE;
  }

  /**
   * Computes {@code y[i] = op(x[i])} for {@code n} contiguous floats at addresses x and y.
   *
   * <p>While an op is cold ({@link VectorGate}: until its vector code runs compiled) each block runs its
   * first {@link VectorGate#PROBE_FLOATS} floats on the vector code and the rest on its scalar twin
   * ({@link ScalarTwins}: the same operations one float at a time, the same bits), instead of all of it on
   * vector code that is still interpreted or in C1 (where every vector operation allocates; GELU-tanh on
   * the first 131,072 floats measured 1.29 s that way, at load). A call's result never depends on the gate.
   */
  static void unaryF32(UnaryOp op, long x, long y, int n) {
    float[] buf = BUFFER.get();
    for (int start = 0; start < n; start += BLOCK) {
      int len = Math.min(BLOCK, n - start);
      Raw.copyToArray(x + 4L * start, buf, 0, 4L * len);
      applyGated(op, buf, len);
      Raw.copyFromArray(buf, 0, y + 4L * start, 4L * len);
    }
  }

  /**
   * {@link #apply} through {@code op}'s gate: cold, the vector code on the first {@link
   * VectorGate#PROBE_FLOATS} floats and its scalar twin on the rest (the same bits).
   */
  static void applyGated(UnaryOp op, float[] a, int len) {
    applyGated(UNARY_GATES[op.ordinal()], op, a, len);
  }

  /** {@link #applyGated(UnaryOp, float[], int)} through a caller's own {@code gate} (another call site). */
  static void applyGated(VectorGate gate, UnaryOp op, float[] a, int len) {
    int k = gate.vectorFloats(len);
    long t = gate.begin();
    apply(op, a, k);
    gate.end(t, k);
    ScalarTwins.apply(op, a, k, len);   // a cold op's rest of the block, with the vector code's bits
  }

  private static final ThreadLocal<float[]> GRAD = ThreadLocal.withInitial(() -> new float[BLOCK]);

  /**
   * Computes an activation's gradient {@code o[i] = op'(y[i], g)} ({@link UnaryBackwardOp}) for {@code n}
   * contiguous floats at y and o; the gradient is contiguous at g, or with {@code scalarG} one value at
   * g for every element. Every lane rounds each step as the scalar formula does (no fused multiply-add)
   * and ReLU's mask copies g's bits, so the results equal the composition's bit for bit.
   */
  static void unaryBackwardF32(UnaryBackwardOp op, long y, long g, boolean scalarG, long o, int n) {
    float[] yb = BUFFER.get();
    float[] gb = GRAD.get();
    float gv = scalarG ? Raw.getFloat(g) : 0f;
    for (int start = 0; start < n; start += BLOCK) {
      int len = Math.min(BLOCK, n - start);
      Raw.copyToArray(y + 4L * start, yb, 0, 4L * len);
      if (scalarG) {
        java.util.Arrays.fill(gb, 0, len, gv);
      } else {
        Raw.copyToArray(g + 4L * start, gb, 0, 4L * len);
      }
      VectorGate gate = BACKWARD_GATES[op.ordinal()];
      int k = gate.vectorFloats(len);
      long t = gate.begin();
      gradLoop(op, yb, gb, 0, k, true);
      gate.end(t, k);
      gradLoop(op, yb, gb, k, len, false);   // a cold op's rest: the scalar tail, the same bits
      Raw.copyFromArray(gb, 0, o + 4L * start, 4L * len);
    }
  }

  /**
   * {@code op}'s gradient loop over {@code [from, to)} of the blocks: with {@code vector}, whole vectors
   * on the vector code and the remainder on the scalar tail (which rounds as the vector code does);
   * without, all of it on the scalar tail.
   */
  private static void gradLoop(UnaryBackwardOp op, float[] y, float[] g, int from, int to, boolean vector) {
    int full = vector ? to - (to - from) % LANES : from;
    switch (op) {
      case RELU -> reluGradLoop(y, g, from, full, to);
      case SIGMOID -> sigmoidGradLoop(y, g, from, full, to);
      case TANH -> tanhGradLoop(y, g, from, full, to);
    }
  }

  /** {@code g = y > 0 ? g : 0} in place of g: vectors over {@code [from, full)}, scalar over {@code [full, len)}. */
  private static void reluGradLoop(float[] y, float[] g, int from, int full, int len) {
    FloatVector zero = FloatVector.zero(S);
    for (int i = from; i < full; i += LANES) {
      VectorMask<Float> positive = FloatVector.fromArray(S, y, i).compare(VectorOperators.GT, 0f);
      zero.blend(FloatVector.fromArray(S, g, i), positive).intoArray(g, i);
    }
    for (int i = full; i < len; i++) {
      g[i] = y[i] > 0 ? g[i] : 0f;
    }
  }

  /** {@code g = g * (y * (1 - y))} in place of g: vectors over {@code [from, full)}, scalar over {@code [full, len)}. */
  private static void sigmoidGradLoop(float[] y, float[] g, int from, int full, int len) {
    FloatVector one = bc(1f);
    for (int i = from; i < full; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, y, i);
      FloatVector.fromArray(S, g, i).mul(v.mul(one.sub(v))).intoArray(g, i);
    }
    for (int i = full; i < len; i++) {
      g[i] = g[i] * (y[i] * (1f - y[i]));
    }
  }

  /** {@code g = g * (1 - y * y)} in place of g: vectors over {@code [from, full)}, scalar over {@code [full, len)}. */
  private static void tanhGradLoop(float[] y, float[] g, int from, int full, int len) {
    FloatVector one = bc(1f);
    for (int i = from; i < full; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, y, i);
      FloatVector.fromArray(S, g, i).mul(one.sub(v.mul(v))).intoArray(g, i);
    }
    for (int i = full; i < len; i++) {
      g[i] = g[i] * (1f - y[i] * y[i]);
    }
  }

  private static final ThreadLocal<float[][]> ADAM = ThreadLocal.withInitial(() -> new float[4][BLOCK]);

  /**
   * Adam's usual update (no L2 decay, amsgrad or maximize; lerp weight {@code w < 0.5}) over {@code n}
   * contiguous floats at p, g, m, v, in place, with the roundings of {@code OptimizerKernels}' scalar
   * loop: {@code m += w (g - m)}, {@code v = b2 v + ob2 (g g)}, {@code p = scale p + negStep (m / (sqrt(v) /
   * bc2 + eps))}, each operation rounded (no fused multiply-add). Blocks are copied to heap arrays so the
   * vector loop sees operands C2 can tell apart.
   */
  static void adamF32(long p, long g, long m, long v, int n, float w, float b2, float ob2, float bc2, float eps,
      float scale, float negStep) {
    float[][] b = ADAM.get();
    float[] pb = b[0];
    float[] gb = b[1];
    float[] mb = b[2];
    float[] vb = b[3];
    for (int start = 0; start < n; start += BLOCK) {
      int len = Math.min(BLOCK, n - start);
      long bytes = 4L * len;
      Raw.copyToArray(p + 4L * start, pb, 0, bytes);
      Raw.copyToArray(g + 4L * start, gb, 0, bytes);
      Raw.copyToArray(m + 4L * start, mb, 0, bytes);
      Raw.copyToArray(v + 4L * start, vb, 0, bytes);
      int full = ADAM_GATE.vectorFloats(len - len % LANES);   // cold: a few lanes, the rest below (same bits)
      long t = ADAM_GATE.begin();
      adamLoop(pb, gb, mb, vb, full, w, b2, ob2, bc2, eps, scale, negStep);
      ADAM_GATE.end(t, full);
      for (int i = full; i < len; i++) {
        float gi = gb[i];
        float mi = mb[i] + w * (gi - mb[i]);
        mb[i] = mi;
        float vi = b2 * vb[i] + ob2 * (gi * gi);
        vb[i] = vi;
        pb[i] = scale * pb[i] + negStep * (mi / ((float) Math.sqrt(vi) / bc2 + eps));
      }
      Raw.copyFromArray(pb, 0, p + 4L * start, bytes);
      Raw.copyFromArray(mb, 0, m + 4L * start, bytes);
      Raw.copyFromArray(vb, 0, v + 4L * start, bytes);
    }
  }

  /**
   * {@link #adamF32}'s vector loop over {@code [0, full)} of heap blocks, alone so C2 inlines all of it. The
   * hyper-parameters come as floats and broadcast here: vectors passed in are boxed objects, seven per block.
   */
  private static void adamLoop(float[] pb, float[] gb, float[] mb, float[] vb, int full, float w,
      float b2, float ob2, float bc2, float eps, float scale, float negStep) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector gv = FloatVector.fromArray(S, gb, i);
      FloatVector mv = FloatVector.fromArray(S, mb, i);
      mv = mv.add(gv.sub(mv).mul(w));
      mv.intoArray(mb, i);
      FloatVector vv = FloatVector.fromArray(S, vb, i).mul(b2).add(gv.mul(gv).mul(ob2));
      vv.intoArray(vb, i);
      FloatVector denom = vv.lanewise(VectorOperators.SQRT).div(bc2).add(eps);
      FloatVector.fromArray(S, pb, i).mul(scale).add(mv.div(denom).mul(negStep)).intoArray(pb, i);
    }
  }

  /**
   * Applies {@code op} in place to {@code a[0, len)}: full vectors, then the tail element by element.
   * Each op has its own loop method, so C2 inlines one function's vector code per loop (a shared loop
   * with a switch grows past the inlining limits and falls back to boxed vectors).
   */
  static void apply(UnaryOp op, float[] a, int len) {
    int full = len - len % LANES;
    switch (op) {
      case RELU -> reluLoop(a, full);
      case EXP -> expLoop(a, full);
      case LOG -> logLoop(a, full);
      case LOG1P -> log1pLoop(a, full);
      case EXPM1 -> expm1Loop(a, full);
      case TANH -> tanhLoop(a, full);
      case SIGMOID -> sigmoidLoop(a, full);
      case GELU_TANH -> geluTanhLoop(a, full);
      case GELU_TANH_GRAD -> geluTanhGradLoop(a, full);
      case GELU -> geluLoop(a, full, false);
      case GELU_GRAD -> geluLoop(a, full, true);
      default -> throw new AssertionError(op);
    }
    for (int i = full; i < len; i++) {
      a[i] = (float) Elementwise.unaryDouble(op, a[i]);
    }
  }

  /** ReLU lane-wise with PyTorch's rule, {@code x < 0 ? +0.0 : x}: NaN and -0.0 stay. */
  private static void reluLoop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      x.blend(0f, x.lt(0f)).intoArray(a, i); // PyTorch's x < 0 ? +0.0 : x (MAX would turn -0.0 into +0.0)
    }
  }

  /**
   * e^x lane-wise: -inf lanes give exactly 0 (the masked entries of a causal softmax, half of its
   * rows), a vector with another lane beyond +-87 or NaN takes the scalar path; branch-free otherwise (a
   * second path returning a vector made C2 box the vectors, 2x slower). {@link #expCore}'s operations are
   * written out here, its constants as vectors: called through helpers that take vectors, this loop
   * sometimes ran them as C1-compiled code for good (JFR in sdpa's forward + backward: {@code expCore} on
   * its own, its broadcasts allocating), as log-softmax's rows did (see {@link #softmaxRows}).
   */
  private static void expLoop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      VectorMask<Float> negInf = x.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY);
      if (x.abs().compare(VectorOperators.GT, EXP_LIMIT).or(x.compare(VectorOperators.NE, x)).andNot(negInf)
          .anyTrue()) {
        scalar(UnaryOp.EXP, a, i);
        continue;
      }
      x = x.max(-EXP_LIMIT);
      FloatVector t = x.fma(LOG2E_V, ROUND_MAGIC_V);
      FloatVector n = t.sub(ROUND_MAGIC_V);
      FloatVector r = n.fma(NEG_LN2_HI_V, x);
      r = n.fma(NEG_LN2_LO_V, r);
      FloatVector p = r.fma(EXP_C7_V, EXP_C6_V);
      p = p.fma(r, EXP_C5_V);
      p = p.fma(r, EXP_C4_V);
      p = p.fma(r, EXP_C3_V);
      p = p.fma(r, EXP_C2_V);
      FloatVector e = p.mul(r.mul(r)).add(r).add(ONE_V);
      IntVector bits = (IntVector) t.reinterpretAsInts();
      FloatVector scale = bits.sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      e.mul(scale).blend(0f, negInf).intoArray(a, i);
    }
  }

  private static void logLoop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector r = log(FloatVector.fromArray(S, a, i), a, i);
      if (r != null) {
        r.intoArray(a, i);
      }
    }
  }

  /**
   * log(1 + x) lane-wise as {@code u = 1 + x}, {@code u == 1 ? x : log(u) (x / (u - 1))}: the division
   * by the rounded {@code u - 1} cancels the rounding of u (Goldberg), so small x keep their relative
   * accuracy (a few ulps), which {@code log(1 + x)} loses. Lanes outside (-1, MAX] or NaN send the vector to
   * the scalar path ({@link Math#log1p}).
   */
  private static void log1pLoop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      if (!x.compare(VectorOperators.GT, -1f).and(x.compare(VectorOperators.LE, Float.MAX_VALUE)).allTrue()) {
        scalar(UnaryOp.LOG1P, a, i);
        continue;
      }
      FloatVector u = x.add(ONE_V);
      FloatVector r = logCore(u).mul(x.div(u.sub(ONE_V)));
      r.blend(x, u.compare(VectorOperators.EQ, 1f)).intoArray(a, i);
    }
  }

  /**
   * e^x - 1 lane-wise as {@code u = e^x}, {@code u == 1 ? x : u - 1 == -1 ? -1 : (u - 1) (x / log(u))}
   * (Kahan): the ratio cancels the rounding of u, so small x keep their relative accuracy. Lanes beyond
   * +-87 or NaN send the vector to the scalar path ({@link Math#expm1}).
   */
  private static void expm1Loop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      if (!x.abs().compare(VectorOperators.LE, EXP_LIMIT).allTrue()) {
        scalar(UnaryOp.EXPM1, a, i);
        continue;
      }
      FloatVector u = expCore(x);
      FloatVector um1 = u.sub(ONE_V);
      FloatVector r = um1.mul(x.div(logCore(u)));
      r = r.blend(-1f, um1.compare(VectorOperators.EQ, -1f));
      r.blend(x, u.compare(VectorOperators.EQ, 1f)).intoArray(a, i);
    }
  }

  private static void tanhLoop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, a, i);
      if (finite(v)) {
        tanh(v).intoArray(a, i);
      } else {
        scalar(UnaryOp.TANH, a, i);
      }
    }
  }

  /**
   * sigmoid lane-wise; a lane below -87 (where the value is denormal, about 6e-39 at -88, and the clamped
   * exponential would give 1.6e-38), NaN or +inf sends the vector to the scalar path, as PyTorch's
   * sigmoid gives the denormal.
   */
  private static void sigmoidLoop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, a, i);
      if (v.compare(VectorOperators.GE, -EXP_LIMIT).and(v.compare(VectorOperators.LE, Float.MAX_VALUE)).allTrue()) {
        sigmoid(v).intoArray(a, i);
      } else {
        scalar(UnaryOp.SIGMOID, a, i);
      }
    }
  }

  private static void geluTanhLoop(float[] a, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, a, i);
      if (finite(v)) {
        geluTanh(v).intoArray(a, i);
      } else {
        scalar(UnaryOp.GELU_TANH, a, i);
      }
    }
  }

  /**
   * The tanh-GELU derivative in two passes: {@code s = sigmoid(2u)} into the tail buffer, then {@code s +
   * 2 x s (1 - s) k0 (1 + 3 k1 x^2)}. As one loop (sharing GELU's or on its own) it grew past C2's
   * inlining budget and stored through boxed vectors: GELU-tanh forward + backward on [16, 64, 512] took
   * 3.2-4.2 ms against 1.9 ms (each pass in its own method: C2's budget is per compiled method).
   * Non-finite vectors take the scalar formula in the second pass.
   */
  private static void geluTanhGradLoop(float[] a, int full) {
    float[] t = TAIL.get();
    if (t.length < full) {
      t = new float[full];
      TAIL.set(t);
    }
    geluTanhSigmoidPass(a, t, full);
    geluTanhGradPass(a, t, full);
  }

  /** t = sigmoid(2u) of tanh-GELU's {@code u = k0 (x + k1 x^3)}. */
  private static void geluTanhSigmoidPass(float[] a, float[] t, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      sigmoid(x.mul(x).fma(GELU_K1, 1f).mul(x).mul(2 * GELU_K0)).intoArray(t, i);
    }
  }

  /**
   * a = the tanh-GELU derivative {@code s + 2 x s (1 - s) k0 (1 + 3 k1 x^2)} from x (in a) and t = s =
   * sigmoid(2u). The formula is written in the loop, not in a helper: C2 compiled such a helper on its own
   * first (it is called once per vector), then would not inline that large compiled body into this loop,
   * and every vector crossing the call was boxed (W4 allocated 126 MB/s at its steady state).
   */
  private static void geluTanhGradPass(float[] a, float[] t, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      if (finite(x)) {
        FloatVector s = FloatVector.fromArray(S, t, i);
        // Beyond |x| = 10 the second term is below e^-87; clamping keeps x^2 from overflowing to 0 * inf.
        FloatVector xc = x.max(-10f).min(10f);
        FloatVector inner = xc.mul(xc).fma(3 * GELU_K1, 1f).mul(2 * GELU_K0);
        s.add(xc.mul(s).mul(FloatVector.broadcast(S, 1f).sub(s)).mul(inner)).intoArray(a, i);
      } else {
        scalar(UnaryOp.GELU_TANH_GRAD, a, i);
      }
    }
  }

  /**
   * Exact GELU or its derivative in passes over the block, each loop small enough for C2 to inline
   * whole (one loop with all of it hits C2's node-count cutoff and runs 5x slower): the erfc tail,
   * then Phi (and GELU), then for the derivative the normal density.
   */
  private static void geluLoop(float[] a, int full, boolean grad) {
    float[] t = TAIL.get();
    if (t.length < full) {
      t = new float[full];
      TAIL.set(t);
    }
    tailPass(a, t, full);
    tailExpPass(a, t, full);
    cdfPass(a, t, full, grad);
    if (grad) {
      geluGradPass(a, t, full);
    }
  }

  /** t = erfc(z) e^(z^2) for z = |x| / sqrt 2 (used only above 0.46875, where it is accurate). */
  private static void tailPass(float[] a, float[] t, int full) {
    for (int i = 0; i < full; i += LANES) {
      upperTail(FloatVector.fromArray(S, a, i).abs().mul(SQRT_HALF)).intoArray(t, i);
    }
  }

  /** t *= e^(-z^2) / 2 for z = min(|x| / sqrt 2, 9): completes {@link #tailPass}. */
  private static void tailExpPass(float[] a, float[] t, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector y = FloatVector.fromArray(S, a, i).abs().mul(SQRT_HALF).min(9f);
      FloatVector e = expCore(y.mul(y).neg().max(-EXP_LIMIT));
      FloatVector.fromArray(S, t, i).mul(e).mul(0.5f).intoArray(t, i);
    }
  }

  /** GELU into a, or with {@code grad} Phi(x) into t. */
  private static void cdfPass(float[] a, float[] t, int full, boolean grad) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      FloatVector cdf = normalCdf(x, FloatVector.fromArray(S, t, i));
      if (grad) {
        cdf.intoArray(t, i);
      } else if (finite(x)) {
        x.mul(cdf).intoArray(a, i);
      } else {
        scalar(UnaryOp.GELU, a, i);
      }
    }
  }

  /** a = Phi(x) + x pdf(x), Phi(x) read from t. */
  private static void geluGradPass(float[] a, float[] t, int full) {
    for (int i = 0; i < full; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      if (finite(x)) {
        FloatVector pdf = expClamped(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI);
        x.fma(pdf, FloatVector.fromArray(S, t, i)).intoArray(a, i);
      } else {
        scalar(UnaryOp.GELU_GRAD, a, i);
      }
    }
  }

  /** Whether no lane is infinite or NaN (those take the scalar path, to match it exactly). */
  private static boolean finite(FloatVector v) {
    return v.abs().compare(VectorOperators.LE, Float.MAX_VALUE).allTrue();
  }

  /** Runs the scalar path on one vector's lanes in place; returns null (nothing left to store). */
  private static FloatVector scalar(UnaryOp op, float[] a, int i) {
    for (int l = 0; l < LANES; l++) {
      a[i + l] = (float) Elementwise.unaryDouble(op, a[i + l]);
    }
    return null;
  }

  /**
   * e^x for x in [-87, 87] (the caller clamps): x = n ln2 + r with |r| <= ln2/2, e^r by a degree-7
   * polynomial, 2^n built in the exponent bits.
   */
  static FloatVector expCore(FloatVector x) {
    FloatVector t = x.fma(LOG2E_V, ROUND_MAGIC_V);
    FloatVector n = t.sub(ROUND_MAGIC_V);
    FloatVector r = n.fma(NEG_LN2_HI_V, x);
    r = n.fma(NEG_LN2_LO_V, r);
    FloatVector p = r.fma(EXP_C7_V, EXP_C6_V);
    p = p.fma(r, EXP_C5_V);
    p = p.fma(r, EXP_C4_V);
    p = p.fma(r, EXP_C3_V);
    p = p.fma(r, EXP_C2_V);
    FloatVector e = p.mul(r.mul(r)).add(r).add(ONE_V);
    IntVector bits = (IntVector) t.reinterpretAsInts();
    FloatVector scale = bits.sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return e.mul(scale);
  }

  /** e^x clamped to [-87, 87] first: for arguments whose extremes only matter as 0 or huge. */
  private static FloatVector expClamped(FloatVector x) {
    return expCore(x.max(-EXP_LIMIT).min(EXP_LIMIT));
  }

  /** ln x; lanes that are not positive normal finite numbers send the vector to the scalar path. */
  private static FloatVector log(FloatVector x, float[] a, int i) {
    VectorMask<Float> ok = x.compare(VectorOperators.GE, Float.MIN_NORMAL)
        .and(x.compare(VectorOperators.LE, Float.MAX_VALUE));
    if (!ok.allTrue()) {
      return scalar(UnaryOp.LOG, a, i);
    }
    return logCore(x);
  }

  /** ln x for lanes that are positive normal finite numbers ({@link #log} checks). */
  private static FloatVector logCore(FloatVector x) {
    IntVector bits = (IntVector) x.reinterpretAsInts();
    IntVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(126);
    FloatVector m = bits.and(0x007FFFFF).or(0x3F000000).reinterpretAsFloats(); // [0.5, 1)
    VectorMask<Float> low = m.compare(VectorOperators.LT, 0.707106781186547524f);
    FloatVector ef = ((FloatVector) e.convert(VectorOperators.I2F, 0)).sub(FloatVector.zero(S).blend(1f, low));
    FloatVector f = m.sub(1f).add(FloatVector.zero(S).blend(m, low)); // m - 1, or 2m - 1
    FloatVector z = f.mul(f);
    FloatVector p = f.fma(7.0376836292e-2f, -1.1514610310e-1f);
    p = p.fma(f, LOG_C2);
    p = p.fma(f, LOG_C3);
    p = p.fma(f, LOG_C4);
    p = p.fma(f, LOG_C5);
    p = p.fma(f, LOG_C6);
    p = p.fma(f, LOG_C7);
    p = p.fma(f, LOG_C8);
    FloatVector r = p.mul(f).mul(z);
    r = ef.fma(LN2_LO_V, r);
    r = z.fma(MINUS_HALF, r);
    return f.add(r).add(ef.mul(LN2_HI));
  }

  /**
   * tanh x: an odd polynomial below 0.625, else {@code 1 - 2 / (e^2|x| + 1)} with x's sign, e^2|x| taken
   * up to e^20: tanh rounds to exactly ±1 in float32 from |x| = 9.01, as PyTorch's does (up to e^18,
   * before the tenth round, it stopped one ulp short, at 0.99999994).
   */
  static FloatVector tanh(FloatVector x) {
    FloatVector a = x.abs();
    FloatVector e = expCore(a.add(a).min(20f));
    FloatVector big = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
    big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
    FloatVector z = x.mul(x);
    FloatVector p = z.fma(-5.70498872745e-3f, 2.06390887954e-2f);
    p = p.fma(z, TANH_C2);
    p = p.fma(z, TANH_C1);
    p = p.fma(z, TANH_C0);
    FloatVector small = p.mul(z).fma(x, x);
    return big.blend(small, a.compare(VectorOperators.LT, 0.625f));
  }

  /** 1 / (1 + e^-x). */
  static FloatVector sigmoid(FloatVector x) {
    return FloatVector.broadcast(S, 1f).div(expClamped(x.neg()).add(1f));
  }

  /**
   * GELU with the tanh approximation, {@code x sigmoid(2u)} for {@code u = k0 (x + k1 x^3)} (equal to
   * {@code x (1 + tanh u) / 2} without its cancellation for negative x).
   */
  private static FloatVector geluTanh(FloatVector x) {
    FloatVector x2 = x.mul(x);
    FloatVector u2 = x2.fma(GELU_K1, 1f).mul(x).mul(2 * GELU_K0);
    return x.mul(sigmoid(u2));
  }

  /**
   * Phi(x) = (1 + erf(x / sqrt 2)) / 2, with Cody's erf rational for |z| <= 0.46875 and, above, his
   * erfc rational times e^(-z^2) ({@code upperTail}, computed in earlier passes), so the tail keeps
   * its relative accuracy.
   */
  private static FloatVector normalCdf(FloatVector x, FloatVector upperTail) {
    FloatVector z = x.abs().mul(SQRT_HALF);
    FloatVector tail = upperTail.blend(lowerTail(z), z.compare(VectorOperators.LE, 0.46875f));
    // tail = P(X > |x|); Phi(x) = tail for x < 0, 1 - tail otherwise. NaN stays NaN.
    FloatVector upper = FloatVector.broadcast(S, 1f).sub(tail);
    return upper.blend(tail, x.compare(VectorOperators.LT, 0f));
  }

  /** (1 - erf z) / 2 for 0 <= z <= 0.46875: Cody's z P(z^2) / Q(z^2). Kept small so C2 inlines it. */
  private static FloatVector lowerTail(FloatVector z) {
    // erf(z) for small z: z P(z^2) / Q(z^2).
    FloatVector zz = z.mul(z);
    FloatVector num = zz.mul(1.85777706184603153e-1f);
    FloatVector den = zz;
    num = num.add(3.16112374387056560e00f).mul(zz);
    den = den.add(2.36012909523441209e01f).mul(zz);
    num = num.add(1.13864154151050156e02f).mul(zz);
    den = den.add(2.44024637934444173e02f).mul(zz);
    num = num.add(3.77485237685302021e02f).mul(zz);
    den = den.add(1.28261652607737228e03f).mul(zz);
    FloatVector erfSmall = z.mul(num.add(3.20937758913846947e03f)).div(den.add(2.84423683343917062e03f));
    return FloatVector.broadcast(S, 0.5f).sub(erfSmall.mul(0.5f));
  }

  /**
   * erfc(z) e^(z^2) for z > 0.46875: Cody's C(z) / D(z), z clamped to 9 (erfc is 0 in float beyond);
   * the caller multiplies by e^(-z^2) in a separate loop, to stay under C2's inlining node budget.
   */
  private static FloatVector upperTail(FloatVector z) {
    FloatVector y = z.min(9f);
    FloatVector c = y.mul(2.15311535474403846e-8f);
    FloatVector d = y;
    c = c.add(5.64188496988670089e-1f).mul(y);
    d = d.add(1.57449261107098347e01f).mul(y);
    c = c.add(8.88314979438837594e00f).mul(y);
    d = d.add(1.17693950891312499e02f).mul(y);
    c = c.add(6.61191906371416295e01f).mul(y);
    d = d.add(5.37181101862009858e02f).mul(y);
    c = c.add(2.98635138197400131e02f).mul(y);
    d = d.add(1.62138957456669019e03f).mul(y);
    c = c.add(8.81952221241769090e02f).mul(y);
    d = d.add(3.29079923573345963e03f).mul(y);
    c = c.add(1.71204761263407058e03f).mul(y);
    d = d.add(4.36261909014324716e03f).mul(y);
    c = c.add(2.05107837782607147e03f).mul(y);
    d = d.add(3.43936767414372164e03f).mul(y);
    return c.add(1.23033935479799725e03f).div(d.add(1.23033935480374942e03f));
  }

  /*
   * The row helpers below run whole vectors on the vector code and the rest of the row on a scalar tail.
   * Those of the softmax and layer-norm backward take a vector flag: false for a cold row kernel's rows
   * ({@link VectorGate}), which run on ScalarTwins' row functions with the same bits. Those rows keep the
   * helper's invocation count climbing, so C2 compiles its vector code early (less interpreted garbage in
   * the first steps). Their scalar tails are ScalarTwins' loops over the rest of the row, so the two forms
   * cannot drift apart. The softmax and log-softmax rows are one method with no helpers: see {@link
   * #softmaxRows}.
   */

  /**
   * Returns the largest of {@code a[off, off + n)} (NaN if any is NaN, as {@code Math.max}).
   */
  static float max(float[] a, int off, int n) {
    int full = n - n % LANES;
    float m = Float.NEGATIVE_INFINITY;
    if (full > 0) {
      FloatVector acc = FloatVector.fromArray(S, a, off);
      for (int i = LANES; i < full; i += LANES) {
        acc = acc.max(FloatVector.fromArray(S, a, off + i));
      }
      m = acc.reduceLanes(VectorOperators.MAX);
    }
    for (int i = full; i < n; i++) {
      m = Math.max(m, a[off + i]);
    }
    return m;
  }

  /** Returns the sum of {@code a[off, off + n)}, accumulated in float lanes. */
  static float sum(float[] a, int off, int n) {
    int full = n - n % LANES;
    float s = 0;
    if (full > 0) {
      FloatVector acc = FloatVector.zero(S);
      for (int i = 0; i < full; i += LANES) {
        acc = acc.add(FloatVector.fromArray(S, a, off + i));
      }
      s = acc.reduceLanes(VectorOperators.ADD);
    }
    for (int i = full; i < n; i++) {
      s += a[off + i];
    }
    return s;
  }

  /**
   * Float32 softmax, or log-softmax if {@code log}, of {@code rows} rows of {@code n} from {@code off}, in
   * place, in passes over all the rows: the maxima; {@code d = x - max}; {@code d = e^d} as one flat loop
   * ({@code d < -87}, -inf included, gives 0); each row's sum of {@code d} (float lanes over its full
   * vectors, then the rest in order); and {@code d / sum} (as {@code d * (1 / sum)}) or {@code (x - max) -
   * log(sum)}. {@code stats} holds 2 rows floats and {@code d} rows n + LANES (scratch). A row of -inf, or
   * with a NaN or +inf, gives a NaN row, as PyTorch. Each row gets the bits of {@link
   * ScalarTwins#softmaxRow}.
   *
   * <p>Why passes over the rows: row by row, the elements past a row's last full vector ([512, 26]: 2 of
   * 26) took a {@code Math.exp} call each, a quarter of the time (JFR), and a row's steps formed one
   * chain of latencies; the flat pass takes every element on the vector code, rows' tails together.
   * Log-softmax [512, 26] on one thread: 45 us row by row.
   *
   * <p>All passes and the exponential ({@link #expCore}'s operations) are written in this one method,
   * with no helper that takes or returns a vector: split into helpers (max, the sum, the subtraction,
   * expCore), C2's code for the rows ran the Vector API's allocating fallbacks in about half of the JVMs
   * (84-194 µs against 39-48 for [512, 65]), apparently calling helpers whose C1 copies stayed in use
   * ({@code -XX:-TieredCompilation} made it go away); as one method, 26 of 26 JVMs ran fast.
   */
  static void softmaxRows(float[] a, int off, int rows, int n, float[] stats, float[] d, boolean log) {
    int full = n - n % LANES;
    for (int row = 0, o = off; row < rows; row++, o += n) {
      float max = Float.NEGATIVE_INFINITY;
      if (full > 0) {
        FloatVector acc = FloatVector.fromArray(S, a, o);
        for (int i = LANES; i < full; i += LANES) {
          acc = acc.max(FloatVector.fromArray(S, a, o + i));
        }
        max = acc.reduceLanes(VectorOperators.MAX);
      }
      for (int i = full; i < n; i++) {
        max = Math.max(max, a[o + i]);
      }
      stats[row] = max;
    }
    for (int row = 0, o = off, q = 0; row < rows; row++, o += n, q += n) {
      FloatVector m = bc(stats[row]);
      for (int i = 0; i < full; i += LANES) {
        FloatVector.fromArray(S, a, o + i).sub(m).intoArray(d, q + i);
      }
      for (int i = full; i < n; i++) {
        d[q + i] = a[o + i] - stats[row];
      }
    }
    int count = rows * n;
    int padded = (count + LANES - 1) / LANES * LANES;
    java.util.Arrays.fill(d, count, padded, 0f);
    for (int i = 0; i < padded; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, d, i);
      VectorMask<Float> under = v.compare(VectorOperators.LT, -EXP_LIMIT);
      FloatVector x = v.max(-EXP_LIMIT);
      FloatVector t = x.fma(LOG2E_V, ROUND_MAGIC_V);
      FloatVector k = t.sub(ROUND_MAGIC_V);
      FloatVector r = k.fma(NEG_LN2_HI_V, x);
      r = k.fma(NEG_LN2_LO_V, r);
      FloatVector p = r.fma(EXP_C7_V, EXP_C6_V);
      p = p.fma(r, EXP_C5_V);
      p = p.fma(r, EXP_C4_V);
      p = p.fma(r, EXP_C3_V);
      p = p.fma(r, EXP_C2_V);
      FloatVector e = p.mul(r.mul(r)).add(r).add(ONE_V);
      IntVector bits = (IntVector) t.reinterpretAsInts();
      e.mul(bits.sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
          .blend(0f, under).intoArray(d, i);
    }
    for (int row = 0, q = 0; row < rows; row++, q += n) {
      float sum = 0;
      if (stats[row] == Float.NEGATIVE_INFINITY) {
        stats[row] = 0; // a row of -inf: its sum is 0 and every entry 0 / 0 or -inf - log(0), NaN
      } else {
        if (full > 0) {
          FloatVector acc = FloatVector.fromArray(S, d, q);
          for (int i = LANES; i < full; i += LANES) {
            acc = acc.add(FloatVector.fromArray(S, d, q + i));
          }
          sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (int i = full; i < n; i++) {
          sum += d[q + i];
        }
      }
      stats[rows + row] = log ? (float) Math.log(sum) : 1f / sum;
    }
    for (int row = 0, o = off, q = 0; row < rows; row++, o += n, q += n) {
      float max = stats[row];
      float s = stats[rows + row];
      if (log) {
        if (full > 0) {
          FloatVector f = bc(max);
          FloatVector g = bc(s);
          for (int i = 0; i < full; i += LANES) {
            FloatVector.fromArray(S, a, o + i).sub(f).sub(g).intoArray(a, o + i);
          }
        }
        for (int i = full; i < n; i++) {
          a[o + i] = (a[o + i] - max) - s;
        }
      } else {
        if (full > 0) {
          FloatVector f = bc(s);
          for (int i = 0; i < full; i += LANES) {
            FloatVector.fromArray(S, d, q + i).mul(f).intoArray(a, o + i);
          }
        }
        for (int i = full; i < n; i++) {
          a[o + i] = d[q + i] * s;
        }
      }
    }
  }

  /** Computes {@code a[off + i] = a[off + i] * mul + add} over {@code n} elements. */
  static void scaleShift(float[] a, int off, int n, float mul, float add) {
    int full = n - n % LANES;
    for (int i = 0; i < full; i += LANES) {
      FloatVector.fromArray(S, a, off + i).fma(bc(mul), bc(add)).intoArray(a, off + i);
    }
    for (int i = full; i < n; i++) {
      a[off + i] = a[off + i] * mul + add;
    }
  }

  /** Returns the sum of {@code (a[off + i] - mean)^2} over {@code n} elements, in float lanes. */
  static float sumSquaresAbout(float[] a, int off, int n, float mean) {
    int full = n - n % LANES;
    float s = 0;
    if (full > 0) {
      FloatVector acc = FloatVector.zero(S);
      FloatVector m = bc(mean);
      for (int i = 0; i < full; i += LANES) {
        FloatVector d = FloatVector.fromArray(S, a, off + i).sub(m);
        acc = d.fma(d, acc);
      }
      s = acc.reduceLanes(VectorOperators.ADD);
    }
    for (int i = full; i < n; i++) {
      float d = a[off + i] - mean;
      s += d * d;
    }
    return s;
  }

  /**
   * Returns the sum of {@code a[off + i] * b[off + i]} over {@code n} elements in float lanes; with {@code
   * vector} false on its scalar twin (the same bits).
   */
  static float dot(float[] a, float[] b, int off, int n, boolean vector) {
    if (!vector) {
      return ScalarTwins.dot(a, b, off, n);
    }
    int full = n - n % LANES;
    float s = 0;
    if (full > 0) {
      FloatVector acc = FloatVector.zero(S);
      for (int i = 0; i < full; i += LANES) {
        acc = FloatVector.fromArray(S, a, off + i).fma(FloatVector.fromArray(S, b, off + i), acc);
      }
      s = acc.reduceLanes(VectorOperators.ADD);
    }
    return ScalarTwins.dotTail(a, b, off, full, n, s);
  }

  /**
   * Softmax's input gradient in place of {@code g}: {@code g[off + i] = y[off + i] * (g[off + i] - dot)};
   * with {@code vector} false on its scalar twin.
   */
  static void softmaxGrad(float[] g, float[] y, int off, int n, float dot, boolean vector) {
    if (!vector) {
      ScalarTwins.softmaxGrad(g, y, off, n, dot);
      return;
    }
    int full = n - n % LANES;
    if (full > 0) {
      FloatVector d = bc(dot);
      for (int i = 0; i < full; i += LANES) {
        FloatVector.fromArray(S, y, off + i).mul(FloatVector.fromArray(S, g, off + i).sub(d)).intoArray(g, off + i);
      }
    }
    ScalarTwins.softmaxGrad(g, y, off + full, n - full, dot);
  }

  /**
   * One layer-norm row's backward sums, over {@code n} elements at {@code off}: turns {@code x} into
   * {@code xhat = (x - mean) rstd}, adds {@code g xhat} to {@code gw[i]} and {@code g} to {@code gb[i]}
   * (either may be null), and stores {@code sum(gy), sum(gy xhat)} into {@code sums[0, 2)} with {@code gy
   * = g w[i]} ({@code w} may be null: 1). With {@code vector} false on its scalar twin (the same bits).
   */
  static void layerNormGradSums(float[] x, float[] g, int off, int n, float mean, float rstd, float[] w,
      float[] gw, float[] gb, float[] sums, boolean vector) {
    if (!vector) {
      ScalarTwins.layerNormGradSums(x, g, off, n, mean, rstd, w, gw, gb, sums);
      return;
    }
    int full = n - n % LANES;
    float sumGy = 0;
    float sumGyXhat = 0;
    if (full > 0) {
      FloatVector m = bc(mean);
      FloatVector r = bc(rstd);
      FloatVector accGy = FloatVector.zero(S);
      FloatVector accGyXhat = FloatVector.zero(S);
      for (int i = 0; i < full; i += LANES) {
        FloatVector xhat = FloatVector.fromArray(S, x, off + i).sub(m).mul(r);
        xhat.intoArray(x, off + i);
        FloatVector gv = FloatVector.fromArray(S, g, off + i);
        FloatVector gy = w == null ? gv : gv.mul(FloatVector.fromArray(S, w, i));
        accGy = accGy.add(gy);
        accGyXhat = gy.fma(xhat, accGyXhat);
        if (gw != null) {
          gv.fma(xhat, FloatVector.fromArray(S, gw, i)).intoArray(gw, i);
        }
        if (gb != null) {
          gv.add(FloatVector.fromArray(S, gb, i)).intoArray(gb, i);
        }
      }
      sumGy = accGy.reduceLanes(VectorOperators.ADD);
      sumGyXhat = accGyXhat.reduceLanes(VectorOperators.ADD);
    }
    ScalarTwins.layerNormGradSumsTail(x, g, off, full, n, mean, rstd, w, gw, gb, sumGy, sumGyXhat, sums);
  }

  /**
   * Layer norm's input gradient in place of {@code g} over {@code n} elements at {@code off}, from
   * {@code xhat} (in {@code x}): {@code rstd (g w[i] - a - xhat b)}; {@code w} may be null (1). With
   * {@code vector} false on its scalar twin.
   */
  static void layerNormGradX(float[] g, float[] xhat, int off, int n, float rstd, float[] w, float a, float b,
      boolean vector) {
    if (!vector) {
      ScalarTwins.layerNormGradX(g, xhat, off, 0, n, rstd, w, a, b);
      return;
    }
    int full = n - n % LANES;
    if (full > 0) {
      FloatVector r = bc(rstd);
      FloatVector av = bc(a);
      FloatVector bv = bc(b);
      for (int i = 0; i < full; i += LANES) {
        FloatVector gy = FloatVector.fromArray(S, g, off + i);
        if (w != null) {
          gy = gy.mul(FloatVector.fromArray(S, w, i));
        }
        gy.sub(av).sub(FloatVector.fromArray(S, xhat, off + i).mul(bv)).mul(r).intoArray(g, off + i);
      }
    }
    ScalarTwins.layerNormGradX(g, xhat, off, full, n, rstd, w, a, b);
  }

  /**
   * Computes {@code a[off + i] = (a[off + i] - mean) * rstd * w[i] + b[i]} over {@code n} elements;
   * {@code w} or {@code b} may be null (1 and 0).
   */
  static void normalize(float[] a, int off, int n, float mean, float rstd, float[] w, float[] b) {
    int full = n - n % LANES;
    FloatVector m = bc(mean);
    FloatVector r = bc(rstd);
    for (int i = 0; i < full; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, a, off + i).sub(m).mul(r);
      if (w != null) {
        v = v.mul(FloatVector.fromArray(S, w, i));
      }
      if (b != null) {
        v = v.add(FloatVector.fromArray(S, b, i));
      }
      v.intoArray(a, off + i);
    }
    for (int i = full; i < n; i++) {
      float v = (a[off + i] - mean) * rstd;
      a[off + i] = (w == null ? v : v * w[i]) + (b == null ? 0 : b[i]);
    }
  }
}
