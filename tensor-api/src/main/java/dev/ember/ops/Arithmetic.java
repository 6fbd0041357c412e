package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.MemOverlap;
import dev.ember.spi.BinaryOp;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/**
 * Elementwise arithmetic with broadcasting, comparisons, {@code where}, and the in-place forms.
 * Each op keeps its forward and its backward together; gradients are summed back to each input's
 * shape.
 */
public final class Arithmetic {
  private Arithmetic() {}

  /** Returns {@code a + b}. */
  public static Tensor add(Tensor a, Tensor b) {
    if (ComplexOps.any(a, b)) {
      return ComplexOps.binary("add", a, b);
    }
    Tensor out = Dispatch.binary("add", BinaryOp.ADD, a, b);
    return record("add", out, new Tensor[] {a, b}, g -> new Tensor[] {
        g.sumTo(a.shapeArray()), g.sumTo(b.shapeArray())});
  }

  /** Returns {@code a - b}; bool operands raise, as in PyTorch. */
  public static Tensor sub(Tensor a, Tensor b) {
    checkSubNotBool("sub", a, b);
    if (ComplexOps.any(a, b)) {
      return ComplexOps.binary("sub", a, b);
    }
    Tensor out = Dispatch.binary("sub", BinaryOp.SUB, a, b);
    return record("sub", out, new Tensor[] {a, b}, g -> new Tensor[] {
        g.sumTo(a.shapeArray()), b.requiresGrad() ? g.neg().sumTo(b.shapeArray()) : null});
  }

  /** Returns {@code a * b}. */
  public static Tensor mul(Tensor a, Tensor b) {
    if (ComplexOps.any(a, b)) {
      return ComplexOps.binary("mul", a, b);
    }
    Tensor out = Dispatch.binary("mul", BinaryOp.MUL, a, b);
    return record("mul", out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> new Tensor[] {
        a.requiresGrad() ? g.mul(b).sumTo(a.shapeArray()) : null,
        b.requiresGrad() ? g.mul(a).sumTo(b.shapeArray()) : null});
  }

  /** Returns {@code a / b}; integer operands divide as floats. */
  public static Tensor div(Tensor a, Tensor b) {
    if (ComplexOps.any(a, b)) {
      return ComplexOps.binary("div", a, b);
    }
    Tensor out = Dispatch.binary("div", BinaryOp.DIV, a, b);
    return record("div", out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> new Tensor[] {
        a.requiresGrad() ? g.div(b).sumTo(a.shapeArray()) : null,
        b.requiresGrad() ? g.neg().mul(a).div(b.mul(b)).sumTo(b.shapeArray()) : null});
  }

  /** Returns {@code a ^ b}; the exponent's gradient is {@code a^b log a}, taken as 0 where a is 0. */
  public static Tensor pow(Tensor a, Tensor b) {
    Tensor out = Dispatch.binary("pow", BinaryOp.POW, a, b);
    return record("pow", out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> new Tensor[] {
        a.requiresGrad() ? g.mul(b).mul(a.pow(b.sub(1))).sumTo(a.shapeArray()) : null,
        b.requiresGrad()
            ? g.mul(Tensor.where(a.eq(0), Tensor.zerosLike(a), a.pow(b).mul(a.log())))
                .sumTo(b.shapeArray())
            : null});
  }

  /** Returns {@code a ^ exponent} for a Java scalar exponent. */
  public static Tensor powScalar(Tensor a, double exponent) {
    Tensor e = Creation.scalarLike(a, exponent);
    Tensor out = Dispatch.binary("pow", BinaryOp.POW, a, e);
    return record("pow", out, new Tensor[] {a}, new Tensor[] {a}, g -> new Tensor[] {
        exponent == 0 ? Tensor.zerosLike(a) : g.mul(a.pow(exponent - 1).mul(exponent))});
  }

  /** Returns {@code -x}; a bool {@code x} raises, as in PyTorch. */
  public static Tensor neg(Tensor x) {
    if (x.dtype() == DType.BOOL) {
      throw new IllegalArgumentException("neg: Negation, the `-` operator, on a bool tensor is not supported"
          + " (shape " + x.shape() + "). If you are trying to invert a mask, use logicalNot() instead.");
    }
    if (x.dtype().isComplex()) {
      return ComplexOps.neg(x);
    }
    Tensor out = Dispatch.unary(dev.ember.spi.UnaryOp.NEG, x);
    return record("neg", out, new Tensor[] {x}, g -> new Tensor[] {g.neg()});
  }

  /** Returns the elementwise maximum; on ties each input gets half the gradient, as in PyTorch. */
  public static Tensor maximum(Tensor a, Tensor b) {
    return extremum("maximum", BinaryOp.MAXIMUM, BinaryOp.GT, a, b);
  }

  /** Returns the elementwise minimum; on ties each input gets half the gradient. */
  public static Tensor minimum(Tensor a, Tensor b) {
    return extremum("minimum", BinaryOp.MINIMUM, BinaryOp.LT, a, b);
  }

  private static Tensor extremum(String name, BinaryOp op, BinaryOp wins, Tensor a, Tensor b) {
    Tensor out = Dispatch.binary(name, op, a, b);
    return record(name, out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> {
      Tensor aWins = Dispatch.binary(name, wins, a, b).to(g.dtype());
      Tensor tie = a.eq(b).to(g.dtype()).mul(0.5);
      Tensor share = aWins.add(tie);
      return new Tensor[] {
          a.requiresGrad() ? g.mul(share).sumTo(a.shapeArray()) : null,
          b.requiresGrad() ? g.mul(share.rsub(1)).sumTo(b.shapeArray()) : null};
    });
  }

  /**
   * Returns {@code x} clamped to {@code [min, max]} (NaN leaves a bound open); the gradient passes
   * where {@code min <= x <= max}. As PyTorch's, {@code x < min ? min : x} and {@code x > max ? max : x}:
   * {@code maximum(min, x)} and {@code minimum(max, x)}, which return their second operand, x, of two
   * equal values, so clamp(-0.0, 0, ...) stays -0.0 ({@code relu6}, {@code hardtanh}, the in-place ReLU
   * idiom {@code clampInPlace(0, NaN)}).
   */
  public static Tensor clamp(Tensor x, double min, double max) {
    Tensor out = x;
    Tensor pass = null;
    try (GradMode off = GradMode.noGrad()) {
      if (!Double.isNaN(min)) {
        Tensor lo = Creation.scalarLike(x, min);
        out = Dispatch.binary("clamp", BinaryOp.MAXIMUM, lo, out);
        pass = x.ge(lo);
      }
      if (!Double.isNaN(max)) {
        Tensor hi = Creation.scalarLike(x, max);
        out = Dispatch.binary("clamp", BinaryOp.MINIMUM, hi, out);
        pass = pass == null ? x.le(hi) : pass.logicalAnd(x.le(hi));
      }
    }
    if (pass == null) {
      return Views.cloneTensor(x);
    }
    Tensor mask = pass;
    return record("clamp", out, new Tensor[] {x}, g -> new Tensor[] {g.mul(mask.to(g.dtype()))});
  }

  /** Returns a comparison or logical op's bool result (not differentiable). */
  public static Tensor compare(String name, BinaryOp op, Tensor a, Tensor b) {
    return Dispatch.binary(name, op, a, b);
  }

  /** Returns {@code cond ? a : b}, broadcasting all three; gradients flow to the chosen side. */
  public static Tensor where(Tensor cond, Tensor a, Tensor b) {
    var backend = Dispatch.backendOf("where", cond, a, b);
    if (cond.dtype() != DType.BOOL) {
      throw new IllegalArgumentException("where: condition must be bool, got " + cond.dtype());
    }
    int[] shape = Dispatch.broadcastShapes("where", Dispatch.broadcastShapes("where",
        cond.shapeArray(), a.shapeArray()), b.shapeArray());
    DType t = Dispatch.resultType(a, b);
    Tensor out = Dispatch.empty(backend, t, shape);
    backend.where(Dispatch.broadcastTo(cond, shape), Dispatch.broadcastTo(Dispatch.cast(a, t), shape),
        Dispatch.broadcastTo(Dispatch.cast(b, t), shape), out.strided());
    return record("where", out, new Tensor[] {a, b}, new Tensor[] {cond}, g -> {
      Tensor zero = Tensor.zerosLike(g);
      return new Tensor[] {
          a.requiresGrad() ? where(cond, g, zero).sumTo(a.shapeArray()) : null,
          b.requiresGrad() ? where(cond, zero, g).sumTo(b.shapeArray()) : null};
    });
  }

  /** Returns a copy of {@code x} with {@code value} where {@code mask} is true. */
  public static Tensor maskedFill(Tensor x, Tensor mask, double value) {
    if (mask.dtype() != DType.BOOL) {
      throw new IllegalArgumentException("masked_fill: mask must be bool, got " + mask.dtype());
    }
    Dispatch.broadcastShapes("masked_fill", x.shapeArray(), mask.shapeArray());
    Tensor filled = where(mask, Creation.scalarLike(x, value).to(x.dtype()), x);
    if (!java.util.Arrays.equals(filled.shapeArray(), x.shapeArray())) {
      throw new IllegalArgumentException("masked_fill: mask of shape " + mask.shape()
          + " would change the shape of input " + x.shape());
    }
    return filled;
  }

  /** PyTorch's {@code sub_check}: subtraction with a bool operand is an error, not a silent xor. */
  private static void checkSubNotBool(String op, Tensor a, Tensor b) {
    String operands = " (" + a.dtype() + " " + a.shape() + " - " + b.dtype() + " " + b.shape() + ")";
    if (a.dtype() == DType.BOOL && b.dtype() == DType.BOOL) {
      throw new IllegalArgumentException(op + ": Subtraction, the `-` operator, with two bool tensors is not"
          + " supported" + operands + ". Use logicalXor() instead.");
    }
    if (a.dtype() == DType.BOOL || b.dtype() == DType.BOOL) {
      throw new IllegalArgumentException(op + ": Subtraction, the `-` operator, with a bool tensor is not"
          + " supported" + operands + ". If you are trying to invert a mask, use logicalNot() instead.");
    }
  }

  private static void checkInPlaceAllowed(String name, Tensor self) {
    dev.ember.Autograd.checkInPlace(name, self, false);
  }

  /**
   * Runs a binary op in place on {@code self}: straight into its storage when no graph is recorded,
   * else as the out-of-place op whose result is copied in and whose history {@code self} takes over.
   */
  public static Tensor inPlace(String name, Tensor self, Tensor other, BinaryOp op,
      BinaryOperator<Tensor> outOfPlace) {
    if (ComplexOps.any(self, other)) {
      return ComplexOps.inPlace(name, self, other, outOfPlace);
    }
    dev.ember.Autograd.checkInPlace(name, self, other.requiresGrad());
    if (op == BinaryOp.SUB) {
      checkSubNotBool(name, self, other);
    }
    if (!GradMode.isEnabled() || !(self.requiresGrad() || other.requiresGrad())) {
      Dispatch.binaryInPlace(name, op, self, other); // checks overlap, reads a copy where it must
      self.bumpVersion();
      return self;
    }
    // Recorded: the result is computed out of place first, so only the overlap check applies
    // (inPlaceUnary checks self's internal overlap).
    MemOverlap.checkNoPartialOverlap(name, self, other);
    return inPlaceUnary(name, self, x -> outOfPlace.apply(x, other));
  }

  /** Runs {@code fn} in place on {@code self} (see {@link #inPlace}). */
  public static Tensor inPlaceUnary(String name, Tensor self, UnaryOperator<Tensor> fn) {
    checkInPlaceAllowed(name, self);
    MemOverlap.checkNoInternalOverlap(name, self);
    // The op's backward may read the old values (mul_ saves self for the other input's gradient),
    // and the copy below overwrites them: when a graph may be recorded, compute from a private,
    // differentiable copy of the old values, as PyTorch saves original_self for in-place ops.
    Tensor previous = GradMode.isEnabled() ? Views.cloneTensor(self) : self;
    Tensor result = fn.apply(previous);
    if (!java.util.Arrays.equals(result.shapeArray(), self.shapeArray())) {
      throw new IllegalArgumentException(name + ": output with shape " + self.shape()
          + " doesn't match the broadcast shape " + result.shape());
    }
    Dispatch.checkCastable(name, result.dtype(), self.dtype());
    // Another input may require grad (copy_'s source): checked before anything is written.
    dev.ember.Autograd.checkInPlace(name, self, result.requiresGrad());
    self.backend().copy(result.strided(), self.strided());
    self.bumpVersion();
    Views.takeHistory(self, result);
    return self;
  }

  /**
   * Adds {@code alpha * other} to {@code self} in place: one fused pass ({@link
   * dev.ember.spi.Backend#axpby}) when nothing is recorded, as in optimizer updates.
   */
  public static Tensor addScaledInPlace(Tensor self, Tensor other, double alpha) {
    return scaleAndAddInPlace(self, 1, other, alpha);
  }

  /**
   * Sets {@code self = beta * self + alpha * other} in place, PyTorch's {@code self.mul_(beta).add_(other,
   * alpha=alpha)} (SGD's momentum buffer), with the same roundings: one fused pass ({@link
   * dev.ember.spi.Backend#axpby}, each product rounded, then the sum) when nothing is recorded and the
   * shapes match, else the two in-place ops.
   */
  public static Tensor scaleAndAddInPlace(Tensor self, double beta, Tensor other, double alpha) {
    boolean recorded = GradMode.isEnabled() && (self.requiresGrad() || other.requiresGrad());
    // Half dtypes round once in a fused pass, twice in the two ops: they keep the two ops.
    boolean twoRoundings = beta != 1 && self.dtype() != DType.FLOAT32 && self.dtype() != DType.FLOAT64;
    if (recorded || twoRoundings || !self.dtype().isFloatingPoint() || !other.device().equals(self.device())
        || !java.util.Arrays.equals(self.shapeArray(), other.shapeArray())) {
      if (beta != 1) {
        self.mulInPlace(beta);
      }
      return inPlace("add_", self, alpha == 1 ? other : other.mul(alpha), BinaryOp.ADD, Tensor::add);
    }
    checkInPlaceAllowed("add_", self);
    MemOverlap.checkNoInternalOverlap("add_", self);
    Tensor b = MemOverlap.readableWhileWriting("add_", self, Dispatch.cast(other, self.dtype()));
    self.backend().axpby(beta, self.strided(), alpha, b.strided(), self.strided());
    self.bumpVersion();
    return self;
  }

  /**
   * Sets every element of {@code self} to {@code value}; returns {@code self}. Allowed on broadcast
   * views, as in PyTorch: every element gets the same value.
   */
  public static Tensor fillInPlace(Tensor self, double value) {
    if (self.dtype().isComplex()) {
      return ComplexOps.fillInPlace(self, value);
    }
    checkInPlaceAllowed("fill_", self);
    if (GradMode.isEnabled() && self.requiresGrad()) {
      // Recorded (a non-leaf, or a view whose base requires grad): the old values get a zero gradient.
      return inPlaceUnary("fill_", self, x -> overwritten("fill_", x, Tensor.fullLike(x, value)));
    }
    self.backend().fill(self.strided(), value);
    self.bumpVersion();
    return self;
  }

  /**
   * Returns {@code values} (a fresh tensor of {@code x}'s shape that no input's gradient reaches)
   * recorded as {@code x} overwritten: {@code x} gets a zero gradient, as from PyTorch's {@code
   * FillBackward0}, so an in-place op that writes every element still passes {@code x}'s history on.
   */
  private static Tensor overwritten(String name, Tensor x, Tensor values) {
    return record(name, values, new Tensor[] {x}, g -> new Tensor[] {Tensor.zerosLike(g)});
  }

  /** Copies {@code src} (broadcast, dtype-converted) into {@code self}; returns {@code self}. */
  public static Tensor copyInPlace(Tensor self, Tensor src) {
    Tensor moved = src.device().equals(self.device()) ? src : src.to(self.device());
    MemOverlap.checkNoPartialOverlap("copy_", self, moved); // the source is read before self is written
    return inPlaceUnary("copy_", self, x -> {
      int[] shape = Dispatch.broadcastShapes("copy_", self.shapeArray(), moved.shapeArray());
      if (!java.util.Arrays.equals(shape, self.shapeArray())) {
        throw new IllegalArgumentException("copy_: source of shape " + moved.shape()
            + " cannot be broadcast to " + self.shape());
      }
      // The old values get a zero gradient (PyTorch's CopyBackwards), the source its gradient
      // summed back to its shape (converted to its dtype by the engine).
      Tensor values = Dispatch.empty(self.backend(), self.dtype(), self.shapeArray());
      self.backend().copy(Dispatch.broadcastTo(moved, self.shapeArray()), values.strided());
      int[] from = moved.shapeArray();
      boolean old = x.requiresGrad();
      return record("copy_", values, new Tensor[] {x, moved}, g -> new Tensor[] {
          old ? Tensor.zerosLike(g) : null, moved.requiresGrad() ? g.sumTo(from) : null});
    });
  }
}
