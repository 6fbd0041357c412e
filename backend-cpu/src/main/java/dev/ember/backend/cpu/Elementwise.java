package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;

/**
 * Elementwise kernels in plain Java over strided off-heap storage. Floating dtypes compute in
 * double and round once on store; integer and bool dtypes compute in long. Contiguous float32
 * runs of the common ops take dedicated loops; large contiguous float32 add, sub, mul, div and
 * sigmoid go to oneDNN first ({@link DnnlElementwise}).
 */
final class Elementwise {
  private Elementwise() {}

  static CpuStorage storage(Strided s) {
    return (CpuStorage) s.storage();
  }

  static void copy(Strided src, Strided out) {
    CpuStorage x = storage(src);
    CpuStorage y = storage(out);
    int size = src.dtype().byteSize();
    if (src.dtype() == out.dtype() && src.isContiguous() && out.isContiguous()) {
      long n = out.numel();
      org.bytedeco.javacpp.Pointer.memcpy(y.pointer().getPointer(out.offset() * size),
          x.pointer().getPointer(src.offset() * size), n * size);
      return;
    }
    int[][] strides = {out.strides(), src.strides()};
    long[] offsets = {out.offset(), src.offset()};
    if (src.dtype() == out.dtype() && StridedCopy.copyRuns(src, out, size)) {
      return;
    }
    if (src.dtype() == out.dtype()) {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, u, su, n) ->
          FastLoops.copySame(size, x.at(i), (long) si * size, y.at(o), (long) so * size, n));
      return;
    }
    if (src.dtype() == DType.BOOL && out.dtype() == DType.FLOAT32) {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, u, su, n) ->
          FastLoops.boolToF32(x.at(i), si, y.at(o), 4L * so, n));
      return;
    }
    if (src.dtype().isHalf() && out.dtype() == DType.FLOAT32) {
      boolean bfloat = src.dtype() == DType.BFLOAT16;
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, u, su, n) ->
          HalfFloats.toFloat32(bfloat, x.at(i), 2L * si, y.at(o), 4L * so, n));
      return;
    }
    if (src.dtype() == DType.FLOAT32 && out.dtype().isHalf()) {
      boolean bfloat = out.dtype() == DType.BFLOAT16;
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, u, su, n) ->
          HalfFloats.fromFloat32(bfloat, x.at(i), 4L * si, y.at(o), 2L * so, n));
      return;
    }
    boolean floating = src.dtype().isFloatingPoint();
    StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, u, su, n) -> {
      for (int k = 0; k < n; k++, o += so, i += si) {
        if (floating) {
          y.setDouble(o, x.getDouble(i));
        } else {
          y.setLong(o, x.getLong(i));
        }
      }
    });
  }

  static void fill(Strided out, double value) {
    CpuStorage y = storage(out);
    if (out.dtype() == DType.FLOAT32) {
      float v = (float) value;
      StridedLoop.forEachParallel(out.shape(), new int[][] {out.strides()}, new long[] {out.offset()},
          (o, so, a, sa, b, sb, n) -> FastLoops.fillF32(y.at(o), 4L * so, n, v));
      return;
    }
    boolean floating = out.dtype().isFloatingPoint();
    long asLong = (long) value;
    StridedLoop.forEachParallel(out.shape(), new int[][] {out.strides()}, new long[] {out.offset()},
        (o, so, a, sa, b, sb, n) -> {
          for (int k = 0; k < n; k++, o += so) {
            if (floating) {
              y.setDouble(o, value);
            } else {
              y.setLong(o, asLong);
            }
          }
        });
  }

  static double unaryDouble(UnaryOp op, double x) {
    return switch (op) {
      case NEG -> -x;
      case ABS -> Math.abs(x);
      case SIGN -> x > 0 ? 1 : x < 0 ? -1 : 0; // PyTorch's: +0.0 for -0.0 and for NaN
      case EXP -> Math.exp(x);
      case EXPM1 -> Math.expm1(x);
      case LOG -> Math.log(x);
      case LOG1P -> Math.log1p(x);
      case SQRT -> Math.sqrt(x);
      case RSQRT -> 1 / Math.sqrt(x);
      case RECIPROCAL -> 1 / x;
      case SIN -> Math.sin(x);
      case COS -> Math.cos(x);
      case TANH -> tanh(x);
      case SIGMOID -> {
        double e = Math.exp(-Math.abs(x));
        yield x >= 0 ? 1 / (1 + e) : e / (1 + e);
      }
      case RELU -> x < 0 ? 0 : x; // PyTorch's: negatives to +0.0; -0.0 and NaN stay
      case ERF -> Erf.erf(x);
      case FLOOR -> Math.floor(x);
      case CEIL -> Math.ceil(x);
      case ROUND -> Math.rint(x);
      case LOGICAL_NOT -> x == 0 ? 1 : 0;
      case GELU -> 0.5 * x * (1 + Erf.erf(x * SQRT_HALF));
      case GELU_GRAD -> 0.5 * (1 + Erf.erf(x * SQRT_HALF)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
      case GELU_TANH -> 0.5 * x * (1 + tanh(GELU_K0 * (x + GELU_K1 * x * x * x)));
      case GELU_TANH_GRAD -> {
        double t = tanh(GELU_K0 * (x + GELU_K1 * x * x * x));
        yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K0 * (1 + 3 * GELU_K1 * x * x);
      }
    };
  }

  private static final double SQRT_HALF = Math.sqrt(0.5);
  private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
  private static final double GELU_K0 = Math.sqrt(2 / Math.PI);
  private static final double GELU_K1 = 0.044715;

  /**
   * Returns tanh(x): {@code (1 - e^-2|x|) / (1 + e^-2|x|)} with the sign of x, which costs one
   * exp (the JDK's Math.tanh is several times slower here), and Math.tanh near 0 where that form
   * would cancel.
   */
  static double tanh(double x) {
    double a = Math.abs(x);
    if (a < 0.5 || Double.isNaN(x)) {
      return Math.tanh(x);
    }
    double e = Math.exp(-2 * a);
    return Math.copySign((1 - e) / (1 + e), x);
  }

  static long unaryLong(UnaryOp op, long x) {
    return switch (op) {
      case NEG -> -x;
      case ABS -> Math.abs(x);
      case SIGN -> Long.signum(x);
      case RELU -> Math.max(x, 0);
      case FLOOR, CEIL, ROUND -> x;
      case LOGICAL_NOT -> x == 0 ? 1 : 0;
      default -> throw new UnsupportedOperationException(op.name().toLowerCase(java.util.Locale.ROOT)
          + ": not supported for integer tensors on cpu");
    };
  }

  static void unary(UnaryOp op, Strided xs, Strided out) {
    if (DnnlElementwise.unary(op, xs, out)) {
      return;
    }
    boolean vector = xs.dtype() == DType.FLOAT32 && out.dtype() == DType.FLOAT32 && VectorSupport.handles(op)
        && !Nd4jKernels.PREFERRED_OVER_VECTOR;
    if (!vector && (Nd4jKernels.unary(op, xs, out) || GeluKernels.unary(op, xs, out))) {
      return;
    }
    CpuStorage x = storage(xs);
    CpuStorage y = storage(out);
    int[][] strides = {out.strides(), xs.strides()};
    long[] offsets = {out.offset(), xs.offset()};
    long threshold = costly(op) ? StridedLoop.COSTLY_PARALLEL_THRESHOLD : StridedLoop.PARALLEL_THRESHOLD;
    if (xs.dtype() == DType.FLOAT32 && out.dtype() == DType.FLOAT32) {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, threshold, (o, so, i, si, u, su, n) ->
          FastLoops.unaryF32(op, x.at(i), 4L * si, y.at(o), 4L * so, n));
      return;
    }
    if (xs.dtype() == DType.FLOAT64 && out.dtype() == DType.FLOAT64) {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, threshold, (o, so, i, si, u, su, n) ->
          FastLoops.unaryF64(op, x.at(i), 8L * si, y.at(o), 8L * so, n));
      return;
    }
    boolean floating = xs.dtype().isFloatingPoint();
    if (!floating) {
      unaryLong(op, 0); // rejects floating-only ops before touching data
    }
    StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, u, su, n) -> {
      for (int k = 0; k < n; k++, o += so, i += si) {
        if (floating) {
          y.setDouble(o, unaryDouble(op, x.getDouble(i)));
        } else {
          y.setLong(o, unaryLong(op, x.getLong(i)));
        }
      }
    });
  }

  /**
   * Whether {@code op} costs several times a copy per element (a transcendental function, a square
   * root or a division), so splitting it across threads pays from {@link
   * StridedLoop#COSTLY_PARALLEL_THRESHOLD} elements rather than {@link StridedLoop#PARALLEL_THRESHOLD}.
   */
  static boolean costly(UnaryOp op) {
    return switch (op) {
      case NEG, ABS, SIGN, RELU, FLOOR, CEIL, ROUND, LOGICAL_NOT -> false;
      default -> true;
    };
  }

  /**
   * {@code a^b} as C's {@code pow} (and PyTorch) defines it: {@link Math#pow} but for 1^y = 1 for every
   * y, NaN included, and (-1)^(+-inf) = 1, where Java's gives NaN.
   */
  static double pow(double a, double b) {
    return a == 1 || (a == -1 && Double.isInfinite(b)) ? 1 : Math.pow(a, b);
  }

  static double binaryDouble(BinaryOp op, double a, double b) {
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> pow(a, b);
      // PyTorch's (and the CUDA kernels'): NaN from either side; of two equal values (+0.0, -0.0) the second
      case MAXIMUM -> a > b || Double.isNaN(a) ? a : b;
      case MINIMUM -> a < b || Double.isNaN(a) ? a : b;
      case FMOD -> a % b; // Java's floating % is C's fmod, exact
      case EQ -> a == b ? 1 : 0;
      case NE -> a != b ? 1 : 0;
      case LT -> a < b ? 1 : 0;
      case LE -> a <= b ? 1 : 0;
      case GT -> a > b ? 1 : 0;
      case GE -> a >= b ? 1 : 0;
      case LOGICAL_AND -> a != 0 && b != 0 ? 1 : 0;
      case LOGICAL_OR -> a != 0 || b != 0 ? 1 : 0;
      case LOGICAL_XOR -> (a != 0) != (b != 0) ? 1 : 0;
    };
  }

  static long binaryLong(BinaryOp op, long a, long b) {
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> {
        if (b == 0) {
          throw new ArithmeticException("div: integer division by zero");
        }
        yield a / b;
      }
      case POW -> {
        if (b < 0) {
          throw new IllegalArgumentException("pow: integers to negative integer powers are not allowed");
        }
        long r = 1;
        for (long i = 0; i < b; i++) {
          r *= a;
        }
        yield r;
      }
      case MAXIMUM -> Math.max(a, b);
      case MINIMUM -> Math.min(a, b);
      case FMOD -> {
        if (b == 0) {
          throw new ArithmeticException("fmod: integer division by zero");
        }
        yield a % b;
      }
      case EQ -> a == b ? 1 : 0;
      case NE -> a != b ? 1 : 0;
      case LT -> a < b ? 1 : 0;
      case LE -> a <= b ? 1 : 0;
      case GT -> a > b ? 1 : 0;
      case GE -> a >= b ? 1 : 0;
      case LOGICAL_AND -> a != 0 && b != 0 ? 1 : 0;
      case LOGICAL_OR -> a != 0 || b != 0 ? 1 : 0;
      case LOGICAL_XOR -> (a != 0) != (b != 0) ? 1 : 0;
    };
  }

  static void binary(BinaryOp op, Strided as, Strided bs, Strided out) {
    if (DnnlElementwise.binary(op, as, bs, out)) {
      return;
    }
    CpuStorage a = storage(as);
    CpuStorage b = storage(bs);
    CpuStorage y = storage(out);
    int[][] strides = {out.strides(), as.strides(), bs.strides()};
    long[] offsets = {out.offset(), as.offset(), bs.offset()};
    int outSize = out.dtype().byteSize();
    if (as.dtype() == DType.FLOAT32) {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, j, sj, n) ->
          FastLoops.binaryF32(op, a.at(i), 4L * si, b.at(j), 4L * sj, y.at(o), (long) outSize * so, n));
      return;
    }
    if (as.dtype() == DType.FLOAT64) {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, j, sj, n) ->
          FastLoops.binaryF64(op, a.at(i), 8L * si, b.at(j), 8L * sj, y.at(o), (long) outSize * so, n));
      return;
    }
    StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, j, sj, n) -> {
      for (int k = 0; k < n; k++, o += so, i += si, j += sj) {
        y.setLong(o, binaryLong(op, a.getLong(i), b.getLong(j)));
      }
    });
  }

  static void axpby(double alpha, Strided as, double beta, Strided bs, Strided out) {
    CpuStorage a = storage(as);
    CpuStorage b = storage(bs);
    CpuStorage y = storage(out);
    int[][] strides = {out.strides(), as.strides(), bs.strides()};
    long[] offsets = {out.offset(), as.offset(), bs.offset()};
    if (out.dtype() == DType.FLOAT32) {
      float fa = (float) alpha;
      float fb = (float) beta;
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, j, sj, n) ->
          FastLoops.axpbyF32(fa, a.at(i), 4L * si, fb, b.at(j), 4L * sj, y.at(o), 4L * so, n));
      return;
    }
    StridedLoop.forEachParallel(out.shape(), strides, offsets, (o, so, i, si, j, sj, n) -> {
      for (int k = 0; k < n; k++, o += so, i += si, j += sj) {
        y.setDouble(o, alpha * a.getDouble(i) + beta * b.getDouble(j));
      }
    });
  }

  static void where(Strided cs, Strided as, Strided bs, Strided out) {
    CpuStorage c = storage(cs);
    CpuStorage a = storage(as);
    CpuStorage b = storage(bs);
    CpuStorage y = storage(out);
    if (out.dtype() == DType.FLOAT32) {
      StridedLoop.forEach4(out.shape(), new int[][] {out.strides(), as.strides(), bs.strides(), cs.strides()},
          new long[] {out.offset(), as.offset(), bs.offset(), cs.offset()},
          (o, so, i, si, j, sj, q, sq, n) ->
              FastLoops.whereF32(c.at(q), sq, a.at(i), 4L * si, b.at(j), 4L * sj, y.at(o), 4L * so, n));
      return;
    }
    boolean floating = out.dtype().isFloatingPoint();
    StridedLoop.forEach4(out.shape(), new int[][] {out.strides(), as.strides(), bs.strides(), cs.strides()},
        new long[] {out.offset(), as.offset(), bs.offset(), cs.offset()},
        (o, so, i, si, j, sj, q, sq, n) -> {
          for (int k = 0; k < n; k++, o += so, i += si, j += sj, q += sq) {
            boolean take = c.bytes.get(q) != 0;
            if (floating) {
              y.setDouble(o, take ? a.getDouble(i) : b.getDouble(j));
            } else {
              y.setLong(o, take ? a.getLong(i) : b.getLong(j));
            }
          }
        });
  }
}
