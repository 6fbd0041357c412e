package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;

/**
 * Elementwise kernels in plain Java over strided off-heap storage. Floating dtypes compute in
 * double and round once on store; integer and bool dtypes compute in long. Contiguous float32
 * runs of the common ops take dedicated loops.
 */
final class Elementwise {
  private Elementwise() {}

  static CpuStorage storage(Strided s) {
    return (CpuStorage) s.storage();
  }

  static void copy(Strided src, Strided out) {
    CpuStorage x = storage(src);
    CpuStorage y = storage(out);
    if (src.dtype() == out.dtype() && src.isContiguous() && out.isContiguous()) {
      int size = src.dtype().byteSize();
      long n = out.numel();
      org.bytedeco.javacpp.Pointer.memcpy(y.pointer().getPointer(out.offset() * size),
          x.pointer().getPointer(src.offset() * size), n * size);
      return;
    }
    boolean floating = src.dtype().isFloatingPoint();
    StridedLoop.forEach(out.shape(), new int[][] {out.strides(), src.strides()},
        new long[] {out.offset(), src.offset()}, (o, so, i, si, u, su, n) -> {
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
    boolean floating = out.dtype().isFloatingPoint();
    long asLong = (long) value;
    StridedLoop.forEach(out.shape(), new int[][] {out.strides()}, new long[] {out.offset()},
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
      case SIGN -> Math.signum(x);
      case EXP -> Math.exp(x);
      case EXPM1 -> Math.expm1(x);
      case LOG -> Math.log(x);
      case LOG1P -> Math.log1p(x);
      case SQRT -> Math.sqrt(x);
      case RSQRT -> 1 / Math.sqrt(x);
      case RECIPROCAL -> 1 / x;
      case SIN -> Math.sin(x);
      case COS -> Math.cos(x);
      case TANH -> Math.tanh(x);
      case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
      case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0);
      case ERF -> Erf.erf(x);
      case FLOOR -> Math.floor(x);
      case CEIL -> Math.ceil(x);
      case ROUND -> Math.rint(x);
      case LOGICAL_NOT -> x == 0 ? 1 : 0;
    };
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
    CpuStorage x = storage(xs);
    CpuStorage y = storage(out);
    boolean floating = xs.dtype().isFloatingPoint();
    if (!floating) {
      unaryLong(op, 0); // rejects floating-only ops before touching data
    }
    if (floating && xs.dtype() == DType.FLOAT32 && out.dtype() == DType.FLOAT32) {
      StridedLoop.forEach(out.shape(), new int[][] {out.strides(), xs.strides()},
          new long[] {out.offset(), xs.offset()}, (o, so, i, si, u, su, n) -> {
            for (int k = 0; k < n; k++, o += so, i += si) {
              y.f32.put(o, (float) unaryDouble(op, x.f32.get(i)));
            }
          });
      return;
    }
    StridedLoop.forEach(out.shape(), new int[][] {out.strides(), xs.strides()},
        new long[] {out.offset(), xs.offset()}, (o, so, i, si, u, su, n) -> {
          for (int k = 0; k < n; k++, o += so, i += si) {
            if (floating) {
              y.setDouble(o, unaryDouble(op, x.getDouble(i)));
            } else {
              y.setLong(o, unaryLong(op, x.getLong(i)));
            }
          }
        });
  }

  static double binaryDouble(BinaryOp op, double a, double b) {
    return switch (op) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> Math.pow(a, b);
      case MAXIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
      case MINIMUM -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
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
    CpuStorage a = storage(as);
    CpuStorage b = storage(bs);
    CpuStorage y = storage(out);
    int[][] strides = {out.strides(), as.strides(), bs.strides()};
    long[] offsets = {out.offset(), as.offset(), bs.offset()};
    if (as.dtype() == DType.FLOAT32 && out.dtype() == DType.FLOAT32) {
      StridedLoop.forEach(out.shape(), strides, offsets, (o, so, i, si, j, sj, n) -> {
        for (int k = 0; k < n; k++, o += so, i += si, j += sj) {
          float x = a.f32.get(i);
          float z = b.f32.get(j);
          float r = switch (op) {
            case ADD -> x + z;
            case SUB -> x - z;
            case MUL -> x * z;
            case DIV -> x / z;
            default -> (float) binaryDouble(op, x, z);
          };
          y.f32.put(o, r);
        }
      });
      return;
    }
    boolean floating = as.dtype().isFloatingPoint();
    StridedLoop.forEach(out.shape(), strides, offsets, (o, so, i, si, j, sj, n) -> {
      for (int k = 0; k < n; k++, o += so, i += si, j += sj) {
        if (floating) {
          y.setDouble(o, binaryDouble(op, a.getDouble(i), b.getDouble(j)));
        } else {
          y.setLong(o, binaryLong(op, a.getLong(i), b.getLong(j)));
        }
      }
    });
  }

  static void where(Strided cs, Strided as, Strided bs, Strided out) {
    CpuStorage c = storage(cs);
    CpuStorage a = storage(as);
    CpuStorage b = storage(bs);
    CpuStorage y = storage(out);
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
