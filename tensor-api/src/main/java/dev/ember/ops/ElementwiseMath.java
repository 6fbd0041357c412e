package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.UnaryOp;

/**
 * Elementwise math with PyTorch's exact semantics, composed from the backend's primitives: integer
 * and floating {@code floor_divide}, {@code remainder} (the sign of the divisor) and {@code fmod}
 * (the sign of the dividend), {@code trunc}, {@code round(decimals)}, {@code lerp}, {@code clamp}
 * with tensor bounds, {@code addcmul}/{@code addcdiv}, and a scalar base raised to a tensor. Each
 * op's gradient is recorded beside its forward.
 *
 * <p>Integer division is exact for every int64 value (it never goes through a double) and raises
 * on a zero divisor, as PyTorch's {@code ZeroDivisionError}. Floating {@code fmod} is {@code a -
 * trunc(a / b) b}, with the product kept exact (Dekker's two-product) and corrected so that {@code
 * |r| < |b|} and {@code r} has the sign of {@code a}: exact as C's {@code fmod} while the quotient
 * fits the mantissa; for larger quotients (|a / b| beyond 2^24 in float32, 2^53 in float64) and
 * operands near overflow it may differ from C's {@code fmod} in the last bits.
 */
public final class ElementwiseMath {
  private ElementwiseMath() {}

  // ---------------------------------------------------------------- rounding

  /** Returns {@code x} rounded toward zero; integer inputs come back as a copy. Zero gradient. */
  public static Tensor trunc(Tensor x) {
    if (!x.dtype().isFloatingPoint()) {
      return Views.cloneTensor(x);
    }
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      out = truncValues(x);
    }
    return record("trunc", out, new Tensor[] {x}, g -> new Tensor[] {Tensor.zerosLike(g)});
  }

  private static Tensor truncValues(Tensor x) {
    Tensor negative = Dispatch.binary("trunc", BinaryOp.LT, x, Creation.scalarLike(x, 0));
    return Tensor.where(negative, Dispatch.unary(UnaryOp.CEIL, x), Dispatch.unary(UnaryOp.FLOOR, x));
  }

  /**
   * Returns {@code x} rounded half to even to {@code decimals} decimal places ({@code
   * torch.round(x, decimals=d)}): {@code round(x * 10^d) / 10^d}, or {@code round(x / 10^-d) *
   * 10^-d} for negative {@code d}, in {@code x}'s dtype. Zero gradient.
   *
   * @throws IllegalArgumentException for an integer input with non-zero decimals, as PyTorch
   */
  public static Tensor round(Tensor x, int decimals) {
    if (decimals == 0) {
      return Unary.rounding(x, UnaryOp.ROUND);
    }
    if (!x.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("round: decimals=" + decimals + " is not supported for " + x.dtype()
          + " tensors (shape " + x.shape() + ")");
    }
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      Tensor scale = Creation.scalarLike(x, Math.pow(10, Math.abs(decimals)));
      if (decimals > 0) {
        out = Dispatch.unary(UnaryOp.ROUND, x.mul(scale)).div(scale);
      } else {
        out = Dispatch.unary(UnaryOp.ROUND, x.div(scale)).mul(scale);
      }
    }
    return record("round", out, new Tensor[] {x}, g -> new Tensor[] {Tensor.zerosLike(g)});
  }

  // ---------------------------------------------------------------- division with rounding

  /**
   * Returns {@code floor(a / b)} with PyTorch's rules ({@code torch.floor_divide}, Python's {@code
   * //}): integer operands give an exact integer result; floating ones follow PyTorch's {@code
   * div_floor}, so {@code floor_divide(a, b) * b + remainder(a, b) == a}. Not differentiable: a
   * backward through it raises, as in PyTorch.
   *
   * @throws ArithmeticException for an integer zero divisor
   */
  public static Tensor floorDivide(Tensor a, Tensor b) {
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      if (isIntegerDivision("floor_divide", a, b)) {
        IntegerQuotient q = integerQuotient("floor_divide", a, b);
        out = q.quotient.sub(q.signsDiffer().to(q.quotient.dtype()));
      } else {
        Tensor[] ab = floating(a, b);
        out = floorDivideFloating(ab[0], ab[1]);
      }
    }
    return record("floor_divide", out, new Tensor[] {a, b}, g -> {
      throw new UnsupportedOperationException("floor_divide: the derivative for 'floor_divide' is not"
          + " implemented (as in PyTorch); detach its inputs");
    });
  }

  /**
   * Returns {@code a - floor(a / b) b}, which has the sign of the divisor ({@code torch.remainder},
   * Python's {@code %}). Gradients: {@code g} for {@code a}, {@code -g floor_divide(a, b)} for
   * {@code b}.
   *
   * @throws ArithmeticException for an integer zero divisor
   */
  public static Tensor remainder(Tensor a, Tensor b) {
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      if (isIntegerDivision("remainder", a, b)) {
        IntegerQuotient q = integerQuotient("remainder", a, b);
        Tensor zero = Tensor.zeros(Shape.scalar(), q.rest.dtype(), q.rest.device());
        out = q.rest.add(Tensor.where(q.signsDiffer(), q.divisor, zero));
      } else {
        Tensor[] ab = floating(a, b);
        Tensor mod = fmodFloating(ab[0], ab[1]);
        out = Tensor.where(mod.ne(0).logicalAnd(ab[1].lt(0).logicalXor(mod.lt(0))), mod.add(ab[1]), mod);
      }
    }
    return record("remainder", out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> new Tensor[] {
        a.requiresGrad() ? g.sumTo(a.shapeArray()) : null,
        b.requiresGrad() ? g.mul(floorDivide(a.detach(), b.detach())).neg().sumTo(b.shapeArray()) : null});
  }

  /**
   * Returns {@code a - trunc(a / b) b}, which has the sign of the dividend ({@code torch.fmod}, C's
   * {@code fmod}). Gradients: {@code g} for {@code a}, {@code -g trunc(a / b)} for {@code b}.
   *
   * @throws ArithmeticException for an integer zero divisor
   */
  public static Tensor fmod(Tensor a, Tensor b) {
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      if (isIntegerDivision("fmod", a, b)) {
        out = integerQuotient("fmod", a, b).rest;
      } else {
        Tensor[] ab = floating(a, b);
        out = fmodFloating(ab[0], ab[1]);
      }
    }
    return record("fmod", out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> new Tensor[] {
        a.requiresGrad() ? g.sumTo(a.shapeArray()) : null,
        b.requiresGrad() ? g.mul(trunc(a.detach().div(b.detach()))).neg().sumTo(b.shapeArray()) : null});
  }

  /** Whether the operands divide as integers; bool operands raise, as in PyTorch. */
  private static boolean isIntegerDivision(String op, Tensor a, Tensor b) {
    Dispatch.backendOf(op, a, b);
    Dispatch.broadcastShapes(op, a.shapeArray(), b.shapeArray());
    DType t = Dispatch.resultType(a, b);
    if (t == DType.BOOL) {
      throw new IllegalArgumentException(op + ": not implemented for bool tensors (shapes " + a.shape()
          + " and " + b.shape() + ")");
    }
    return t.isIntegral();
  }

  /** Both operands converted to their common floating dtype. */
  private static Tensor[] floating(Tensor a, Tensor b) {
    DType t = Dispatch.resultType(a, b);
    return new Tensor[] {Dispatch.cast(a, t), Dispatch.cast(b, t)};
  }

  /**
   * The truncated integer quotient and remainder of broadcast integer operands.
   *
   * @param quotient {@code trunc(a / b)}
   * @param rest {@code a - quotient b}, with the sign of {@code a}
   * @param divisor {@code b} in the common dtype
   */
  private record IntegerQuotient(Tensor quotient, Tensor rest, Tensor divisor) {
    /** Where the remainder is non-zero and its sign differs from the divisor's. */
    Tensor signsDiffer() {
      return rest.ne(0).logicalAnd(rest.lt(0).logicalXor(divisor.lt(0)));
    }
  }

  private static IntegerQuotient integerQuotient(String op, Tensor a, Tensor b) {
    Backend backend = Dispatch.backendOf(op, a, b);
    int[] shape = Dispatch.broadcastShapes(op, a.shapeArray(), b.shapeArray());
    DType t = Dispatch.resultType(a, b);
    Tensor ca = Dispatch.cast(a, t);
    Tensor cb = Dispatch.cast(b, t);
    if (Comparison.any(cb.eq(0), null, false).item() != 0) {
      throw new ArithmeticException(op + ": ZeroDivisionError: integer division by zero (" + t + " divisor of"
          + " shape " + b.shape() + ", dividend of shape " + a.shape() + ")");
    }
    Tensor q = Dispatch.empty(backend, t, shape);
    backend.binary(BinaryOp.DIV, Dispatch.broadcastTo(ca, shape), Dispatch.broadcastTo(cb, shape), q.strided());
    Tensor rest = ca.sub(q.mul(cb));
    return new IntegerQuotient(q, rest, cb);
  }

  /** C's fmod for floating operands of one dtype (see the class comment for its accuracy). */
  /** C's fmod of floating a and b, exact: the backend's {@link BinaryOp#FMOD} primitive. */
  private static Tensor fmodFloating(Tensor a, Tensor b) {
    return Dispatch.binary("fmod", BinaryOp.FMOD, a, b);
  }

  /** PyTorch's {@code div_floor_floating}: floor of the exact quotient, consistent with remainder. */
  private static Tensor floorDivideFloating(Tensor a, Tensor b) {
    Tensor quotient = a.div(b);
    Tensor mod = fmodFloating(a, b);
    Tensor div = a.sub(mod).div(b);
    Tensor adjust = mod.ne(0).logicalAnd(b.lt(0).logicalXor(mod.lt(0)));
    div = Tensor.where(adjust, div.sub(1), div);
    Tensor floor = Dispatch.unary(UnaryOp.FLOOR, div);
    floor = Tensor.where(div.sub(floor).gt(0.5), floor.add(1), floor);
    floor = Tensor.where(div.eq(0), quotient.mul(0), floor); // copysign(0, a / b)
    return Tensor.where(b.eq(0), quotient, floor);
  }

  // ---------------------------------------------------------------- interpolation and clamping

  /**
   * Returns {@code start + weight (end - start)}, broadcasting all three ({@code torch.lerp}), in
   * PyTorch's two-branch form ({@code end - (end - start)(1 - weight)} where {@code weight >= 0.5}).
   * Gradients: {@code g (1 - w)}, {@code g w}, and {@code g (end - start)} for a tensor weight.
   *
   * @throws IllegalArgumentException unless start, end (and a tensor weight) share a floating dtype
   */
  public static Tensor lerp(Tensor start, Tensor end, Tensor weight) {
    String op = "lerp";
    Dispatch.backendOf(op, start, end, weight);
    if (!start.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": expected a floating start, got " + start.dtype());
    }
    if (end.dtype() != start.dtype()) {
      throw new IllegalArgumentException(op + ": expected dtype " + start.dtype() + " for `end` but got dtype "
          + end.dtype() + " (shapes " + start.shape() + " and " + end.shape() + ")");
    }
    if (weight.dtype() != start.dtype() && weight.dim() > 0) {
      throw new IllegalArgumentException(op + ": expected dtype " + start.dtype() + " for `weight` but got dtype "
          + weight.dtype() + " (shape " + weight.shape() + ")");
    }
    Tensor w = weight.dtype() == start.dtype() ? weight : weight.to(start.dtype());
    Dispatch.broadcastShapes(op, Dispatch.broadcastShapes(op, start.shapeArray(), end.shapeArray()),
        w.shapeArray());
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      Tensor diff = end.sub(start);
      out = Tensor.where(w.abs().lt(0.5), start.add(w.mul(diff)), end.sub(diff.mul(w.rsub(1))));
    }
    return record(op, out, new Tensor[] {start, end, w}, new Tensor[] {start, end, w}, g -> new Tensor[] {
        start.requiresGrad() ? g.mul(w.rsub(1)).sumTo(start.shapeArray()) : null,
        end.requiresGrad() ? g.mul(w).sumTo(end.shapeArray()) : null,
        w.requiresGrad() ? g.mul(end.sub(start)).sumTo(w.shapeArray()) : null});
  }

  /**
   * Returns {@code min(max(x, min), max)} with tensor bounds (either may be null), broadcasting
   * ({@code torch.clamp(x, min_tensor, max_tensor)}); NaN in any operand gives NaN. Gradients follow
   * PyTorch's {@code clamp_backward_min_max}: {@code x} gets {@code g} where {@code min <= x <= max},
   * {@code min} where {@code x < min} (and {@code min < max}), {@code max} where {@code x > max} or
   * {@code max < min}.
   */
  public static Tensor clamp(Tensor x, Tensor min, Tensor max) {
    if (min == null && max == null) {
      throw new IllegalArgumentException("clamp: at least one of 'min' or 'max' must not be null (input shape "
          + x.shape() + ")");
    }
    Tensor out = x;
    try (GradMode off = GradMode.noGrad()) {
      if (min != null) {
        out = Dispatch.binary("clamp", BinaryOp.MAXIMUM, min, out); // x of equal values, as Arithmetic.clamp
      }
      if (max != null) {
        out = Dispatch.binary("clamp", BinaryOp.MINIMUM, max, out);
      }
    }
    Tensor[] inputs = min == null ? new Tensor[] {x, max} : max == null ? new Tensor[] {x, min}
        : new Tensor[] {x, min, max};
    return record("clamp", out, inputs, inputs, g -> {
      Tensor zero = Tensor.zeros(Shape.scalar(), g.dtype(), g.device());
      Tensor gx = null;
      Tensor gmin = null;
      Tensor gmax = null;
      if (x.requiresGrad()) {
        Tensor pass = min == null ? x.le(max) : max == null ? x.ge(min) : x.ge(min).logicalAnd(x.le(max));
        gx = Tensor.where(pass, g, zero).sumTo(x.shapeArray());
      }
      if (min != null && min.requiresGrad()) {
        Tensor below = max == null ? x.lt(min) : x.lt(min).logicalAnd(min.lt(max));
        gmin = Tensor.where(below, g, zero).sumTo(min.shapeArray());
      }
      if (max != null && max.requiresGrad()) {
        Tensor above = min == null ? x.gt(max) : x.gt(max).logicalOr(max.lt(min));
        gmax = Tensor.where(above, g, zero).sumTo(max.shapeArray());
      }
      return min == null ? new Tensor[] {gx, gmax} : max == null ? new Tensor[] {gx, gmin}
          : new Tensor[] {gx, gmin, gmax};
    });
  }

  // ---------------------------------------------------------------- fused-looking composites

  /** Returns {@code self + value * t1 * t2}, broadcasting ({@code torch.addcmul}). */
  public static Tensor addcmul(Tensor self, Tensor t1, Tensor t2, double value) {
    Tensor product = t1.mul(t2);
    return self.add(value == 1 ? product : product.mul(value));
  }

  /**
   * Returns {@code self + value * t1 / t2}, broadcasting ({@code torch.addcdiv}).
   *
   * @throws IllegalArgumentException if both t1 and t2 are integer (PyTorch refuses integer division here)
   */
  public static Tensor addcdiv(Tensor self, Tensor t1, Tensor t2, double value) {
    if (!t1.dtype().isFloatingPoint() && !t2.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("addcdiv: integer division with addcdiv is not supported (tensor1 "
          + t1.dtype() + " " + t1.shape() + ", tensor2 " + t2.dtype() + " " + t2.shape() + "); use addcmul"
          + " with a reciprocal instead");
    }
    Tensor quotient = t1.div(t2);
    return self.add(value == 1 ? quotient : quotient.mul(value));
  }

  /**
   * Returns {@code base ^ exponent} for a Java scalar base ({@code base ** t}); the dtype follows
   * PyTorch (an integer exponent with an integral base stays integer, a fractional base gives
   * float32). The exponent's gradient is {@code g base^t ln(base)} (0 where the base is 0).
   */
  public static Tensor pow(double base, Tensor exponent) {
    return Arithmetic.pow(Creation.scalarLike(exponent, base), exponent);
  }
}
