package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import java.util.Arrays;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * Complex tensors ({@link DType#COMPLEX64}, {@link DType#COMPLEX128}), lowered to real ops.
 *
 * <p>A complex tensor's storage holds interleaved (real, imaginary) pairs of its component type;
 * its sizes, strides and offset count complex elements. {@link #viewAsReal} views it as a real
 * tensor with a trailing dim of 2 (strides doubled, last stride 1), {@link #viewAsComplex} is the
 * inverse; both are recorded, each one's backward being the other. Every complex op here is a
 * composition of real ops on those views, so backends never see a complex dtype, and gradients
 * (of any order) come from the real ops' backward formulas. The gradient of a complex tensor is
 * PyTorch's for a real loss {@code L}: {@code dL/dx + i dL/dy}, i.e. the complex view of its real
 * view's gradient.
 *
 * <p>Any other op given a complex tensor raises {@link #unsupported}: {@link Tensor#strided()}, which
 * every backend call goes through, refuses complex tensors.
 */
public final class ComplexOps {
  /** What complex tensors support, for error messages. */
  static final String SUPPORTED = "complex tensors support viewAsReal/viewAsComplex, complex, polar, real,"
      + " imag, conj, abs, angle, add, sub, mul, div, neg, sum, mean, cat, stack, views (view, reshape, flatten,"
      + " unsqueeze, squeeze, permute, transpose, select, narrow, slice, expand), clone, contiguous and"
      + " to(dtype/device); apply other ops to Tensor.viewAsReal(x)";

  private ComplexOps() {}

  /**
   * Returns the exception for an op that got a complex tensor it can't compute: it names the op (the
   * outermost Ember method on the stack, and the op family method that reached the backend).
   */
  public static IllegalArgumentException unsupported(DType dtype) {
    String[] names = callerNames();
    String via = names[1] == null || names[1].equals(names[0]) ? "" : " (via " + names[1] + ")";
    return new IllegalArgumentException(names[0] + ": not implemented for " + dtype + " tensors" + via + "; "
        + SUPPORTED);
  }

  /** Returns the outermost Tensor (or F) method and the innermost ops method on the stack. */
  private static String[] callerNames() {
    List<StackWalker.StackFrame> frames = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
        .walk(s -> s.toList());
    String outer = null;
    String inner = null;
    for (StackWalker.StackFrame f : frames) {
      String cls = f.getClassName();
      String method = f.getMethodName();
      if (method.startsWith("lambda$")) {
        method = method.substring(7, Math.max(7, method.indexOf('$', 7)));
      }
      if (cls.equals(Tensor.class.getName()) || cls.equals("dev.ember.nn.functional.F")) {
        outer = method;
      } else if (inner == null && cls.startsWith("dev.ember.ops.") && !cls.equals(ComplexOps.class.getName())) {
        inner = f.getDeclaringClass().getSimpleName() + "." + method;
      }
    }
    return new String[] {outer != null ? outer : inner != null ? inner : "op", inner};
  }

  /** Returns whether either operand is complex. */
  static boolean any(Tensor a, Tensor b) {
    return a.dtype().isComplex() || b.dtype().isComplex();
  }

  // ---------------------------------------------------------------- the two views

  /**
   * Returns the real view of a complex tensor: shape {@code [..., 2]} of its component type sharing
   * its storage ({@code torch.view_as_real}); the gradient is viewed back as complex.
   *
   * @throws IllegalArgumentException if {@code c} is not complex
   */
  public static Tensor viewAsReal(Tensor c) {
    if (!c.dtype().isComplex()) {
      throw new IllegalArgumentException("view_as_real: view_as_real is only supported for complex tensors,"
          + " got " + c.dtype() + " of shape " + c.shape());
    }
    int rank = c.dim();
    int[] shape = Arrays.copyOf(c.shapeArray(), rank + 1);
    shape[rank] = 2;
    int[] strides = new int[rank + 1];
    int[] from = c.stridesArray();
    for (int i = 0; i < rank; i++) {
      strides[i] = Math.multiplyExact(from[i], 2);
    }
    strides[rank] = 1;
    Tensor out = c.reinterpretAs(c.dtype().toReal(), shape, strides, c.storageOffset() * 2);
    return record("view_as_real", out, new Tensor[] {c}, g -> new Tensor[] {complexView(g)});
  }

  /**
   * Returns the complex view of a float32 or float64 tensor whose last dim holds (real, imaginary)
   * pairs: shape {@code [...]} of {@code [..., 2]}, sharing storage ({@code torch.view_as_complex}).
   * The last dim must have size 2 and stride 1, every other stride and the storage offset must be
   * even (PyTorch's checks and messages); the gradient is viewed back as real.
   *
   * @throws IllegalArgumentException naming the failed condition and the shape
   */
  public static Tensor viewAsComplex(Tensor r) {
    String where = " (got " + r.dtype() + " of shape " + r.shape() + ", strides "
        + Arrays.toString(r.stridesArray()) + ", storage offset " + r.storageOffset() + ")";
    if (r.dtype() != DType.FLOAT32 && r.dtype() != DType.FLOAT64) {
      throw new IllegalArgumentException("view_as_complex: view_as_complex is only supported for float and"
          + " double tensors (Ember has no complex32)" + where);
    }
    int rank = r.dim() - 1;
    if (rank < 0) {
      throw new IllegalArgumentException("view_as_complex: Input tensor must have one or more dimensions" + where);
    }
    int[] strides = r.stridesArray();
    if (r.size(-1) != 2) {
      throw new IllegalArgumentException("view_as_complex: Tensor must have a last dimension of size 2" + where);
    }
    if (strides[rank] != 1) {
      throw new IllegalArgumentException("view_as_complex: Tensor must have a last dimension with stride 1"
          + where);
    }
    int[] newStrides = new int[rank];
    for (int i = 0; i < rank; i++) {
      if (strides[i] % 2 != 0) {
        throw new IllegalArgumentException("view_as_complex: Tensor must have a stride divisible by 2 for all"
            + " but last dimension" + where);
      }
      newStrides[i] = strides[i] / 2;
    }
    if (r.storageOffset() % 2 != 0) {
      throw new IllegalArgumentException("view_as_complex: Tensor must have a storage_offset divisible by 2"
          + where);
    }
    Tensor out = r.reinterpretAs(r.dtype().toComplex(), Arrays.copyOf(r.shapeArray(), rank), newStrides,
        r.storageOffset() / 2);
    return record("view_as_complex", out, new Tensor[] {r}, g -> new Tensor[] {viewAsReal(g)});
  }

  /** Returns {@code viewAsComplex(r)}, of a contiguous copy of {@code r} when its layout does not allow a view. */
  private static Tensor complexView(Tensor r) {
    int[] strides = r.stridesArray();
    boolean viewable = strides[strides.length - 1] == 1 && r.storageOffset() % 2 == 0;
    for (int i = 0; i < strides.length - 1; i++) {
      viewable &= strides[i] % 2 == 0;
    }
    return viewAsComplex(viewable ? r : Views.cloneTensor(r));
  }

  /** Returns the real part of a complex tensor (a view); not checked. */
  private static Tensor re(Tensor c) {
    return viewAsReal(c).select(-1, 0);
  }

  /** Returns the imaginary part of a complex tensor (a view); not checked. */
  private static Tensor im(Tensor c) {
    return viewAsReal(c).select(-1, 1);
  }

  /** Returns the complex tensor {@code re + i im}: both broadcast to one shape and promoted to one dtype. */
  private static Tensor fromParts(Tensor re, Tensor im) {
    int[] shape = Dispatch.broadcastShapes("complex", re.shapeArray(), im.shapeArray());
    DType t = Dispatch.resultType(re, im);
    return complexView(Shaping.stack(List.of(re.to(t).expand(shape), im.to(t).expand(shape)), -1));
  }

  // ---------------------------------------------------------------- construction and parts

  /**
   * Returns {@code real + i imag} ({@code torch.complex}): both float32 or both float64, broadcast
   * to one shape; complex64 or complex128.
   */
  public static Tensor complex(Tensor real, Tensor imag) {
    checkComponents("complex", real, imag);
    return fromParts(real, imag);
  }

  /**
   * Returns {@code abs * (cos(angle) + i sin(angle))} ({@code torch.polar}): both float32 or both
   * float64, broadcast to one shape.
   */
  public static Tensor polar(Tensor abs, Tensor angle) {
    checkComponents("polar", abs, angle);
    return fromParts(abs.mul(angle.cos()), abs.mul(angle.sin()));
  }

  private static void checkComponents(String op, Tensor a, Tensor b) {
    if (a.dtype() != b.dtype() || (a.dtype() != DType.FLOAT32 && a.dtype() != DType.FLOAT64)) {
      throw new IllegalArgumentException(op + ": expected both inputs to be float32 or both float64 tensors,"
          + " got " + a.dtype() + " " + a.shape() + " and " + b.dtype() + " " + b.shape());
    }
  }

  /** Returns the real part of a complex tensor as a view ({@code x.real}); a real tensor itself. */
  public static Tensor real(Tensor x) {
    return x.dtype().isComplex() ? re(x) : x;
  }

  /**
   * Returns the imaginary part of a complex tensor as a view ({@code x.imag}).
   *
   * @throws IllegalArgumentException for a real tensor, as in PyTorch
   */
  public static Tensor imag(Tensor x) {
    if (!x.dtype().isComplex()) {
      throw new IllegalArgumentException("imag: imag is not implemented for tensors with non-complex dtypes"
          + " (got " + x.dtype() + " of shape " + x.shape() + ")");
    }
    return im(x);
  }

  /**
   * Returns the complex conjugate ({@code torch.conj}) as a new tensor (PyTorch's is a lazy view; the
   * values are the same); a real tensor itself.
   */
  public static Tensor conj(Tensor x) {
    return x.dtype().isComplex() ? fromParts(re(x), im(x).neg()) : x;
  }

  /**
   * Returns {@code max(|re|, |im|)} of each element, 1 where both are 0, without history: dividing
   * by it keeps squares of the parts from overflowing or underflowing (as {@code hypot} and Smith's
   * division do), and as a constant it leaves every gradient exact.
   */
  private static Tensor scaleOf(Tensor c) {
    try (GradMode off = GradMode.noGrad()) {
      Tensor m = re(c).abs().maximum(im(c).abs());
      return Tensor.where(m.eq(0), 1.0, m);
    }
  }

  /**
   * Returns {@code |x|} of a complex tensor, of its component type, computed as {@code hypot} (no
   * overflow for large parts); the gradient is {@code g x / |x|}, and 0 where {@code x} is 0, as
   * PyTorch's.
   */
  public static Tensor abs(Tensor x) {
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      Tensor m = scaleOf(x);
      Tensor hypot = re(x).div(m).square().add(im(x).div(m).square()).sqrt().mul(m);
      out = Tensor.where(m.isinf(), m, hypot);
    }
    return record("abs", out, new Tensor[] {x}, new Tensor[] {x, out}, g -> {
      Tensor safe = Tensor.where(out.eq(0), 1.0, out);
      Tensor scale = g.div(safe).mul(out.ne(0).to(g.dtype()));
      return new Tensor[] {fromParts(re(x).mul(scale), im(x).mul(scale))};
    });
  }

  /**
   * Returns the angle of each element in radians ({@code torch.angle}): {@code atan2(imag, real)} for
   * a complex tensor, with gradient {@code g (-imag + i real) / |x|^2} (0 at 0); for a real tensor
   * pi where it is negative, else 0 (NaN stays NaN), with a zero gradient, as PyTorch's.
   */
  public static Tensor angle(Tensor x) {
    if (!x.dtype().isComplex()) {
      Tensor xf = x.dtype().isFloatingPoint() ? x : x.to(DType.FLOAT32);
      Tensor out;
      try (GradMode off = GradMode.noGrad()) {
        out = Tensor.where(xf.isnan(), xf, xf.lt(0).to(xf.dtype()).mul(Math.PI));
      }
      return record("angle", out, new Tensor[] {xf}, g -> new Tensor[] {Tensor.zerosLike(g)});
    }
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      // No atan2 kernel: computed on the host (an op to move to the backends if it ever gets hot).
      double[] y = re(x).contiguous().detach().to(DType.FLOAT64).toDoubleArray();
      double[] imag = im(x).contiguous().detach().to(DType.FLOAT64).toDoubleArray();
      for (int i = 0; i < y.length; i++) {
        y[i] = Math.atan2(imag[i], y[i]);
      }
      out = Tensor.of(y, x.shapeArray()).to(x.dtype().toReal()).to(x.device());
    }
    return record("angle", out, new Tensor[] {x}, new Tensor[] {x}, g -> {
      // (-im + i re) / |x|^2, with x scaled by m: (-im/m + i re/m) / (m |x/m|^2).
      Tensor m = scaleOf(x);
      Tensor cr = re(x).div(m);
      Tensor ci = im(x).div(m);
      Tensor normSq = cr.square().add(ci.square());
      Tensor scale = g.div(Tensor.where(normSq.eq(0), 1.0, normSq).mul(m)).mul(normSq.ne(0).to(g.dtype()));
      return new Tensor[] {fromParts(ci.neg().mul(scale), cr.mul(scale))};
    });
  }

  // ---------------------------------------------------------------- arithmetic

  /**
   * Returns the result dtype of a binary op with a complex operand, by PyTorch's rules: promotion,
   * except that a 0-d operand of a higher category only lifts the category (float32 tensor times a
   * complex128 0-d tensor is complex64; an integer tensor takes the 0-d tensor's complex type).
   */
  static DType resultType(Tensor a, Tensor b) {
    boolean aScalar = a.dim() == 0;
    boolean bScalar = b.dim() == 0;
    if (aScalar == bScalar) {
      return DType.promote(a.dtype(), b.dtype());
    }
    DType dim = (aScalar ? b : a).dtype();
    DType zero = (aScalar ? a : b).dtype();
    if (dim.isComplex()) {
      return dim;
    }
    return dim.isFloatingPoint() ? dim.toComplex() : zero;
  }

  /** Returns {@code x} as a complex tensor of {@code type} (a real one gets a zero imaginary part). */
  private static Tensor asComplex(Tensor x, DType type) {
    if (x.dtype() == type) {
      return x;
    }
    if (x.dtype().isComplex()) {
      return toDType(x, type);
    }
    Tensor re = x.to(type.toReal());
    return fromParts(re, Tensor.zeros(Shape.scalar(), re.dtype(), re.device()));
  }

  /**
   * Returns {@code a op b} for add, sub, mul and div with at least one complex operand: broadcast
   * and promoted as PyTorch does, computed on the real views.
   */
  static Tensor binary(String name, Tensor a, Tensor b) {
    Dispatch.backendOf(name, a, b);
    Dispatch.broadcastShapes(name, a.shapeArray(), b.shapeArray());
    DType type = resultType(a, b);
    Tensor ca = asComplex(a, type);
    Tensor cb = asComplex(b, type);
    return switch (name) {
      case "add" -> complexView(viewAsReal(ca).add(viewAsReal(cb)));
      case "sub" -> complexView(viewAsReal(ca).sub(viewAsReal(cb)));
      case "mul" -> fromParts(re(ca).mul(re(cb)).sub(im(ca).mul(im(cb))),
          re(ca).mul(im(cb)).add(im(ca).mul(re(cb))));
      case "div" -> divide(ca, cb);
      default -> throw new IllegalArgumentException(name + ": not implemented for complex tensors; " + SUPPORTED);
    };
  }

  /**
   * Returns {@code a / b} of complex tensors: {@code a conj(c) / (m |c|^2)} with {@code c = b / m},
   * {@code m = max(|re b|, |im b|)}, so {@code |b|^2} neither overflows nor underflows (Smith's
   * idea, as PyTorch's); where {@code b} is 0 each part of {@code a} is divided by 0 (inf or NaN),
   * as in PyTorch.
   */
  private static Tensor divide(Tensor a, Tensor b) {
    Tensor m = scaleOf(b);
    Tensor cr = re(b).div(m);
    Tensor ci = im(b).div(m);
    Tensor zero;
    try (GradMode off = GradMode.noGrad()) {
      zero = re(b).eq(0).logicalAnd(im(b).eq(0));
    }
    Tensor denominator = Tensor.where(zero, 1.0, cr.square().add(ci.square()).mul(m));
    Tensor real = re(a).mul(cr).add(im(a).mul(ci)).div(denominator);
    Tensor imag = im(a).mul(cr).sub(re(a).mul(ci)).div(denominator);
    // At b == 0: re(a) / |re b| and im(a) / |im b|, i.e. each part over +0 (a safe 1 elsewhere).
    Tensor realByZero = re(a).div(Tensor.where(zero, re(b).abs(), Tensor.onesLike(m)));
    Tensor imagByZero = im(a).div(Tensor.where(zero, im(b).abs(), Tensor.onesLike(m)));
    return fromParts(Tensor.where(zero, realByZero, real), Tensor.where(zero, imagByZero, imag));
  }

  /**
   * Returns tensors (some complex, sizes already checked) joined along {@code dim} as {@code type}:
   * the real views joined. {@code stack} comes through here too.
   */
  static Tensor cat(List<Tensor> tensors, int dim, DType type) {
    Tensor[] reals = new Tensor[tensors.size()];
    for (int i = 0; i < reals.length; i++) {
      reals[i] = viewAsReal(asComplex(tensors.get(i), type));
    }
    return complexView(Shaping.cat(List.of(reals), dim));
  }

  /** Returns {@code -x} of a complex tensor. */
  static Tensor neg(Tensor x) {
    return complexView(viewAsReal(x).neg());
  }

  /**
   * Runs an in-place binary op whose operand or result is complex: allowed when autograd records
   * nothing (the engine's gradient accumulation, optimizer updates), computed out of place and
   * copied in through the real views.
   *
   * @throws IllegalStateException when autograd would record it
   * @throws IllegalArgumentException when a complex result would be written into a real tensor
   */
  static Tensor inPlace(String name, Tensor self, Tensor other, BinaryOperator<Tensor> outOfPlace) {
    if (GradMode.isEnabled() && (self.requiresGrad() || other.requiresGrad())) {
      throw new IllegalStateException(name + ": in-place ops on complex tensors are not supported under"
          + " autograd (" + self.dtype() + " " + self.shape() + ", " + other.dtype() + " " + other.shape()
          + "); use the out-of-place op");
    }
    try (GradMode off = GradMode.noGrad()) {
      Tensor result = outOfPlace.apply(self, other);
      if (!self.dtype().isComplex()) {
        throw new IllegalArgumentException(name + ": result type " + result.dtype() + " can't be cast to the"
            + " desired output type " + self.dtype());
      }
      if (!Arrays.equals(result.shapeArray(), self.shapeArray())) {
        throw new IllegalArgumentException(name + ": output with shape " + self.shape()
            + " doesn't match the broadcast shape " + result.shape());
      }
      viewAsReal(self).copyInPlace(viewAsReal(toDType(result, self.dtype())));
    }
    return self;
  }

  /** Sets every element of a complex tensor to {@code value + 0i}, when autograd records nothing. */
  static Tensor fillInPlace(Tensor self, double value) {
    if (GradMode.isEnabled() && self.requiresGrad()) {
      throw new IllegalStateException("fill_: in-place ops on complex tensors are not supported under autograd ("
          + self.dtype() + " " + self.shape() + ")");
    }
    try (GradMode off = GradMode.noGrad()) {
      Tensor r = viewAsReal(self);
      r.select(-1, 0).fillInPlace(value);
      r.select(-1, 1).fillInPlace(0);
    }
    return self;
  }

  // ---------------------------------------------------------------- reductions, copies, conversions

  /** Returns the sum of a complex tensor over {@code dims} (null or empty: all). */
  static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
    int[] d = Reductions.normalizeDims("sum", x, dims);
    if (d.length == 0) {
      return cloneTensor(x);
    }
    return complexView(Reductions.sum(viewAsReal(x), d, keepdim));
  }

  /** Returns the mean of a complex tensor over {@code dims} (null or empty: all). */
  static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
    int[] d = Reductions.normalizeDims("mean", x, dims);
    long count = 1;
    for (int i : d) {
      count *= x.size(i);
    }
    return complexView(viewAsReal(sum(x, d, keepdim)).div((double) count));
  }

  /** Returns {@link Views#sliceBackward} of a complex gradient, computed on its real view. */
  static Tensor sliceBackward(Tensor g, int[] shape, int dim, int start, int step) {
    int[] real = Arrays.copyOf(shape, shape.length + 1);
    real[shape.length] = 2;
    return complexView(Views.sliceBackward(viewAsReal(g), real, dim, start, step));
  }

  /** Returns a copy of a complex tensor with its own contiguous storage; differentiable. */
  static Tensor cloneTensor(Tensor x) {
    return complexView(Views.cloneTensor(viewAsReal(x)));
  }

  /**
   * Returns {@code x} converted to {@code type} where one of them is complex: between complex64 and
   * complex128, and from a real type to complex (zero imaginary part); differentiable.
   *
   * @throws IllegalArgumentException from complex to a real type (PyTorch drops the imaginary part
   *     with a warning; take {@code real()} or {@code abs()} explicitly)
   */
  static Tensor toDType(Tensor x, DType type) {
    if (x.dtype() == type) {
      return x;
    }
    if (!type.isComplex()) {
      throw new IllegalArgumentException("to: casting " + x.dtype() + " to " + type + " would discard the"
          + " imaginary part (shape " + x.shape() + "); take real() or abs() explicitly");
    }
    if (!x.dtype().isComplex()) {
      return asComplex(x, type);
    }
    return complexView(viewAsReal(x).to(type.toReal()));
  }

  /** Returns a complex tensor on {@code device}: its real view moved; differentiable. */
  static Tensor toDevice(Tensor x, dev.ember.Device device) {
    return x.device().equals(device) ? x : complexView(viewAsReal(x).to(device));
  }

  /** Returns a 0-d or filled complex tensor {@code value + 0i}; not recorded. */
  static Tensor full(Shape shape, double value, DType type, dev.ember.Device device) {
    int[] dims = shape.dims();
    int[] real = Arrays.copyOf(dims, dims.length + 1);
    real[dims.length] = 2;
    Tensor r = Creation.full(Shape.of(real), 0, type.toReal(), device);
    if (value != 0) {
      try (GradMode off = GradMode.noGrad()) {
        r.select(-1, 0).fillInPlace(value);
      }
    }
    return viewAsComplex(r);
  }

  /** Returns an uninitialized contiguous complex tensor. For {@link Dispatch#empty}. */
  public static Tensor empty(dev.ember.spi.Backend backend, DType type, int[] shape) {
    int[] real = Arrays.copyOf(shape, shape.length + 1);
    real[shape.length] = 2;
    return viewAsComplex(Dispatch.empty(backend, type.toReal(), real));
  }
}
