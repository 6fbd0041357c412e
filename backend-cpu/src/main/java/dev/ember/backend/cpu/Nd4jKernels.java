package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Cos;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sin;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Large transcendental elementwise work on ND4J's native kernels (vectorized, multithreaded in
 * libnd4j): measured here on 800k float32 elements, exp 1.9 ms and tanh 5 ms against 8 and 21 ms in
 * Java loops. ND4J's per-call cost (50-300 us to wrap memory and dispatch) makes it a loss below
 * {@link #MIN_ELEMENTS}, so small tensors stay in Java. Our off-heap blocks are wrapped as ND4J
 * buffers without copying. If ND4J's natives cannot load, everything stays in Java.
 */
final class Nd4jKernels {
  /** Below this many elements the Java loops win. */
  static final long MIN_ELEMENTS = Long.getLong("ember.cpu.nd4jMinElements", 1L << 17);

  /**
   * Whether large float32 ops that the Vector API kernels compute still go to ND4J
   * ({@code -Dember.cpu.nd4jOverVector=true}; off by default: the vector loops measured faster).
   */
  static final boolean PREFERRED_OVER_VECTOR = Boolean.getBoolean("ember.cpu.nd4jOverVector");

  private Nd4jKernels() {}

  private static final class Loaded {
    static final boolean OK = load();

    private static boolean load() {
      if (Boolean.getBoolean("ember.cpu.noNd4j")) {
        return false;
      }
      try {
        Nd4j.create(DataType.FLOAT, 1);
        return true;
      } catch (Throwable e) {
        System.err.println("[ember] ND4J natives unavailable, using Java kernels only: " + e);
        return false;
      }
    }
  }

  /** Returns whether ND4J's natives loaded (large transcendental ops then run there). */
  static boolean available() {
    return Loaded.OK;
  }

  /** Runs {@code op} on ND4J when it pays; returns false to let the caller run it in Java. */
  static boolean unary(UnaryOp op, Strided x, Strided out) {
    if (x.numel() < MIN_ELEMENTS || x.dtype() != out.dtype()
        || (x.dtype() != DType.FLOAT32 && x.dtype() != DType.FLOAT64)
        || !x.isContiguous() || !out.isContiguous() || !supported(op, x.dtype()) || !Loaded.OK) {
      return false;
    }
    INDArray in = wrap(x);
    INDArray result = wrap(out);
    Nd4j.exec(switch (op) {
      case EXP -> new Exp(in, result);
      case LOG -> new Log(in, result);
      case TANH -> new Tanh(in, result);
      case SIGMOID -> new Sigmoid(in, result);
      case SIN -> new Sin(in, result);
      case COS -> new Cos(in, result);
      case ERF -> new Erf(in, result);
      case SQRT -> new Sqrt(in, result);
      case RSQRT -> new RSqrt(in, result);
      default -> throw new AssertionError(op);
    });
    return true;
  }

  /**
   * The ops ND4J computes within a few ulps. Not {@code expm1} and {@code log1p} (libnd4j computes them
   * as {@code exp(x) - 1} and {@code log(1 + x)}: 0 or 1.19e-7 for log1p(1e-9) in float32, 1.7e7 ulps
   * off, and 5.5e11 ulps in float64, near 0, the very inputs these functions exist for), nor {@code
   * tanh} in float64 (tanh(1e-45) gave 0; 1.4e11 ulps off near 0). Measured over 300,000 values of
   * magnitude 1e-12 to 100 against {@code Math}: every op here within 5 ulps (docs/benchmarks.md, "tenth
   * round").
   */
  private static boolean supported(UnaryOp op, DType dtype) {
    return switch (op) {
      case EXP, LOG, SIGMOID, SIN, COS, ERF, SQRT, RSQRT -> true;
      case TANH -> dtype == DType.FLOAT32;
      default -> false;
    };
  }

  private static INDArray wrap(Strided s) {
    CpuStorage st = (CpuStorage) s.storage();
    long n = s.numel();
    boolean single = s.dtype() == DType.FLOAT32;
    Pointer at = single ? st.floatPointer(s.offset()) : st.doublePointer(s.offset());
    DataType type = single ? DataType.FLOAT : DataType.DOUBLE;
    DataBuffer buffer = Nd4j.createBuffer(at, n, type);
    return Nd4j.create(buffer, new long[] {n}, new long[] {1}, 0, 'c', type);
  }
}
