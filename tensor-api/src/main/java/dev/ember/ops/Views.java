package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Backends;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import dev.ember.spi.Strided;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Views (results share storage with their input, exactly where PyTorch's do), copies and
 * conversions. Each view's backward maps the gradient back to the input's shape.
 */
public final class Views {
  private Views() {}

  /** Returns {@code x} converted to {@code type}; the gradient is converted back. */
  public static Tensor toDType(Tensor x, DType type) {
    if (x.dtype() == type) {
      return x;
    }
    if (x.dtype().isComplex() || type.isComplex()) {
      return ComplexOps.toDType(x, type);
    }
    Tensor out = Dispatch.cast(x, type);
    if (!type.isFloatingPoint()) {
      return out;
    }
    DType from = x.dtype();
    return record("to", out, new Tensor[] {x}, g -> new Tensor[] {g.to(from)});
  }

  /** Returns {@code x} on {@code device}: itself if already there, else a differentiable copy. */
  public static Tensor toDevice(Tensor x, Device device) {
    if (x.device().equals(device)) {
      return x;
    }
    if (x.dtype().isComplex()) {
      return ComplexOps.toDevice(x, device);
    }
    Backend target;
    try {
      target = Backends.get(device);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("to: " + e.getMessage(), e);
    }
    Tensor out = Dispatch.empty(target, x.dtype(), x.shapeArray());
    ByteBuffer bytes = x.hostBytes(x.dtype());
    target.copyFromHost(bytes, out.strided().storage());
    Device from = x.device();
    return record("to", out, new Tensor[] {x}, g -> new Tensor[] {g.to(from)});
  }

  /** Returns a copy with its own contiguous storage; the gradient passes through. */
  public static Tensor cloneTensor(Tensor x) {
    if (x.dtype().isComplex()) {
      return ComplexOps.cloneTensor(x);
    }
    Tensor out = Dispatch.empty(x.backend(), x.dtype(), x.shapeArray());
    x.backend().copy(x.strided(), out.strided());
    return record("clone", out, new Tensor[] {x}, g -> new Tensor[] {g});
  }

  /**
   * Returns the one element of {@code t} as a long: exact for integer tensors (no double round trip,
   * so int64 values beyond 2^53 survive), truncated toward zero for floating ones.
   *
   * @throws IllegalArgumentException if {@code t} has more than one element
   */
  public static long itemLong(Tensor t) {
    if (t.numel() != 1) {
      throw new IllegalArgumentException("item: a tensor with " + t.numel() + " elements (shape " + t.shape()
          + ") cannot be converted to a scalar");
    }
    return t.toLongArray()[0];
  }

  /** Returns {@code x} if contiguous, else a contiguous copy. */
  public static Tensor contiguous(Tensor x) {
    return x.isContiguous() ? x : cloneTensor(x);
  }

  /** Returns a view of {@code x} with an identity node: {@code x}'s history before an in-place op. */
  static Tensor alias(Tensor x) {
    Tensor v = x.asStrided(x.shapeArray(), x.stridesArray(), x.storageOffset());
    return record("alias", v, new Tensor[] {x}, g -> new Tensor[] {g});
  }

  /** Makes {@code self} take over {@code result}'s history after an in-place write. */
  static void takeHistory(Tensor self, Tensor result) {
    dev.ember.Autograd.rebase(self, result);
  }

  private static int[] inferShape(String op, Tensor x, int[] shape) {
    return inferShape(op, x.numel(), x.shape(), shape);
  }

  /** Resolves a -1 in {@code shape} for {@code numel} elements; {@code from} (the input's shape) only prints in errors. */
  private static int[] inferShape(String op, long numel, Object from, int[] shape) {
    int[] out = shape.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException(op + ": only one dimension can be inferred in "
              + Arrays.toString(shape));
        }
        infer = i;
      } else if (out[i] < 0) {
        throw new IllegalArgumentException(op + ": invalid shape dimension " + out[i] + " in "
            + Arrays.toString(shape));
      } else {
        known *= out[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || numel % known != 0) {
        throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape)
            + " is invalid for input of size " + numel + " (shape " + from + ")");
      }
      if (numel / known > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(op + ": the inferred size " + numel / known + " of shape "
            + Arrays.toString(shape) + " exceeds the largest dim size " + Integer.MAX_VALUE + " (shape " + from
            + ")");
      }
      out[infer] = (int) (numel / known);
    } else if (known != numel) {
      throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape)
          + " is invalid for input of size " + numel + " (shape " + from + ")");
    }
    return out;
  }

  /**
   * Returns strides that let a tensor of {@code shape}/{@code strides} be viewed as {@code
   * newShape}, or null when the memory layout does not allow it without a copy.
   */
  static int[] viewStrides(int[] shape, int[] strides, int[] newShape) {
    if (Shape.numel(shape) == 0 || shape.length == 0) {
      return Strided.contiguousStrides(newShape);
    }
    int[] out = new int[newShape.length];
    int viewDim = newShape.length - 1;
    long chunkStride = strides[shape.length - 1];
    long tensorNumel = 1;
    long viewNumel = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      tensorNumel *= shape[d];
      boolean chunkEnds = d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkStride);
      if (chunkEnds) {
        while (viewDim >= 0 && (viewNumel < tensorNumel || newShape[viewDim] == 1)) {
          out[viewDim] = (int) (viewNumel * chunkStride);
          viewNumel *= newShape[viewDim];
          viewDim--;
        }
        if (viewNumel != tensorNumel) {
          return null;
        }
        if (d > 0) {
          chunkStride = strides[d - 1];
          tensorNumel = 1;
          viewNumel = 1;
        }
      }
    }
    return viewDim == -1 ? out : null;
  }

  /** Returns a view with shape {@code newShape}; fails if the layout needs a copy. */
  public static Tensor view(Tensor x, int[] newShape) {
    int[] shape = inferShape("view", x, newShape);
    int[] strides = viewStrides(x.shapeArray(), x.stridesArray(), shape);
    if (strides == null) {
      throw new IllegalArgumentException("view: size " + Arrays.toString(shape) + " is not compatible with"
          + " the input's shape " + x.shape() + " and strides " + Arrays.toString(x.stridesArray())
          + "; use reshape(...) instead");
    }
    int[] from = x.shapeArray();
    Tensor out = x.asStrided(shape, strides, x.storageOffset());
    return record("view", out, new Tensor[] {x}, g -> new Tensor[] {g.reshape(from)});
  }

  /** Returns a view with shape {@code newShape} when the layout allows, else a reshaped copy. */
  public static Tensor reshape(Tensor x, int[] newShape) {
    int[] shape = inferShape("reshape", x, newShape);
    if (viewStrides(x.shapeArray(), x.stridesArray(), shape) != null) {
      return view(x, shape);
    }
    return view(cloneTensor(x), shape);
  }

  /** Returns a view with dims reordered: output dim i is input dim {@code dims[i]}. */
  public static Tensor permute(Tensor x, int[] dims) {
    int rank = x.dim();
    if (dims.length != rank) {
      throw new IllegalArgumentException("permute: number of dims " + dims.length
          + " doesn't match the tensor's " + rank + " (shape " + x.shape() + ")");
    }
    int[] shape = x.shapeArray();
    int[] strides = x.stridesArray();
    int[] newShape = new int[rank];
    int[] newStrides = new int[rank];
    int[] inverse = new int[rank];
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < rank; i++) {
      int d = Shape.normalizeDim(dims[i], rank, "permute");
      if (seen[d]) {
        throw new IllegalArgumentException("permute: repeated dim in " + Arrays.toString(dims));
      }
      seen[d] = true;
      newShape[i] = shape[d];
      newStrides[i] = strides[d];
      inverse[d] = i;
    }
    Tensor out = x.asStrided(newShape, newStrides, x.storageOffset());
    return record("permute", out, new Tensor[] {x}, g -> new Tensor[] {g.permute(inverse)});
  }

  /** Returns a view with {@code dim0} and {@code dim1} swapped. */
  public static Tensor transpose(Tensor x, int dim0, int dim1) {
    int rank = x.dim();
    if (rank == 0) {
      return x;
    }
    int a = Shape.normalizeDim(dim0, rank, "transpose");
    int b = Shape.normalizeDim(dim1, rank, "transpose");
    int[] perm = new int[rank];
    for (int i = 0; i < rank; i++) {
      perm[i] = i;
    }
    perm[a] = b;
    perm[b] = a;
    return permute(x, perm);
  }

  /** Returns the transpose of a tensor of at most 2 dims. */
  public static Tensor t(Tensor x) {
    if (x.dim() > 2) {
      throw new IllegalArgumentException("t: expects a tensor with <= 2 dims, but got shape " + x.shape());
    }
    return x.dim() < 2 ? x : transpose(x, 0, 1);
  }

  /** Returns a broadcast view of {@code x} with shape {@code newShape} (-1 keeps a size). */
  public static Tensor expand(Tensor x, int[] newShape) {
    int[] shape = x.shapeArray();
    if (newShape.length < shape.length) {
      throw new IllegalArgumentException("expand: the number of sizes provided (" + newShape.length
          + ") must be at least the number of dims (" + shape.length + "), shape " + x.shape());
    }
    int[] target = newShape.clone();
    int lead = target.length - shape.length;
    for (int i = 0; i < target.length; i++) {
      if (target[i] == -1) {
        if (i < lead) {
          throw new IllegalArgumentException("expand: -1 not allowed for a new leading dim");
        }
        target[i] = shape[i - lead];
      }
      if (i >= lead && shape[i - lead] != 1 && shape[i - lead] != target[i]) {
        throw new IllegalArgumentException("expand: the expanded size " + target[i] + " must match the"
            + " existing size " + shape[i - lead] + " at dim " + i + " (shape " + x.shape() + " to "
            + Arrays.toString(newShape) + ")");
      }
    }
    if (Arrays.equals(target, shape)) {
      return x;
    }
    try {
      Shape.numel(target);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expand: " + e.getMessage() + " (shape " + x.shape() + ")", e);
    }
    int[] from = x.shapeArray();
    Tensor out = x.asStrided(target, Dispatch.broadcastStrides(from, x.stridesArray(), target), x.storageOffset());
    return record("expand", out, new Tensor[] {x}, g -> new Tensor[] {g.sumTo(from)});
  }

  /** Returns the view {@code x[start:end:step]} along {@code dim}, with Python's clamping rules. */
  public static Tensor slice(Tensor x, int dim, int start, int end, int step) {
    int d = Shape.normalizeDim(dim, x.dim(), "slice");
    if (step <= 0) {
      throw new IllegalArgumentException("slice: step must be positive, got " + step);
    }
    int size = x.size(d);
    int s = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
    int e = Math.min(Math.max(end < 0 ? end + size : end, s), size);
    int length = (int) ((e - s + (long) step - 1) / step);
    int[] shape = x.shapeArray();
    int[] strides = x.stridesArray();
    long offset = x.storageOffset() + (long) s * strides[d];
    shape[d] = length;
    long stride = (long) strides[d] * step;
    if (length > 1 && stride != (int) stride) {
      throw new IllegalArgumentException("slice: stride " + strides[d] + " * step " + step + " of dim " + d
          + " overflows an int (shape " + x.shape() + ")");
    }
    // A dim of at most one element never moves along its stride: keep it in range.
    strides[d] = length > 1 ? (int) stride : strides[d];
    Tensor out = x.asStrided(shape, strides, offset);
    int[] from = x.shapeArray();
    return dev.ember.Autograd.recordSlice(out, x, d, s, step,
        g -> new Tensor[] {sliceBackward(g, from, d, s, step)});
  }

  /**
   * Returns the view of {@code length} elements of {@code dim} from {@code start} ({@code
   * torch.narrow}); a negative {@code start} counts from the end.
   *
   * @throws IndexOutOfBoundsException if {@code start} is outside {@code [-size, size]}
   * @throws IllegalArgumentException if {@code length} is negative or runs past the end of the dim
   */
  public static Tensor narrow(Tensor x, int dim, int start, int length) {
    if (x.dim() == 0) {
      throw new IllegalArgumentException("narrow: cannot be applied to a 0-dim tensor");
    }
    int d = Shape.normalizeDim(dim, x.dim(), "narrow");
    int size = x.size(d);
    if (start < -size || start > size) {
      throw new IndexOutOfBoundsException("narrow: start " + start + " is out of range for dim " + d
          + " of size " + size + " (expected in [" + (-size) + ", " + size + "], shape " + x.shape() + ")");
    }
    int s = start < 0 ? start + size : start;
    if (length < 0) {
      throw new IllegalArgumentException("narrow: length must be non-negative, got " + length);
    }
    if ((long) s + length > size) {
      throw new IllegalArgumentException("narrow: start (" + s + ") + length (" + length + ") exceeds the size "
          + size + " of dim " + d + " (shape " + x.shape() + ")");
    }
    return slice(x, d, s, s + length, 1);
  }

  /**
   * Returns zeros of {@code shape} with {@code g} written into the slice {@code [start::step]} of
   * {@code dim}: the gradient of a slice. Differentiable (its own gradient is the slice again).
   */
  public static Tensor sliceBackward(Tensor g, int[] shape, int dim, int start, int step) {
    if (g.dtype().isComplex()) {
      return ComplexOps.sliceBackward(g, shape, dim, start, step);
    }
    Tensor out = Dispatch.empty(g.backend(), g.dtype(), shape);
    g.backend().fill(out.strided(), 0);
    Strided whole = out.strided();
    int[] strides = whole.strides().clone();
    long offset = (long) start * strides[dim];
    strides[dim] *= step;
    g.backend().copy(g.strided(), new Strided(whole.storage(), g.dtype(), g.shapeArray(), strides, offset));
    int length = g.size(dim);
    return record("slice_backward", out, new Tensor[] {g},
        gg -> new Tensor[] {slice(gg, dim, start, start + (length - 1) * step + 1, step)});
  }

  /** Returns the view at {@code index} of {@code dim}, without that dim. */
  public static Tensor select(Tensor x, int dim, int index) {
    int d = Shape.normalizeDim(dim, x.dim(), "select");
    int size = x.size(d);
    if (index < -size || index >= size) {
      throw new IndexOutOfBoundsException("select: index " + index + " is out of bounds for dim " + d
          + " with size " + size + " (shape " + x.shape() + ")");
    }
    int i = index < 0 ? index + size : index;
    return squeeze(slice(x, d, i, i + 1, 1), new int[] {d});
  }

  /** Returns a view with a new size-1 dim at {@code dim} (in {@code [-rank-1, rank]}). */
  public static Tensor unsqueeze(Tensor x, int dim) {
    int d = Shape.normalizeDim(dim, x.dim() + 1, "unsqueeze");
    int[] shape = x.shapeArray();
    int[] strides = x.stridesArray();
    int[] newShape = new int[shape.length + 1];
    int[] newStrides = new int[shape.length + 1];
    for (int i = 0, j = 0; i < newShape.length; i++) {
      if (i == d) {
        newShape[i] = 1;
        newStrides[i] = j < shape.length ? strides[j] * shape[j] : 1;
      } else {
        newShape[i] = shape[j];
        newStrides[i] = strides[j];
        j++;
      }
    }
    Tensor out = x.asStrided(newShape, newStrides, x.storageOffset());
    int[] from = x.shapeArray();
    return record("unsqueeze", out, new Tensor[] {x}, g -> new Tensor[] {g.reshape(from)});
  }

  /** Returns a view without the size-1 dims among {@code dims} (all size-1 dims if null). */
  public static Tensor squeeze(Tensor x, int[] dims) {
    int rank = x.dim();
    boolean[] drop = new boolean[rank];
    int[] shape = x.shapeArray();
    if (dims == null) {
      for (int i = 0; i < rank; i++) {
        drop[i] = shape[i] == 1;
      }
    } else if (rank > 0) {
      for (int dim : dims) {
        int d = Shape.normalizeDim(dim, rank, "squeeze");
        drop[d] = shape[d] == 1;
      }
    }
    int[] strides = x.stridesArray();
    int kept = 0;
    for (boolean b : drop) {
      kept += b ? 0 : 1;
    }
    if (kept == rank) {
      return x;
    }
    int[] newShape = new int[kept];
    int[] newStrides = new int[kept];
    for (int i = 0, j = 0; i < rank; i++) {
      if (!drop[i]) {
        newShape[j] = shape[i];
        newStrides[j++] = strides[i];
      }
    }
    Tensor out = x.asStrided(newShape, newStrides, x.storageOffset());
    return record("squeeze", out, new Tensor[] {x}, g -> new Tensor[] {g.reshape(shape)});
  }

  /** Returns dims {@code start..end} merged into one (a view where the layout allows). */
  public static Tensor flatten(Tensor x, int start, int end) {
    if (x.dim() == 0) {
      return reshape(x, new int[] {1});
    }
    int s = Shape.normalizeDim(start, x.dim(), "flatten");
    int e = Shape.normalizeDim(end, x.dim(), "flatten");
    if (s > e) {
      throw new IllegalArgumentException("flatten: start_dim " + start + " comes after end_dim " + end);
    }
    int[] shape = x.shapeArray();
    int[] newShape = new int[shape.length - (e - s)];
    long merged = 1;
    for (int i = s; i <= e; i++) {
      merged *= shape[i];
    }
    if (merged > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("flatten: dims " + s + ".." + e + " of shape " + x.shape() + " hold "
          + merged + " elements, more than the largest dim size " + Integer.MAX_VALUE);
    }
    System.arraycopy(shape, 0, newShape, 0, s);
    newShape[s] = (int) merged;
    System.arraycopy(shape, e + 1, newShape, s + 1, shape.length - e - 1);
    return reshape(x, newShape);
  }

  /** Returns {@code dim} split into {@code sizes} (one of them may be -1). */
  public static Tensor unflatten(Tensor x, int dim, int[] sizes) {
    int d = Shape.normalizeDim(dim, x.dim(), "unflatten");
    int[] shape = x.shapeArray();
    int[] inner = inferShape("unflatten", shape[d], "[" + shape[d] + "]", sizes);
    int[] newShape = new int[shape.length - 1 + inner.length];
    System.arraycopy(shape, 0, newShape, 0, d);
    System.arraycopy(inner, 0, newShape, d, inner.length);
    System.arraycopy(shape, d + 1, newShape, d + inner.length, shape.length - d - 1);
    return view(x, newShape);
  }
}
