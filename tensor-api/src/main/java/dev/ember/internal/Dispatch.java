package dev.ember.internal;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.spi.Backend;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.ReduceOp;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import java.util.Arrays;

/**
 * Resolves devices, broadcasting and dtype promotion, allocates results and calls the backend.
 * Nothing here records autograd history: the op families in {@code dev.ember.ops} do that.
 */
public final class Dispatch {
  private Dispatch() {}

  /**
   * Returns the backend all tensors live on.
   *
   * @throws IllegalArgumentException naming the op and both devices when they differ
   */
  public static Backend backendOf(String op, Tensor... tensors) {
    Device d = tensors[0].device();
    for (int i = 1; i < tensors.length; i++) {
      if (!tensors[i].device().equals(d)) {
        throw new IllegalArgumentException(op + ": tensors on different devices: " + d + " and "
            + tensors[i].device() + "; move one with .to(...)");
      }
    }
    return tensors[0].backend();
  }

  /** Returns an uninitialized contiguous tensor on a backend. */
  public static Tensor empty(Backend backend, DType dtype, int[] shape) {
    if (dtype.isComplex()) {
      return dev.ember.ops.ComplexOps.empty(backend, dtype, shape);
    }
    long n = Shape.numel(shape);
    dev.ember.spi.Storage storage = backend.allocate(dtype, Math.max(n, 1));
    if (n == 0) { // the one element behind an empty tensor holds no data: zero it, so resize_ never shows old memory
      backend.fill(Strided.contiguous(storage, 1), 0);
    }
    return Tensor.wrap(backend, Strided.contiguous(storage, shape.clone()));
  }

  /** Returns {@code x} converted to {@code dtype} (itself if it already has it); not recorded. */
  public static Tensor cast(Tensor x, DType dtype) {
    if (x.dtype() == dtype) {
      return x;
    }
    Tensor out = empty(x.backend(), dtype, x.shapeArray());
    x.backend().copy(x.strided(), out.strided());
    return out;
  }

  /** Returns a contiguous copy of {@code x} (or {@code x} itself if it is already contiguous). */
  public static Tensor contiguous(Tensor x) {
    if (x.strided().isContiguous()) {
      return x;
    }
    Tensor out = empty(x.backend(), x.dtype(), x.shapeArray());
    x.backend().copy(x.strided(), out.strided());
    return out;
  }

  /**
   * Returns the broadcast of two shapes by PyTorch's rules.
   *
   * @throws IllegalArgumentException "op: shapes [2, 3] and [4] cannot be broadcast"
   */
  public static int[] broadcastShapes(String op, int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
      int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(op + ": shapes " + Arrays.toString(a) + " and "
            + Arrays.toString(b) + " cannot be broadcast (dim " + i + ": " + da + " vs " + db + ")");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /** Returns a strided view of {@code x} broadcast to {@code shape} (stride 0 on expanded dims). */
  public static Strided broadcastTo(Tensor x, int[] shape) {
    Strided s = x.strided();
    if (Arrays.equals(s.shape(), shape)) {
      return s;
    }
    return new Strided(s.storage(), s.dtype(), shape, broadcastStrides(s.shape(), s.strides(), shape), s.offset());
  }

  /** Returns the strides of a {@code from}/{@code strides} layout broadcast to {@code shape} (0 on expanded dims). */
  public static int[] broadcastStrides(int[] from, int[] strides, int[] shape) {
    int[] out = new int[shape.length];
    int lead = shape.length - from.length;
    for (int i = 0; i < shape.length; i++) {
      if (i >= lead && from[i - lead] == shape[i]) {
        out[i] = strides[i - lead];
      }
    }
    return out;
  }

  /** Returns the dtype of a binary op's operands by PyTorch's promotion (0-d tensors weigh less). */
  public static DType resultType(Tensor a, Tensor b) {
    if (a.dtype() == b.dtype()) {
      return a.dtype();
    }
    boolean aScalar = a.dim() == 0;
    boolean bScalar = b.dim() == 0;
    if (aScalar != bScalar) {
      Tensor dim = aScalar ? b : a;
      Tensor zero = aScalar ? a : b;
      DType p = DType.promote(dim.dtype(), zero.dtype());
      if (p == dim.dtype() || category(zero.dtype()) <= category(dim.dtype())) {
        return dim.dtype();
      }
      return zero.dtype().isFloatingPoint() ? DType.FLOAT32 : p;
    }
    return DType.promote(a.dtype(), b.dtype());
  }

  private static int category(DType t) {
    return t.isFloatingPoint() ? 2 : t.isIntegral() ? 1 : 0;
  }

  /** Computes a unary op into a new tensor of {@code x}'s dtype (bool for LOGICAL_NOT). */
  public static Tensor unary(UnaryOp op, Tensor x) {
    Tensor out = empty(x.backend(), op == UnaryOp.LOGICAL_NOT ? DType.BOOL : x.dtype(), x.shapeArray());
    x.backend().unary(op, x.strided(), out.strided());
    return out;
  }

  /**
   * Computes a binary op with broadcasting and promotion into a new tensor; comparisons give bool.
   */
  public static Tensor binary(String name, BinaryOp op, Tensor a, Tensor b) {
    Backend backend = backendOf(name, a, b);
    int[] shape = broadcastShapes(name, a.shapeArray(), b.shapeArray());
    DType common = resultType(a, b);
    if (op == BinaryOp.DIV && !common.isFloatingPoint()) {
      common = DType.FLOAT32;
    }
    if (op.ordinal() >= BinaryOp.LOGICAL_AND.ordinal()) {
      common = DType.BOOL;
    }
    Tensor ca = cast(a, common);
    Tensor cb = cast(b, common);
    Tensor out = empty(backend, op.isPredicate() ? DType.BOOL : common, shape);
    backend.binary(op, broadcastTo(ca, shape), broadcastTo(cb, shape), out.strided());
    return out;
  }

  /**
   * Computes a binary op into {@code out} in place ({@code out = op(out, b)}); {@code b} broadcasts to
   * {@code out}'s shape and the result must be castable to {@code out}'s dtype. Overlapping memory
   * follows {@link MemOverlap}'s rules.
   */
  public static void binaryInPlace(String name, BinaryOp op, Tensor out, Tensor b) {
    Backend backend = backendOf(name, out, b);
    int[] shape = broadcastShapes(name, out.shapeArray(), b.shapeArray());
    if (!Arrays.equals(shape, out.shapeArray())) {
      throw new IllegalArgumentException(name + ": output with shape " + out.shape()
          + " doesn't match the broadcast shape " + Arrays.toString(shape));
    }
    DType common = resultType(out, b);
    if (op == BinaryOp.DIV && !common.isFloatingPoint()) {
      common = DType.FLOAT32;
    }
    checkCastable(name, common, out.dtype());
    MemOverlap.checkNoInternalOverlap(name, out);
    Tensor read = MemOverlap.readableWhileWriting(name, out, cast(b, out.dtype()));
    backend.binary(op, out.strided(), broadcastTo(read, shape), out.strided());
  }

  /**
   * Checks that a result of dtype {@code from} may be written into a tensor of dtype {@code to}, as
   * PyTorch's in-place ops do (no floating into integer, no integer into bool).
   */
  public static void checkCastable(String op, DType from, DType to) {
    boolean ok = from == to || to.isFloatingPoint() || (to.isIntegral() && !from.isFloatingPoint());
    if (!ok) {
      throw new IllegalArgumentException(op + ": result type " + from + " can't be cast to the desired"
          + " output type " + to);
    }
  }

  /**
   * Reduces {@code x} over {@code dims} (already normalized, sorted, distinct) into a new tensor
   * keeping size-1 dims; callers squeeze them out when {@code keepdim} is false.
   */
  public static Tensor reduceKeepDims(ReduceOp op, Tensor x, int[] dims, DType outType) {
    int[] shape = x.shapeArray();
    for (int d : dims) {
      shape[d] = 1;
    }
    Tensor out = empty(x.backend(), outType, shape);
    x.backend().reduce(op, x.strided(), out.strided());
    return out;
  }
}
