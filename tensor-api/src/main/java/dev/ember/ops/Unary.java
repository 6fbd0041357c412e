package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.UnaryBackwardOp;
import dev.ember.spi.UnaryOp;

/**
 * Elementwise functions of one tensor, each with its derivative beside it. Integer inputs to
 * floating functions ({@code exp}, {@code sqrt}, ...) are computed in float32, as in PyTorch.
 */
public final class Unary {
  private Unary() {}

  private static Tensor floating(Tensor x) {
    return x.dtype().isFloatingPoint() ? x : Dispatch.cast(x, DType.FLOAT32);
  }

  private static Tensor apply(UnaryOp op, Tensor x) {
    return Dispatch.unary(op, floating(x));
  }

  /** Returns {@code e^x}; d/dx = e^x (the result). */
  public static Tensor exp(Tensor x) {
    Tensor out = apply(UnaryOp.EXP, x);
    return record("exp", out, new Tensor[] {x}, new Tensor[] {out}, g -> new Tensor[] {g.mul(out)});
  }

  /** Returns {@code ln x}; d/dx = 1/x. */
  public static Tensor log(Tensor x) {
    Tensor out = apply(UnaryOp.LOG, x);
    return record("log", out, new Tensor[] {x}, new Tensor[] {x}, g -> new Tensor[] {g.div(x)});
  }

  /** Returns {@code sqrt x}; d/dx = 1 / (2 sqrt x). */
  public static Tensor sqrt(Tensor x) {
    Tensor out = apply(UnaryOp.SQRT, x);
    return record("sqrt", out, new Tensor[] {x}, new Tensor[] {out},
        g -> new Tensor[] {g.div(out.mul(2))});
  }

  /** Returns {@code 1 / sqrt x}; d/dx = -0.5 x^-1.5 = -0.5 out^3. */
  public static Tensor rsqrt(Tensor x) {
    Tensor out = apply(UnaryOp.RSQRT, x);
    return record("rsqrt", out, new Tensor[] {x}, new Tensor[] {out},
        g -> new Tensor[] {g.mul(out.pow(3)).mul(-0.5)});
  }

  /** Returns {@code |x|}; d/dx = sign(x), 0 at 0. */
  public static Tensor abs(Tensor x) {
    if (x.dtype().isComplex()) {
      return ComplexOps.abs(x);
    }
    Tensor out = Dispatch.unary(UnaryOp.ABS, x);
    return record("abs", out, new Tensor[] {x}, new Tensor[] {x}, g -> new Tensor[] {g.mul(x.sign())});
  }

  /** Returns {@code x^2}; d/dx = 2x. */
  public static Tensor square(Tensor x) {
    Tensor out = Dispatch.binary("square", dev.ember.spi.BinaryOp.MUL, x, x);
    return record("square", out, new Tensor[] {x}, new Tensor[] {x}, g -> new Tensor[] {g.mul(x).mul(2)});
  }

  /** Returns {@code 1/x}; d/dx = -1/x^2 = -out^2. */
  public static Tensor reciprocal(Tensor x) {
    Tensor out = apply(UnaryOp.RECIPROCAL, x);
    return record("reciprocal", out, new Tensor[] {x}, new Tensor[] {out},
        g -> new Tensor[] {g.mul(out.mul(out)).neg()});
  }

  /** Returns {@code ln(1+x)}; d/dx = 1/(1+x). */
  public static Tensor log1p(Tensor x) {
    Tensor out = apply(UnaryOp.LOG1P, x);
    return record("log1p", out, new Tensor[] {x}, new Tensor[] {x}, g -> new Tensor[] {g.div(x.add(1))});
  }

  /** Returns {@code e^x - 1}; d/dx = out + 1. */
  public static Tensor expm1(Tensor x) {
    Tensor out = apply(UnaryOp.EXPM1, x);
    return record("expm1", out, new Tensor[] {x}, new Tensor[] {out}, g -> new Tensor[] {g.mul(out.add(1))});
  }

  /** Returns {@code sin x}; d/dx = cos x. */
  public static Tensor sin(Tensor x) {
    Tensor out = apply(UnaryOp.SIN, x);
    return record("sin", out, new Tensor[] {x}, new Tensor[] {x}, g -> new Tensor[] {g.mul(x.cos())});
  }

  /** Returns {@code cos x}; d/dx = -sin x. */
  public static Tensor cos(Tensor x) {
    Tensor out = apply(UnaryOp.COS, x);
    return record("cos", out, new Tensor[] {x}, new Tensor[] {x}, g -> new Tensor[] {g.mul(x.sin()).neg()});
  }

  /** Returns {@code tanh x}; d/dx = 1 - tanh^2, one fused pass unless a double backward records it. */
  public static Tensor tanh(Tensor x) {
    Tensor out = apply(UnaryOp.TANH, x);
    return record("tanh", out, new Tensor[] {x}, new Tensor[] {out}, g -> {
      Tensor fused = FusedOps.unaryBackward(UnaryBackwardOp.TANH, out, g);
      return new Tensor[] {fused != null ? fused : g.mul(out.mul(out).rsub(1))};
    });
  }

  /** Returns {@code 1/(1+e^-x)}; d/dx = s (1 - s), one fused pass unless a double backward records it. */
  public static Tensor sigmoid(Tensor x) {
    Tensor out = apply(UnaryOp.SIGMOID, x);
    return record("sigmoid", out, new Tensor[] {x}, new Tensor[] {out}, g -> {
      Tensor fused = FusedOps.unaryBackward(UnaryBackwardOp.SIGMOID, out, g);
      return new Tensor[] {fused != null ? fused : g.mul(out.mul(out.rsub(1)))};
    });
  }

  /** Returns {@code erf x}; d/dx = 2/sqrt(pi) e^(-x^2). */
  public static Tensor erf(Tensor x) {
    Tensor out = apply(UnaryOp.ERF, x);
    return record("erf", out, new Tensor[] {x}, new Tensor[] {x},
        g -> new Tensor[] {g.mul(x.square().neg().exp().mul(2 / Math.sqrt(Math.PI)))});
  }

  /** Returns the sign of x (-1, 0, 1); its gradient is zero. */
  public static Tensor sign(Tensor x) {
    Tensor out = Dispatch.unary(UnaryOp.SIGN, x);
    return record("sign", out, new Tensor[] {x}, g -> new Tensor[] {Tensor.zerosLike(g)});
  }

  /** Returns floor, ceil or round of x; their gradient is zero. */
  public static Tensor rounding(Tensor x, UnaryOp op) {
    Tensor out = Dispatch.unary(op, x);
    return record(op.name().toLowerCase(java.util.Locale.ROOT), out, new Tensor[] {x},
        g -> new Tensor[] {Tensor.zerosLike(g)});
  }
}
