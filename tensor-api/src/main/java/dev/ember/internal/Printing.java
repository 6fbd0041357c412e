package dev.ember.internal;

import dev.ember.DType;
import dev.ember.Tensor;

/**
 * Formats tensors as PyTorch prints them: {@code tensor([[1., 2.], [3., 4.]])}, with ellipses for
 * tensors over 1000 elements (3 entries each side), and the dtype, device and grad_fn when PyTorch
 * would show them.
 */
public final class Printing {
  private static final int THRESHOLD = 1000;
  private static final int EDGE = 3;

  private Printing() {}

  /** Returns the PyTorch-style string for a tensor. */
  public static String format(Tensor t) {
    double[] values = t.toDoubleArray();
    int[] shape = t.shapeArray();
    boolean summarize = values.length > THRESHOLD;
    boolean floating = t.dtype().isFloatingPoint();
    boolean allIntegral = true;
    double maxAbs = 0;
    for (double v : values) {
      if (Double.isFinite(v)) {
        allIntegral &= v == Math.rint(v);
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
    }
    boolean scientific = floating && (maxAbs >= 1e8 || (maxAbs > 0 && maxAbs < 1e-4));
    StringBuilder sb = new StringBuilder("tensor(");
    int[] strides = new int[shape.length];
    int acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      strides[i] = acc;
      acc *= shape[i];
    }
    if (shape.length == 0) {
      sb.append(element(values[0], t.dtype(), allIntegral, scientific));
    } else {
      appendLevel(sb, values, shape, strides, 0, 0, t.dtype(), allIntegral, scientific, summarize, 7);
    }
    if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.INT64 && t.dtype() != DType.BOOL) {
      sb.append(", dtype=torch.").append(t.dtype().pytorchName());
    }
    if (!t.device().isCpu()) {
      sb.append(", device='").append(t.device()).append("'");
    }
    if (t.gradFn() != null) {
      sb.append(", grad_fn=").append(t.gradFn());
    } else if (t.requiresGrad()) {
      sb.append(", requires_grad=True");
    }
    return sb.append(")").toString();
  }

  private static void appendLevel(StringBuilder sb, double[] v, int[] shape, int[] strides, int dim, int base,
      DType type, boolean integral, boolean sci, boolean summarize, int indent) {
    sb.append('[');
    int n = shape[dim];
    for (int i = 0; i < n; i++) {
      if (summarize && n > 2 * EDGE && i == EDGE) {
        sb.append(dim == shape.length - 1 ? "..., " : "...,\n" + " ".repeat(indent + dim + 1));
        i = n - EDGE;
      }
      if (dim == shape.length - 1) {
        sb.append(element(v[base + i * strides[dim]], type, integral, sci));
      } else {
        appendLevel(sb, v, shape, strides, dim + 1, base + i * strides[dim], type, integral, sci, summarize,
            indent);
      }
      if (i < n - 1) {
        sb.append(dim == shape.length - 1 ? ", " : ",\n" + "\n".repeat(Math.max(0, shape.length - dim - 2))
            + " ".repeat(indent + dim + 1));
      }
    }
    sb.append(']');
  }

  private static String element(double x, DType type, boolean integral, boolean sci) {
    if (type == DType.BOOL) {
      return x != 0 ? "True" : "False";
    }
    if (!type.isFloatingPoint()) {
      return Long.toString((long) x);
    }
    if (Double.isNaN(x)) {
      return "nan";
    }
    if (Double.isInfinite(x)) {
      return x > 0 ? "inf" : "-inf";
    }
    if (sci) {
      return String.format(java.util.Locale.ROOT, "%.4e", x);
    }
    if (integral) {
      return String.format(java.util.Locale.ROOT, "%.0f.", x);
    }
    return String.format(java.util.Locale.ROOT, "%.4f", x);
  }
}
