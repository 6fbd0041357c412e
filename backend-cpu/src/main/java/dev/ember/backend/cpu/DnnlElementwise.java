package dev.ember.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.*;

import dev.ember.DType;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryBackwardOp;
import dev.ember.spi.UnaryOp;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_binary_desc_t;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_post_ops;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Large contiguous float32 elementwise work on oneDNN's binary and eltwise primitives, which run at
 * memory speed across the cores where Java 17's loops over off-heap memory do not (they are not
 * vectorized, and the Vector API kernels stage every block through a heap array). Below a per-op
 * size threshold, measured on the bench (docs/benchmarks.md, "Elementwise ops on oneDNN"), the Java
 * kernels stay: oneDNN's call costs 5-10 us.
 *
 * <p>What routes here (the table and the measurements are in docs/benchmarks.md):
 * <ul>
 *   <li>{@code add}, {@code sub}, {@code mul}, {@code div} on float32 operands of {@code out}'s shape,
 *       the second one (or, for {@code add} and {@code mul}, which commute exactly, either one)
 *       possibly broadcast: a single value, or a row repeated over leading dims (a bias): one IEEE
 *       operation per element, bit-identical to the Java loops.
 *   <li>{@code relu} and {@code exp} forward as binary primitives with post-ops ({@link #unaryPrim}):
 *       ReLU bit-identical, exp within a few ulps, NaN kept by both.
 *   <li>{@code sigmoid} forward (oneDNN's {@code logistic}): within a few ulps of the Java kernels,
 *       NaN and the infinities as they give them.
 *   <li>the gradients of sigmoid, tanh and (for one broadcast gradient value) ReLU, bit-identical to
 *       the composition ({@link #unaryBackward}).
 * </ul>
 * Not routed, measured on oneDNN 2.5.2 ({@code jit:avx2}): {@code maximum}/{@code minimum} drop a NaN
 * in the first operand and order signed zeros otherwise than {@code Math.max}; {@code log} maps NaN
 * and infinity to about 89; its {@code tanh} and {@code gelu_tanh} kernels ran 30-60x slower per
 * element than its exp here. oneDNN's own eltwise {@code relu} and {@code exp} lose NaN (0 and +inf),
 * which is why those two are built as chains.
 *
 * <p>Primitives are cached by op and element count (shapes do not matter to a contiguous elementwise
 * op, so every contiguous operand is described as one dimension) in their own small LRU cache, so
 * these calls never evict a convolution's primitives. Calls take the {@code Dnnl} class lock (one
 * stream, primitives whose memory handles are set per call); nothing inside calls back into Ember's
 * parallel loops, so the lock cannot deadlock with them.
 *
 * <p>Off where oneDNN is off ({@code -Dember.cpu.dnnl=false} or its natives did not load) or with
 * {@code -Dember.cpu.dnnlElementwise=false}; every method then returns false and the Java path runs.
 */
final class DnnlElementwise {
  /** The system property that keeps elementwise work off oneDNN ({@code -Dember.cpu.dnnlElementwise=false}). */
  static final String PROPERTY = "ember.cpu.dnnlElementwise";

  /** Whether elementwise work may go to oneDNN; a holder, so small calls never load oneDNN. */
  private static final class On {
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))
        && Dnnl.available();
  }

  /** From this many elements {@code add}/{@code sub}/{@code mul}/{@code div} run on oneDNN. */
  static final long BINARY_MIN_ELEMENTS = Long.getLong("ember.cpu.dnnlBinaryMinElements", 1L << 16);

  /** From this many elements {@code relu} runs on oneDNN. */
  static final long RELU_MIN_ELEMENTS = Long.getLong("ember.cpu.dnnlReluMinElements", 1L << 18);

  /** From this many elements {@code exp} runs on oneDNN. */
  static final long EXP_MIN_ELEMENTS = Long.getLong("ember.cpu.dnnlExpMinElements", 1L << 15);

  /** From this many elements {@code sigmoid} runs on oneDNN. */
  static final long SIGMOID_MIN_ELEMENTS = Long.getLong("ember.cpu.dnnlSigmoidMinElements", 1L << 15);

  private static final Dnnl.PrimCache CACHE = new Dnnl.PrimCache(64);
  private static long calls;

  /**
   * A primitive: what it computes ({@code UnaryOp.ordinal()} for a unary op, {@link #BACKWARD} on for a
   * gradient, a binary op's oneDNN algorithm), the element count and, for a binary op, the length of
   * the row its second operand repeats ({@code n}: none; 1: one value; 0 for the others).
   */
  private record Key(int what, long n, long inner) {}

  private DnnlElementwise() {}

  /** Returns how many elementwise calls have run on oneDNN in this JVM. */
  static long calls() {
    synchronized (Dnnl.class) {
      return calls;
    }
  }

  /**
   * Computes {@code out = op(a, b)} on oneDNN where it pays and is exact (see the class comment);
   * returns false to let the Java loops run it. Operands have {@code out}'s shape, broadcast dims
   * with stride 0.
   */
  static boolean binary(BinaryOp op, Strided a, Strided b, Strided out) {
    int alg = switch (op) {
      case ADD -> dnnl_binary_add;
      case SUB -> dnnl_binary_sub;
      case MUL -> dnnl_binary_mul;
      case DIV -> dnnl_binary_div;
      default -> -1;
    };
    long n = out.numel();
    if (alg < 0 || n < BINARY_MIN_ELEMENTS || !float32(a, b, out) || !out.isContiguous() || !On.ENABLED) {
      return false;
    }
    if (!a.isContiguous() && b.isContiguous() && (op == BinaryOp.ADD || op == BinaryOp.MUL)) {
      Strided t = a;   // a broadcast operand on the left: x + y and x * y commute exactly
      a = b;
      b = t;
    }
    if (!a.isContiguous()) {
      return false;
    }
    long inner = b.isContiguous() ? n : rowLength(b);   // b repeats a row of this many elements; 1: one value
    if (inner < 0) {
      return false;
    }
    synchronized (Dnnl.class) {
      Dnnl.Prim prim = CACHE.get(new Key(alg, n, inner), () -> {
        // one value: [1, n] op [1, 1] (as [n, 1] op [1, 1], oneDNN 2.5's jit kernel walks n rows of one
        // element: exp's backward on 1M floats took 10 ms instead of 0.3)
        dnnl_memory_desc_t src0 = inner == 1 ? matrix(1, n) : matrix(n / inner, inner);
        dnnl_memory_desc_t src1 = matrix(1, inner);
        dnnl_binary_desc_t d = new dnnl_binary_desc_t();
        Dnnl.check(dnnl_binary_desc_init(d, alg, src0, src1, src0), "binary");
        return jitOnly(new const_dnnl_op_desc_t(d), null, new int[] {DNNL_ARG_SRC_0, DNNL_ARG_SRC_1, DNNL_ARG_DST},
            src0, src1, src0);
      });
      return prim != null && counted(prim.run(a, b, out));
    }
  }

  /**
   * Returns {@code k} where {@code s} repeats one contiguous run of its last {@code k} elements over
   * all its leading elements (its leading dims have stride 0, its trailing ones are contiguous: a bias
   * row broadcast over a batch; {@code k = 1} for a single value), or -1 for any other layout.
   */
  private static long rowLength(Strided s) {
    int[] shape = s.shape();
    int[] strides = s.strides();
    long k = 1;
    int d = shape.length - 1;
    for (; d >= 0 && (shape[d] == 1 || strides[d] == k); d--) {
      k *= shape[d];
    }
    for (; d >= 0; d--) {
      if (shape[d] != 1 && strides[d] != 0) {
        return -1;
      }
    }
    return k;
  }

  /** A float32 memory descriptor of a contiguous [rows, cols] matrix. */
  private static dnnl_memory_desc_t matrix(long rows, long cols) {
    dnnl_memory_desc_t md = new dnnl_memory_desc_t();
    Dnnl.check(dnnl_memory_desc_init_by_tag(md, 2, new long[] {rows, cols}, dnnl_f32, dnnl_ab), "memory descriptor");
    return md;
  }

  /**
   * Computes {@code out = op(x)} on oneDNN where it pays and is exact or accurate (see the class
   * comment); returns false to let the Java kernels run it.
   */
  static boolean unary(UnaryOp op, Strided x, Strided out) {
    long n = out.numel();
    long min = switch (op) {
      case RELU -> RELU_MIN_ELEMENTS;
      case EXP -> EXP_MIN_ELEMENTS;
      case SIGMOID -> SIGMOID_MIN_ELEMENTS;
      default -> Long.MAX_VALUE;
    };
    if (n < min || !float32(x, out) || !x.isContiguous() || !out.isContiguous() || !On.ENABLED) {
      return false;
    }
    synchronized (Dnnl.class) {
      Dnnl.Prim prim = CACHE.get(new Key(op.ordinal(), n, 0), () -> unaryPrim(op, n));
      return prim != null && counted(op == UnaryOp.SIGMOID ? prim.run(x, out) : prim.run(x, zero(), out, x));
    }
  }

  /**
   * The primitive of {@code op} over {@code n} floats. ReLU and exp are binary primitives with
   * post-ops, arguments {@code (x, a zero, out, x)}: oneDNN's own relu and exp lose NaN in their
   * {@code max}/{@code min} clamps (their second operand is the constant), while a binary
   * {@code max(v, x)} post-op returns its second operand, x, when either is NaN.
   * <ul>
   *   <li>ReLU: {@code max(x, 0)}, then {@code max(., x)}, which returns x where x >= 0 (-0.0 for
   *       x = -0.0) and where x is NaN: {@code x < 0 ? +0.0 : x}, PyTorch's ReLU and the Java loops'
   *       bit for bit.
   *   <li>exp: {@code x + 0}, then exp, then {@code max(., x)}: exp(x) > x for every float but NaN
   *       (and +inf, where both are +inf), so this only puts NaN back.
   *   <li>sigmoid: oneDNN's eltwise {@code logistic}, which keeps NaN and the infinities' limits.
   * </ul>
   */
  private static Dnnl.Prim unaryPrim(UnaryOp op, long n) {
    dnnl_memory_desc_t data = vector(n);
    if (op == UnaryOp.SIGMOID) {
      dnnl_eltwise_desc_t d = new dnnl_eltwise_desc_t();
      Dnnl.check(dnnl_eltwise_forward_desc_init(d, dnnl_forward_inference, dnnl_eltwise_logistic, data, 0f, 0f),
          "eltwise");
      return jitOnly(new const_dnnl_op_desc_t(d), null, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, data, data);
    }
    return op == UnaryOp.RELU
        ? chain(n, dnnl_binary_max, vector(1), Post.binary(dnnl_binary_max, data))
        : chain(n, dnnl_binary_add, vector(1), Post.eltwise(dnnl_eltwise_exp, 0f, 0f),
            Post.binary(dnnl_binary_max, data));
  }

  /**
   * Computes an activation's gradient {@code out = op'(y, g)} ({@code Backend.unaryBackward}) on
   * oneDNN where it pays and is bit-identical to the composition; returns false to let the Java
   * kernels run it. {@code y} and {@code out} contiguous float32, {@code g} contiguous or one value.
   * Each is a binary primitive with post-ops that rounds every step in the composition's order:
   * <ul>
   *   <li>sigmoid {@code g * (y * (1 - y))}: {@code y * 1}, then {@code -1 * . + 1} (one rounding,
   *       as {@code 1 - y}), then {@code . * y}, then {@code . * g};
   *   <li>tanh {@code g * (1 - y * y)}: {@code y * y}, then {@code -1 * . + 1}, then {@code . * g};
   *   <li>ReLU {@code y > 0 ? g : +0} only where g is one finite value other than -0.0 (as
   *       {@code out.sum().backward()} sends): a step {@code s} of 1 where y > 0 (NaN: 0) from
   *       {@code max(y, 0) * 2^127 * 2^127} clipped to [0, 1], then {@code s * g}, then {@code + 0}
   *       (a binary add of a zero: oneDNN 2.5.2's jit binary kernel gives every {@code linear} post-op
   *       the constants of the first one, measured). A tensor gradient stays in Java: oneDNN has no
   *       select, and {@code 0 * g} is NaN for an infinite g.
   * </ul>
   */
  static boolean unaryBackward(UnaryBackwardOp op, Strided y, Strided g, Strided out) {
    long n = out.numel();
    long min = switch (op) {
      case RELU -> RELU_MIN_ELEMENTS;
      case SIGMOID, TANH -> BINARY_MIN_ELEMENTS;
    };
    if (n < min || !float32(y, g, out) || !y.isContiguous() || !out.isContiguous()) {
      return false;
    }
    boolean single = single(g);
    if (!single && (!g.isContiguous() || op == UnaryBackwardOp.RELU)) {
      return false;
    }
    if (op == UnaryBackwardOp.RELU) {
      float v = Raw.getFloat(((CpuStorage) g.storage()).at(g.offset()));
      if (!Float.isFinite(v) || Float.floatToRawIntBits(v) == Integer.MIN_VALUE) {
        return false;   // s * g + 0 would not give g's bits (-0.0) or 0 (0 * inf is NaN)
      }
    }
    if (!On.ENABLED) {
      return false;
    }
    synchronized (Dnnl.class) {
      Dnnl.Prim prim = CACHE.get(new Key(BACKWARD + 2 * op.ordinal() + (single ? 1 : 0), n, 0), () -> {
        dnnl_memory_desc_t grad = vector(single ? 1 : n);
        return switch (op) {
          case SIGMOID -> chain(n, dnnl_binary_mul, vector(1), Post.eltwise(dnnl_eltwise_linear, -1f, 1f),
              Post.binary(dnnl_binary_mul, vector(n)), Post.binary(dnnl_binary_mul, grad));
          case TANH -> chain(n, dnnl_binary_mul, vector(n), Post.eltwise(dnnl_eltwise_linear, -1f, 1f),
              Post.binary(dnnl_binary_mul, grad));
          case RELU -> chain(n, dnnl_binary_max, vector(1), Post.eltwise(dnnl_eltwise_linear, TWO_127, 0f),
              Post.eltwise(dnnl_eltwise_linear, TWO_127, 0f), Post.eltwise(dnnl_eltwise_clip, 0f, 1f),
              Post.binary(dnnl_binary_mul, grad), Post.binary(dnnl_binary_add, vector(1)));
        };
      });
      return prim != null && counted(switch (op) {
        case SIGMOID -> prim.run(y, one(), out, y, g);
        case TANH -> prim.run(y, y, out, g);
        case RELU -> prim.run(y, zero(), out, g, zero());
      });
    }
  }

  private static final float TWO_127 = 0x1p127f;
  /** Keys of backward primitives start here (forward ones are UnaryOp ordinals, binary ones oneDNN algs). */
  private static final int BACKWARD = 1 << 10;

  /** One post-op: an eltwise function {@code alg(alpha, beta)}, or with an operand, a binary op with it. */
  private record Post(int alg, float alpha, float beta, dnnl_memory_desc_t operand) {
    static Post eltwise(int alg, float alpha, float beta) {
      return new Post(alg, alpha, beta, null);
    }

    static Post binary(int alg, dnnl_memory_desc_t operand) {
      return new Post(alg, 0f, 0f, operand);
    }
  }

  /**
   * A binary primitive {@code src0 alg src1} over {@code n} floats followed by {@code posts}; run it
   * with the operands {@code (src0, src1, dst, the operand of each binary post-op in order)}.
   */
  private static Dnnl.Prim chain(long n, int alg, dnnl_memory_desc_t src1, Post... posts) {
    dnnl_memory_desc_t data = vector(n);
    dnnl_binary_desc_t d = new dnnl_binary_desc_t();
    Dnnl.check(dnnl_binary_desc_init(d, alg, data, src1, data), "binary");
    java.util.List<Integer> kinds = new java.util.ArrayList<>(java.util.List.of(DNNL_ARG_SRC_0, DNNL_ARG_SRC_1,
        DNNL_ARG_DST));
    java.util.List<dnnl_memory_desc_t> mds = new java.util.ArrayList<>(java.util.List.of(data, src1, data));
    try (PointerPointer<?> pp = new PointerPointer<>(1)) {
      Dnnl.check(dnnl_post_ops_create(pp), "post-ops");
      dnnl_post_ops postOps = new dnnl_post_ops(pp.get(0));
      Dnnl.check(dnnl_primitive_attr_create(pp), "attributes");
      dnnl_primitive_attr attr = new dnnl_primitive_attr(pp.get(0));
      try {
        for (int i = 0; i < posts.length; i++) {
          Post p = posts[i];
          if (p.operand() == null) {
            Dnnl.check(dnnl_post_ops_append_eltwise(postOps, 1f, p.alg(), p.alpha(), p.beta()), "post-op");
          } else {
            Dnnl.check(dnnl_post_ops_append_binary(postOps, p.alg(), p.operand()), "post-op");
            kinds.add(DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE * (i + 1) | DNNL_ARG_SRC_1);
            mds.add(p.operand());
          }
        }
        Dnnl.check(dnnl_primitive_attr_set_post_ops(attr, postOps), "post-ops");
        return jitOnly(new const_dnnl_op_desc_t(d), attr, kinds.stream().mapToInt(Integer::intValue).toArray(),
            mds.toArray(new dnnl_memory_desc_t[0]));
      } finally {
        dnnl_primitive_attr_destroy(attr);
        dnnl_post_ops_destroy(postOps);
      }
    }
  }

  private static Strided one;

  /** A float32 one in its own storage, the second operand of sigmoid's gradient. */
  private static Strided one() {
    if (one == null) {
      one = constant(1);
    }
    return one;
  }

  private static Strided constant(double value) {
    CpuStorage s = new CpuStorage(DType.FLOAT32, 1);
    Strided c = new Strided(s, DType.FLOAT32, new int[] {1}, new int[] {1}, 0);
    Elementwise.fill(c, value);
    return c;
  }

  private static Strided zero;

  /** A float32 zero in its own storage, the second operand of ReLU's and exp's binary primitive. */
  private static Strided zero() {
    if (zero == null) {
      zero = constant(0);
    }
    return zero;
  }

  /**
   * Creates the primitive (with {@code attr}'s post-ops, if any) unless oneDNN would run it on a
   * reference (unvectorized) kernel.
   */
  private static Dnnl.Prim jitOnly(const_dnnl_op_desc_t desc, dnnl_primitive_attr attr, int[] argKinds,
      dnnl_memory_desc_t... mds) {
    dnnl_primitive_desc pd;
    try (PointerPointer<?> pp = new PointerPointer<>(1)) {
      Dnnl.check(dnnl_primitive_desc_create(pp, desc, attr, Dnnl.ENGINE, null), "primitive descriptor");
      pd = new dnnl_primitive_desc(pp.get(0));
    }
    if (Dnnl.implementation(pd).startsWith("ref")) {
      dnnl_primitive_desc_destroy(pd);
      throw new Dnnl.Declined("reference elementwise kernel");
    }
    return new Dnnl.Prim(pd, null, argKinds, mds);
  }

  private static boolean counted(boolean ran) {
    if (ran) {
      calls++;
    }
    return ran;
  }

  /** A float32 memory descriptor of {@code n} contiguous elements. */
  private static dnnl_memory_desc_t vector(long n) {
    dnnl_memory_desc_t md = new dnnl_memory_desc_t();
    Dnnl.check(dnnl_memory_desc_init_by_tag(md, 1, new long[] {n}, dnnl_f32, dnnl_a), "memory descriptor");
    return md;
  }

  private static boolean float32(Strided... operands) {
    for (Strided s : operands) {
      if (s.dtype() != DType.FLOAT32) {
        return false;
      }
    }
    return true;
  }

  /** Whether every element of {@code s} is the same one (all strides 0: a broadcast value). */
  private static boolean single(Strided s) {
    for (int stride : s.strides()) {
      if (stride != 0) {
        return false;
      }
    }
    return true;
  }
}
