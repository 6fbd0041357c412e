package dev.ember.internal;

import dev.ember.DType;
import dev.ember.Tensor;
import java.util.Locale;

/**
 * Formats tensors as PyTorch prints them: {@code tensor([[ 4.,  5.], [10., 11.]])} with every
 * element padded to one width, 4 decimals (or none when all values are whole), scientific notation
 * when magnitudes span more than 1000x or leave [1e-4, 1e8), rows wrapped at 80 columns,
 * ellipses for tensors over 1000 elements (3 entries each side), and the dtype, device and grad_fn
 * when PyTorch would show them.
 */
public final class Printing {
  private static final int THRESHOLD = 1000;
  private static final int EDGE = 3;
  private static final int LINE_WIDTH = 80;
  private static final String PREFIX = "tensor(";

  private Printing() {}

  /** How every element of one tensor is written: one mode and one width, as PyTorch's _Formatter. */
  private static final class Formatter {
    final DType type;
    boolean wholeNumbers = true;
    boolean scientific;
    int width;

    Formatter(DType type, double[] values, int[] shape, boolean summarize) {
      this.type = type;
      if (type.isFloatingPoint()) {
        double maxAbs = 0;
        double minAbs = Double.POSITIVE_INFINITY;
        boolean anyNonzero = false;
        for (double v : values) {
          if (Double.isFinite(v)) {
            wholeNumbers &= v == Math.rint(v);
            if (v != 0) {
              anyNonzero = true;
              maxAbs = Math.max(maxAbs, Math.abs(v));
              minAbs = Math.min(minAbs, Math.abs(v));
            }
          }
        }
        if (anyNonzero) {
          scientific = wholeNumbers ? maxAbs / minAbs > 1000 || maxAbs > 1e8
              : maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4;
        }
      }
      // As PyTorch's _Formatter: a floating tensor's width comes from its non-zero finite values
      // only, so inf, nan and zeros longer than those are not padded for.
      for (double v : values) {
        if (!type.isFloatingPoint() || (Double.isFinite(v) && v != 0)) {
          width = Math.max(width, raw(v).length());
        }
      }
    }

    String raw(double x) {
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
      if (scientific) {
        return String.format(Locale.ROOT, "%.4e", x);
      }
      if (wholeNumbers) {
        return String.format(Locale.ROOT, "%.0f.", x);
      }
      return String.format(Locale.ROOT, "%.4f", x);
    }

    String format(double x) {
      String s = raw(x);
      return " ".repeat(Math.max(0, width - s.length())) + s;
    }
  }

  /** Writes the element at a row-major index: one or (for complex tensors) two formatters. */
  private interface Elements {
    /** Returns element {@code i} formatted. */
    String at(int i);

    /** Returns the width PyTorch reserves for an element (its line breaks count on it). */
    int width();
  }

  /** Returns the PyTorch-style string for a tensor. */
  public static String format(Tensor t) {
    double[] values;
    double[] imag = null;
    if (t.dtype().isComplex()) {
      try (dev.ember.GradMode off = dev.ember.GradMode.noGrad()) {
        values = t.real().toDoubleArray();
        imag = t.imag().toDoubleArray();
      }
    } else {
      values = t.toDoubleArray();
    }
    int[] shape = t.shapeArray();
    boolean summarize = values.length > THRESHOLD;
    StringBuilder sb = new StringBuilder(PREFIX);
    int[] strides = new int[shape.length];
    int acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      strides[i] = acc;
      acc *= shape[i];
    }
    if (values.length == 0) {
      sb.append("[]");
      if (shape.length != 1) {
        sb.append(", size=(");
        for (int i = 0; i < shape.length; i++) {
          sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        sb.append(shape.length == 1 ? ",)" : ")");
      }
    } else {
      Elements e = elements(t.dtype(), values, imag, shape, strides, summarize);
      if (shape.length == 0) {
        sb.append(e.at(0).strip());
      } else {
        appendLevel(sb, shape, strides, 0, 0, e, summarize, PREFIX.length());
      }
    }
    if (t.dtype() != DType.FLOAT32 && t.dtype() != DType.INT64 && t.dtype() != DType.BOOL
        && t.dtype() != DType.COMPLEX64) {
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

  /**
   * Returns how elements are written: one formatter over the values, or for a complex tensor one over
   * the real parts and one over the imaginary parts, as PyTorch's {@code real + imag j} (the
   * imaginary part unpadded, with its sign).
   */
  private static Elements elements(DType type, double[] values, double[] imag, int[] shape, int[] strides,
      boolean summarize) {
    DType part = type.toReal();
    Formatter f = new Formatter(part, summarize ? summarized(values, shape, strides) : values, shape, summarize);
    if (imag == null) {
      return new Elements() {
        public String at(int i) {
          return f.format(values[i]);
        }

        public int width() {
          return f.width;
        }
      };
    }
    Formatter fi = new Formatter(part, summarize ? summarized(imag, shape, strides) : imag, shape, summarize);
    return new Elements() {
      public String at(int i) {
        String im = (fi.format(imag[i]) + "j").strip();
        return f.format(values[i]) + (im.startsWith("-") || im.startsWith("+") ? im : "+" + im);
      }

      public int width() {
        return f.width + fi.width + 1;
      }
    };
  }

  /** Returns the values a summarized print shows, so the width is computed over those only. */
  private static double[] summarized(double[] v, int[] shape, int[] strides) {
    java.util.List<Double> out = new java.util.ArrayList<>();
    collect(v, shape, strides, 0, 0, out);
    double[] a = new double[out.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = out.get(i);
    }
    return a;
  }

  private static void collect(double[] v, int[] shape, int[] strides, int dim, int base,
      java.util.List<Double> out) {
    int n = shape[dim];
    for (int i = 0; i < n; i++) {
      if (n > 2 * EDGE && i == EDGE) {
        i = n - EDGE;
      }
      if (dim == shape.length - 1) {
        out.add(v[base + i * strides[dim]]);
      } else {
        collect(v, shape, strides, dim + 1, base + i * strides[dim], out);
      }
    }
  }

  private static void appendLevel(StringBuilder sb, int[] shape, int[] strides, int dim, int base,
      Elements f, boolean summarize, int indent) {
    sb.append('[');
    int n = shape[dim];
    boolean last = dim == shape.length - 1;
    // Elements per line in the innermost dim, as PyTorch wraps at its linewidth of 80.
    int perLine = Math.max(1, (LINE_WIDTH - indent - dim) / (f.width() + 2));
    int onLine = 0;
    for (int i = 0; i < n; i++) {
      if (summarize && n > 2 * EDGE && i == EDGE) {
        // PyTorch writes ' ...' as one more element of the last dim.
        sb.append(last ? " ..., " : "...,\n" + "\n".repeat(Math.max(0, shape.length - dim - 2))
            + " ".repeat(indent + dim + 1));
        i = n - EDGE;
      }
      if (last) {
        if (onLine == perLine) {
          // Drop the trailing space of ", " before breaking the line.
          sb.setLength(sb.length() - 1);
          sb.append('\n').append(" ".repeat(indent + dim + 1));
          onLine = 0;
        }
        sb.append(f.at(base + i * strides[dim]));
        onLine++;
      } else {
        appendLevel(sb, shape, strides, dim + 1, base + i * strides[dim], f, summarize, indent);
      }
      if (i < n - 1) {
        sb.append(last ? ", " : ",\n" + "\n".repeat(Math.max(0, shape.length - dim - 2))
            + " ".repeat(indent + dim + 1));
      }
    }
    sb.append(']');
  }
}
