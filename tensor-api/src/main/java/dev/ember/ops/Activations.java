package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.Generator;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.UnaryOp;

/**
 * Activation functions, softmax and dropout ({@code torch.nn.functional}). Composites (gelu, silu,
 * softplus, elu, leaky_relu) are built from primitives and carry no gradient code of their own.
 */
public final class Activations {
  private Activations() {}

  /**
   * Returns {@code max(x, 0)}; the gradient at exactly 0 is 0, as in PyTorch: {@code g} where the
   * output is positive, in one fused pass ({@code threshold_backward}) unless a double backward
   * records it.
   */
  public static Tensor relu(Tensor x) {
    Tensor out = Dispatch.unary(UnaryOp.RELU, x);
    return record("relu", out, new Tensor[] {x}, new Tensor[] {out}, g -> {
      Tensor fused = FusedOps.unaryBackward(dev.ember.spi.UnaryBackwardOp.RELU, out, g);
      return new Tensor[] {fused != null ? fused
          : Tensor.where(out.gt(0), g, Tensor.zeros(dev.ember.Shape.scalar(), g.dtype(), g.device()))};
    });
  }

  /** Returns {@code x} where positive, {@code slope * x} elsewhere. */
  public static Tensor leakyRelu(Tensor x, double negativeSlope) {
    return Tensor.where(x.gt(0), x, x.mul(negativeSlope));
  }

  /**
   * Returns the GELU: {@code x * Phi(x)} exactly ({@code approximate = "none"}) or with PyTorch's
   * tanh approximation ({@code "tanh"}).
   */
  public static Tensor gelu(Tensor x, String approximate) {
    boolean tanh = switch (approximate) {
      case "none" -> false;
      case "tanh" -> true;
      default -> throw new IllegalArgumentException("gelu: approximate must be 'none' or 'tanh', got '"
          + approximate + "'");
    };
    Tensor xf = x.dtype().isFloatingPoint() ? x : x.to(DType.FLOAT32);
    // One fused pass forward and one for the derivative; a gradient of the gradient (createGraph,
    // so recording is on inside the backward) uses the differentiable composite instead.
    Tensor out = Dispatch.unary(tanh ? UnaryOp.GELU_TANH : UnaryOp.GELU, xf);
    return record("gelu", out, new Tensor[] {xf}, new Tensor[] {xf}, g -> new Tensor[] {
        dev.ember.GradMode.isEnabled() ? g.mul(geluDerivative(xf, tanh))
            : g.mul(Dispatch.unary(tanh ? UnaryOp.GELU_TANH_GRAD : UnaryOp.GELU_GRAD, xf))});
  }

  /** The derivative of GELU as differentiable Tensor ops. */
  private static Tensor geluDerivative(Tensor x, boolean tanh) {
    if (!tanh) {
      Tensor cdf = x.mul(1 / Math.sqrt(2)).erf().add(1).mul(0.5);
      Tensor pdf = x.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
      return cdf.add(x.mul(pdf));
    }
    double k0 = Math.sqrt(2 / Math.PI);
    Tensor t = x.add(x.pow(3).mul(0.044715)).mul(k0).tanh();
    Tensor inner = x.square().mul(3 * 0.044715).add(1).mul(k0);
    return t.add(1).mul(0.5).add(x.mul(t.square().rsub(1)).mul(inner).mul(0.5));
  }

  /**
   * Returns {@code x} clamped to {@code [minVal, maxVal]} ({@code torch.nn.functional.hardtanh},
   * defaults -1 and 1). Unlike {@code clamp}, the gradient passes only strictly inside the bounds,
   * as PyTorch's {@code hardtanh_backward}.
   *
   * @throws IllegalArgumentException if {@code minVal > maxVal}
   */
  public static Tensor hardtanh(Tensor x, double minVal, double maxVal) {
    if (minVal > maxVal) {
      throw new IllegalArgumentException("hardtanh: min_val (" + minVal + ") cannot be greater than max_val ("
          + maxVal + ")");
    }
    Tensor out;
    try (var off = dev.ember.GradMode.noGrad()) {
      out = Arithmetic.clamp(x, minVal, maxVal);
    }
    return record("hardtanh", out, new Tensor[] {x}, new Tensor[] {x}, g -> new Tensor[] {
        Tensor.where(x.gt(minVal).logicalAnd(x.lt(maxVal)), g, Tensor.zeros(Shape.scalar(), g.dtype(), g.device()))});
  }

  /** Returns {@code min(max(x, 0), 6)}: {@code hardtanh(x, 0, 6)} ({@code relu6}). */
  public static Tensor relu6(Tensor x) {
    return hardtanh(x, 0, 6);
  }

  /** Returns {@code x tanh(softplus(x))} (Mish). */
  public static Tensor mish(Tensor x) {
    return x.mul(softplus(x, 1, 20).tanh());
  }

  /** Returns {@code x * sigmoid(x)} (SiLU, swish). */
  public static Tensor silu(Tensor x) {
    return x.mul(x.sigmoid());
  }

  /**
   * Returns {@code log(1 + e^(beta x)) / beta}, reverting to {@code x} where {@code beta x >
   * threshold} (PyTorch's defaults: beta 1, threshold 20).
   */
  public static Tensor softplus(Tensor x, double beta, double threshold) {
    Tensor bx = x.mul(beta);
    // log1p(exp(-|bx|)) + max(bx, 0) is the stable form of log(1 + e^bx).
    Tensor soft = bx.abs().neg().exp().log1p().add(bx.relu()).div(beta);
    return Tensor.where(bx.gt(threshold), x, soft);
  }

  /** Returns {@code x} where positive, {@code alpha (e^x - 1)} elsewhere. */
  public static Tensor elu(Tensor x, double alpha) {
    Tensor negative = x.clamp(Double.NaN, 0).expm1().mul(alpha);
    return Tensor.where(x.gt(0), x, negative);
  }

  /**
   * Returns the softmax along {@code dim}: {@code e^(x - max) / sum(e^(x - max))}. The backward is
   * {@code s * (g - sum(g * s))}, written once for every backend.
   */
  public static Tensor softmax(Tensor x, int dim) {
    int d = Shape.normalizeDim(dim, x.dim(), "softmax");
    Tensor xf = x.dtype().isFloatingPoint() ? x : x.to(DType.FLOAT32);
    Tensor out = FusedOps.softmax(xf, d, false);
    if (out == null) {
      try (var off = dev.ember.GradMode.noGrad()) {
        Tensor shifted = xf.sub(Reductions.maxOrZeros(xf, new int[] {d}));
        Tensor e = shifted.exp();
        out = e.div(e.sum(d, true));
      }
    }
    Tensor s = out;
    return record("softmax", out, new Tensor[] {xf}, new Tensor[] {out},
        g -> new Tensor[] {softmaxBackward(s, g, d)});
  }

  /**
   * Returns the softmax along {@code dim}, with 0 instead of NaN for a row that is entirely {@code
   * -inf} (PyTorch's {@code _safe_softmax}, which attention uses so that a query that may attend
   * to no key gets a zero output and zero gradients). The backward is softmax's, which gives 0 on
   * such rows.
   */
  public static Tensor safeSoftmax(Tensor x, int dim) {
    int d = Shape.normalizeDim(dim, x.dim(), "softmax");
    Tensor xf = x.dtype().isFloatingPoint() ? x : x.to(DType.FLOAT32);
    Tensor out;
    try (var off = dev.ember.GradMode.noGrad()) {
      Tensor allMasked = xf.ne(Double.NEGATIVE_INFINITY).sum(d, true).eq(0);
      out = softmax(xf, d).maskedFill(allMasked, 0);
    }
    Tensor s = out;
    return record("safe_softmax", out, new Tensor[] {xf}, new Tensor[] {out},
        g -> new Tensor[] {softmaxBackward(s, g, d)});
  }

  /** Returns softmax's input gradient {@code s * (g - sum(g * s))} for output {@code s}. */
  private static Tensor softmaxBackward(Tensor s, Tensor g, int d) {
    Tensor fused = FusedOps.softmaxBackward(s, g, d, false);
    return fused != null ? fused : s.mul(g.sub(g.mul(s).sum(d, true)));
  }

  /**
   * Returns the log-softmax along {@code dim}: {@code x - max - log(sum(e^(x - max)))}, finite for
   * logits of any size. Backward: {@code g - e^out * sum(g)}.
   */
  public static Tensor logSoftmax(Tensor x, int dim) {
    int d = Shape.normalizeDim(dim, x.dim(), "log_softmax");
    Tensor xf = x.dtype().isFloatingPoint() ? x : x.to(DType.FLOAT32);
    Tensor out = FusedOps.softmax(xf, d, true);
    if (out == null) {
      try (var off = dev.ember.GradMode.noGrad()) {
        Tensor shifted = xf.sub(Reductions.maxOrZeros(xf, new int[] {d}));
        out = shifted.sub(shifted.exp().sum(d, true).log());
      }
    }
    Tensor ls = out;
    return record("log_softmax", out, new Tensor[] {xf}, new Tensor[] {out}, g -> {
      Tensor fused = FusedOps.softmaxBackward(ls, g, d, true);
      return new Tensor[] {fused != null ? fused : g.sub(ls.exp().mul(g.sum(d, true)))};
    });
  }

  /**
   * Zeroes each element with probability {@code p} and scales the rest by {@code 1/(1-p)} when
   * {@code training}; returns {@code x} itself otherwise. The mask comes from {@code generator}'s
   * Philox stream, so every backend draws the same mask for the same seed.
   */
  public static Tensor dropout(Tensor x, double p, boolean training, Generator generator) {
    if (p < 0 || p > 1) {
      throw new IllegalArgumentException("dropout: probability has to be between 0 and 1, but got " + p);
    }
    if (!training || p == 0) {
      return x;
    }
    if (p == 1) {
      return x.mul(0);
    }
    Tensor u = Creation.rand(x.shape(), x.dtype(), x.device(), generator);
    Tensor keep = u.ge(p).to(x.dtype()).mul(1 / (1 - p));
    return x.mul(keep);
  }

  /**
   * Zeroes whole channels of x [N, C, H, W] (or unbatched [C, H, W]) with probability {@code p}
   * each and scales the kept ones by {@code 1 / (1 - p)}, PyTorch's {@code dropout2d}; returns x
   * unchanged when not training. One uniform draw per (sample, channel) from {@code generator}.
   */
  public static Tensor dropout2d(Tensor x, double p, boolean training, Generator generator) {
    if (x.dim() != 3 && x.dim() != 4) {
      throw new IllegalArgumentException("dropout2d: expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got "
          + x.shape());
    }
    int[] maskShape = x.shapeArray();
    for (int d = maskShape.length - 2; d < maskShape.length; d++) {
      maskShape[d] = 1;
    }
    if (p < 0 || p > 1) {
      throw new IllegalArgumentException("dropout2d: probability has to be between 0 and 1, but got " + p);
    }
    if (!training || p == 0) {
      return x;
    }
    Tensor ones = Tensor.ones(dev.ember.Shape.of(maskShape), x.dtype(), x.device());
    return x.mul(dropout(ones, p, true, generator));
  }
}
