package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryBackwardOp;

/**
 * The gradients of ReLU, sigmoid and tanh from their output {@code y} and incoming gradient {@code
 * g} ({@code Backend.unaryBackward}) in one pass: one read of each operand and one write, where the
 * composition makes two or three passes and a temporary. Each step is rounded to the dtype in the
 * composition's order ({@code g * (y * (1 - y))}, {@code g * (1 - y * y)}; Java float arithmetic
 * rounds every operation), so the results equal the composition's bit for bit. Unit-stride float32
 * runs (and a gradient broadcast from one value, as {@code out.sum().backward()} sends) run on the
 * Vector API ({@link VectorMath#unaryBackwardF32}: 0.3 ns per element here, against 0.7-1 ns for
 * the Unsafe loops below, which serve JVMs without the vector module); large tensors are split
 * across the threads by {@link StridedLoop}, or go to oneDNN first ({@link DnnlElementwise#unaryBackward},
 * with the same roundings in the same order).
 */
final class ActivationGrads {
  private ActivationGrads() {}

  /**
   * Computes {@code out = op'(y, g)} for float32 or float64 operands of {@code out}'s shape; returns
   * false for other dtypes (the SPI's composition then runs).
   */
  static boolean unaryBackward(UnaryBackwardOp op, Strided ys, Strided gs, Strided out) {
    DType t = out.dtype();
    if ((t != DType.FLOAT32 && t != DType.FLOAT64) || ys.dtype() != t || gs.dtype() != t) {
      return false;
    }
    if (DnnlElementwise.unaryBackward(op, ys, gs, out)) {
      return true;
    }
    CpuStorage y = (CpuStorage) ys.storage();
    CpuStorage g = (CpuStorage) gs.storage();
    CpuStorage o = (CpuStorage) out.storage();
    int[][] strides = {out.strides(), ys.strides(), gs.strides()};
    long[] offsets = {out.offset(), ys.offset(), gs.offset()};
    if (t == DType.FLOAT32) {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (po, so, py, sy, pg, sg, n) ->
          f32(op, y.at(py), 4L * sy, g.at(pg), 4L * sg, o.at(po), 4L * so, n));
    } else {
      StridedLoop.forEachParallel(out.shape(), strides, offsets, (po, so, py, sy, pg, sg, n) ->
          f64(op, y.at(py), 8L * sy, g.at(pg), 8L * sg, o.at(po), 8L * so, n));
    }
    return true;
  }

  /**
   * Returns all ones where the float with bits {@code b} is greater than 0 (positive, not zero, not
   * NaN: {@code 1 <= b <= 0x7f800000}), else 0; integer arithmetic only, so the loop vectorizes.
   */
  private static int positiveMask(int b) {
    int c = b - 1;
    return ((c | (0x7f7fffff - c)) >> 31) ^ -1;
  }

  /**
   * Float32 runs of {@code n} elements; strides in bytes. Each op and layout has its own small loop
   * method, so C2 compiles (and vectorizes) each on its own profile.
   */
  static void f32(UnaryBackwardOp op, long y, long sy, long g, long sg, long o, long so, int n) {
    if (sy == 4 && so == 4 && (sg == 4 || sg == 0)) {
      if (VectorSupport.unaryBackwardF32(op, y, g, sg == 0, o, n)) {
        return;
      }
      switch (op) {
        case RELU -> {
          if (sg == 0) {
            reluScalarGrad(y, Raw.getInt(g), o, n);
          } else {
            relu(y, g, o, n);
          }
        }
        case SIGMOID -> {
          if (sg == 0) {
            sigmoidScalarGrad(y, Raw.getFloat(g), o, n);
          } else {
            sigmoid(y, g, o, n);
          }
        }
        case TANH -> {
          if (sg == 0) {
            tanhScalarGrad(y, Raw.getFloat(g), o, n);
          } else {
            tanh(y, g, o, n);
          }
        }
      }
      return;
    }
    for (int k = 0; k < n; k++, y += sy, g += sg, o += so) {
      float v = Raw.getFloat(y);
      switch (op) {
        case RELU -> Raw.putInt(o, Raw.getInt(g) & positiveMask(Raw.getInt(y)));
        case SIGMOID -> Raw.putFloat(o, Raw.getFloat(g) * (v * (1f - v)));
        case TANH -> Raw.putFloat(o, Raw.getFloat(g) * (1f - v * v));
      }
    }
  }

  private static void relu(long y, long g, long o, int n) {
    for (int k = 0; k < n; k++) {
      Raw.putInt(o + 4L * k, Raw.getInt(g + 4L * k) & positiveMask(Raw.getInt(y + 4L * k)));
    }
  }

  /** ReLU's gradient when one value {@code gb} (its bits) is the gradient of every element. */
  private static void reluScalarGrad(long y, int gb, long o, int n) {
    for (int k = 0; k < n; k++) {
      Raw.putInt(o + 4L * k, gb & positiveMask(Raw.getInt(y + 4L * k)));
    }
  }

  private static void sigmoid(long y, long g, long o, int n) {
    for (int k = 0; k < n; k++) {
      float v = Raw.getFloat(y + 4L * k);
      Raw.putFloat(o + 4L * k, Raw.getFloat(g + 4L * k) * (v * (1f - v)));
    }
  }

  private static void sigmoidScalarGrad(long y, float gv, long o, int n) {
    for (int k = 0; k < n; k++) {
      float v = Raw.getFloat(y + 4L * k);
      Raw.putFloat(o + 4L * k, gv * (v * (1f - v)));
    }
  }

  private static void tanh(long y, long g, long o, int n) {
    for (int k = 0; k < n; k++) {
      float v = Raw.getFloat(y + 4L * k);
      Raw.putFloat(o + 4L * k, Raw.getFloat(g + 4L * k) * (1f - v * v));
    }
  }

  private static void tanhScalarGrad(long y, float gv, long o, int n) {
    for (int k = 0; k < n; k++) {
      float v = Raw.getFloat(y + 4L * k);
      Raw.putFloat(o + 4L * k, gv * (1f - v * v));
    }
  }

  /** Float64 runs of {@code n} elements; strides in bytes. */
  static void f64(UnaryBackwardOp op, long y, long sy, long g, long sg, long o, long so, int n) {
    for (int k = 0; k < n; k++, y += sy, g += sg, o += so) {
      double v = Raw.getDouble(y);
      switch (op) {
        case RELU -> Raw.putDouble(o, v > 0 ? Raw.getDouble(g) : 0.0);
        case SIGMOID -> Raw.putDouble(o, Raw.getDouble(g) * (v * (1 - v)));
        case TANH -> Raw.putDouble(o, Raw.getDouble(g) * (1 - v * v));
      }
    }
  }
}
