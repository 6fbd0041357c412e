package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.BinaryOp;
import java.util.Arrays;

/**
 * Truth tests and closeness: {@code all}/{@code any} (with dims and keepdim), {@code isnan},
 * {@code isinf}, {@code isfinite}, {@code isclose}, {@code allclose}, {@code equal}, and {@code
 * nan_to_num}. Results are bool tensors (or Java booleans for {@code allclose}/{@code equal}) and
 * carry no gradient, except {@code nan_to_num}, whose gradient passes where the input is finite.
 */
public final class Comparison {
  private Comparison() {}

  /**
   * Returns whether every element over {@code dims} (null: all) is non-zero, as a bool tensor
   * ({@code torch.all}); NaN counts as true, an empty reduction is true.
   */
  public static Tensor all(Tensor x, int[] dims, boolean keepdim) {
    int[] d = Reductions.normalizeDims("all", x, dims);
    Tensor zeros = Dispatch.binary("all", BinaryOp.EQ, x, Creation.scalarLike(x, 0));
    return zeros.sum(d, keepdim).eq(0);
  }

  /**
   * Returns whether any element over {@code dims} (null: all) is non-zero, as a bool tensor
   * ({@code torch.any}); NaN counts as true, an empty reduction is false.
   */
  public static Tensor any(Tensor x, int[] dims, boolean keepdim) {
    int[] d = Reductions.normalizeDims("any", x, dims);
    Tensor nonZero = Dispatch.binary("any", BinaryOp.NE, x, Creation.scalarLike(x, 0));
    return nonZero.sum(d, keepdim).gt(0);
  }

  /** Returns where {@code x} is NaN (bool; all false for integer and bool inputs). */
  public static Tensor isnan(Tensor x) {
    return Dispatch.binary("isnan", BinaryOp.NE, x, x);
  }

  /** Returns where {@code x} is +inf or -inf (bool; all false for integer and bool inputs). */
  public static Tensor isinf(Tensor x) {
    if (!x.dtype().isFloatingPoint()) {
      return Tensor.zeros(x.shape(), DType.BOOL, x.device());
    }
    Tensor magnitude = Dispatch.unary(dev.ember.spi.UnaryOp.ABS, x);
    return Dispatch.binary("isinf", BinaryOp.EQ, magnitude, Creation.scalarLike(x, Double.POSITIVE_INFINITY));
  }

  /** Returns where {@code x} is neither NaN nor infinite (bool; all true for integer and bool inputs). */
  public static Tensor isfinite(Tensor x) {
    if (!x.dtype().isFloatingPoint()) {
      return Tensor.ones(x.shape(), DType.BOOL, x.device());
    }
    // x - x is 0 for every finite x and NaN for NaN and both infinities.
    Tensor diff = Dispatch.binary("isfinite", BinaryOp.SUB, x, x);
    return Dispatch.binary("isfinite", BinaryOp.EQ, diff, Creation.scalarLike(x, 0));
  }

  /**
   * Returns {@code |a - b| <= atol + rtol |b|} elementwise, broadcasting ({@code torch.isclose}).
   * Equal values (infinities of one sign included) are close; NaNs are close to each other only
   * with {@code equalNan}. Integer operands are compared in float64.
   *
   * @throws IllegalArgumentException if the dtypes differ or a tolerance is negative
   */
  public static Tensor isclose(Tensor a, Tensor b, double rtol, double atol, boolean equalNan) {
    if (a.dtype() != b.dtype()) {
      throw new IllegalArgumentException("isclose: " + a.dtype() + " did not match " + b.dtype()
          + " (shapes " + a.shape() + " and " + b.shape() + ")");
    }
    if (!(rtol >= 0) || !(atol >= 0)) {
      throw new IllegalArgumentException("isclose: rtol and atol must be non-negative, got rtol=" + rtol
          + " and atol=" + atol);
    }
    try (GradMode off = GradMode.noGrad()) {
      Tensor close = Dispatch.binary("isclose", BinaryOp.EQ, a, b);
      if (equalNan) {
        close = close.logicalOr(isnan(a).logicalAnd(isnan(b)));
      }
      if (rtol == 0 && atol == 0) {
        return close;
      }
      Tensor fa = a.dtype().isFloatingPoint() ? a : a.to(DType.FLOAT64);
      Tensor fb = b.dtype().isFloatingPoint() ? b : b.to(DType.FLOAT64);
      Tensor allowed = fb.mul(rtol).abs().add(atol);
      Tensor actual = fa.sub(fb).abs();
      return close.logicalOr(isfinite(actual).logicalAnd(actual.le(allowed)));
    }
  }

  /** Returns whether {@link #isclose} holds for every element ({@code torch.allclose}). */
  public static boolean allclose(Tensor a, Tensor b, double rtol, double atol, boolean equalNan) {
    return all(isclose(a, b, rtol, atol, equalNan), null, false).item() != 0;
  }

  /**
   * Returns whether {@code a} and {@code b} have the same shape and equal elements ({@code
   * torch.equal}); values compare after dtype promotion, NaN equals nothing.
   */
  public static boolean equal(Tensor a, Tensor b) {
    Dispatch.backendOf("equal", a, b);
    if (!Arrays.equals(a.shapeArray(), b.shapeArray())) {
      return false;
    }
    return all(Dispatch.binary("equal", BinaryOp.EQ, a, b), null, false).item() != 0;
  }

  /**
   * Returns {@code x} with NaN replaced by {@code nan}, +inf by {@code posinf} and -inf by {@code
   * neginf} ({@code torch.nan_to_num}); a null bound means the dtype's largest (or lowest) finite
   * value. Integer and bool inputs come back unchanged (a copy). The gradient passes where {@code x}
   * is finite and is zero elsewhere.
   */
  public static Tensor nanToNum(Tensor x, double nan, Double posinf, Double neginf) {
    if (!x.dtype().isFloatingPoint()) {
      return Views.cloneTensor(x);
    }
    double largest = x.dtype() == DType.FLOAT32 ? Float.MAX_VALUE : Double.MAX_VALUE;
    double pos = posinf == null ? largest : posinf;
    double neg = neginf == null ? -largest : neginf;
    Tensor out;
    Tensor finite;
    try (GradMode off = GradMode.noGrad()) {
      finite = isfinite(x);
      Tensor replaced = Tensor.where(isnan(x), Creation.scalarLike(x, nan).to(x.dtype()),
          Tensor.where(x.gt(0), Creation.scalarLike(x, pos).to(x.dtype()),
              Creation.scalarLike(x, neg).to(x.dtype())));
      out = Tensor.where(finite, x, replaced);
    }
    Tensor keep = finite;
    return record("nan_to_num", out, new Tensor[] {x}, g -> new Tensor[] {
        Tensor.where(keep, g, Tensor.zeros(dev.ember.Shape.scalar(), g.dtype(), g.device()))});
  }
}
