package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.Index;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Indexing: Python's {@code x[...]} and its assignment form, {@code index_select}, {@code gather}
 * and {@code scatter_add}. Integer and slice indices give views; tensor indices gather copies.
 */
public final class Indexing {
  private Indexing() {}

  /** Returns {@code x[indices...]} with Python and PyTorch semantics. */
  public static Tensor index(Tensor x, Object... indices) {
    int consumed = 0;
    int ellipses = 0;
    for (Object o : indices) {
      if (o == Index.ELLIPSIS) {
        ellipses++;
      } else if (o instanceof Tensor t && t.dtype() == DType.BOOL) {
        consumed += Math.max(1, t.dim());
      } else if (o != Index.NEW_AXIS) {
        consumed += 1;
      }
    }
    if (ellipses > 1) {
      throw new IllegalArgumentException("index: an index can only have a single ellipsis");
    }
    if (consumed > x.dim()) {
      throw new IndexOutOfBoundsException("index: too many indices for tensor of dimension " + x.dim()
          + " (shape " + x.shape() + "): " + consumed + " given");
    }
    Tensor v = x;
    int dim = 0;
    // The dim of x the next index applies to, for error messages (dim counts v's dims, which
    // integers remove and None adds).
    int src = 0;
    List<int[]> advancedDims = new ArrayList<>();
    List<Tensor> advanced = new ArrayList<>();
    for (Object o : indices) {
      if (o == Index.ELLIPSIS) {
        dim += x.dim() - consumed;
        src += x.dim() - consumed;
      } else if (o == Index.NEW_AXIS) {
        v = v.unsqueeze(dim);
        dim++;
      } else if (o instanceof Integer i) {
        int size = v.size(dim);
        if (i < -size || i >= size) {
          throw new IndexOutOfBoundsException("index: index " + i + " is out of bounds for dimension "
              + src + " with size " + size + " (shape " + x.shape() + ")");
        }
        v = v.select(dim, i);
        src++;
      } else if (o instanceof Index.Slice s) {
        int size = v.size(dim);
        int start = s.start() == null ? 0 : s.start();
        int end = s.end() == null ? size : s.end();
        v = v.slice(dim, Math.max(start, -size), Math.max(end, -size), s.step());
        dim++;
        src++;
      } else if (o instanceof Tensor t) {
        if (t.dtype() == DType.BOOL) {
          for (int k = 0; k < t.dim(); k++) {
            if (t.size(k) != v.size(dim + k)) {
              throw new IndexOutOfBoundsException("index: the shape of the mask " + t.shape() + " at index "
                  + k + " does not match the shape of the indexed tensor " + v.shape() + " at dim "
                  + (dim + k));
            }
          }
          Tensor[] coords = nonzero(t);
          for (int k = 0; k < coords.length; k++) {
            advancedDims.add(new int[] {dim + k, src + k});
            advanced.add(coords[k]);
          }
          dim += Math.max(1, t.dim());
          src += Math.max(1, t.dim());
        } else if (t.dtype() == DType.INT64 || t.dtype() == DType.INT32) {
          advancedDims.add(new int[] {dim, src});
          advanced.add(t.to(DType.INT64));
          dim++;
          src++;
        } else {
          throw new IllegalArgumentException("index: tensors used as indices must be long, int or bool,"
              + " got " + t.dtype());
        }
      } else {
        throw new IllegalArgumentException("index: unsupported index " + o + " (use Integer, Index.slice,"
            + " Index.NEW_AXIS, Index.ELLIPSIS or a tensor)");
      }
    }
    if (advanced.isEmpty()) {
      return v;
    }
    return advancedIndex(v, advancedDims, advanced);
  }

  private static Tensor[] nonzero(Tensor mask) {
    boolean[] m = mask.toBooleanArray();
    int rank = Math.max(1, mask.dim());
    int[] shape = mask.dim() == 0 ? new int[] {1} : mask.shapeArray();
    int count = 0;
    for (boolean b : m) {
      count += b ? 1 : 0;
    }
    long[][] coords = new long[rank][count];
    int n = 0;
    for (int flat = 0; flat < m.length; flat++) {
      if (m[flat]) {
        int rem = flat;
        for (int k = rank - 1; k >= 0; k--) {
          coords[k][n] = rem % shape[k];
          rem /= shape[k];
        }
        n++;
      }
    }
    Tensor[] out = new Tensor[rank];
    for (int k = 0; k < rank; k++) {
      out[k] = Tensor.of(coords[k]).to(mask.device());
    }
    return out;
  }

  private static Tensor advancedIndex(Tensor v, List<int[]> dimsList, List<Tensor> idx) {
    int[] dims = dimsList.stream().mapToInt(a -> a[0]).toArray();
    int[] sourceDims = dimsList.stream().mapToInt(a -> a[1]).toArray();
    int[] shape = new int[0];
    for (Tensor t : idx) {
      shape = Dispatch.broadcastShapes("index", shape, t.shapeArray());
    }
    boolean adjacent = true;
    for (int k = 1; k < dims.length; k++) {
      adjacent &= dims[k] == dims[k - 1] + 1;
    }
    // Move the indexed dims to the front, fold them into one, and pick rows with one index_select.
    int rank = v.dim();
    int[] perm = new int[rank];
    boolean[] isIndexed = new boolean[rank];
    int p = 0;
    for (int d : dims) {
      perm[p++] = d;
      isIndexed[d] = true;
    }
    for (int d = 0; d < rank; d++) {
      if (!isIndexed[d]) {
        perm[p++] = d;
      }
    }
    Tensor moved = v.permute(perm);
    Tensor linear = null;
    long stride = 1;
    for (int k = dims.length - 1; k >= 0; k--) {
      int size = v.size(dims[k]);
      Tensor i = checkRange(idx.get(k), size, sourceDims[k]);
      Tensor term = stride == 1 ? i : i.mul((double) stride);
      linear = linear == null ? term : linear.add(term);
      stride *= size;
    }
    int[] rest = Arrays.copyOfRange(moved.shapeArray(), dims.length, rank);
    int[] folded = new int[rest.length + 1];
    folded[0] = (int) stride;
    System.arraycopy(rest, 0, folded, 1, rest.length);
    Tensor picked = moved.reshape(folded).indexSelect(0, linear.expand(shape).reshape(-1));
    int[] resultShape = new int[shape.length + rest.length];
    System.arraycopy(shape, 0, resultShape, 0, shape.length);
    System.arraycopy(rest, 0, resultShape, shape.length, rest.length);
    Tensor result = picked.reshape(resultShape);
    if (adjacent && dims[0] > 0) {
      // PyTorch keeps adjacent advanced dims in place: move them back after the leading dims.
      int lead = dims[0];
      int[] back = new int[resultShape.length];
      int q = 0;
      for (int d = 0; d < lead; d++) {
        back[q++] = shape.length + d;
      }
      for (int d = 0; d < shape.length; d++) {
        back[q++] = d;
      }
      for (int d = shape.length + lead; d < resultShape.length; d++) {
        back[q++] = d;
      }
      result = result.permute(back);
    }
    return result;
  }

  /** Wraps negative indices and checks every index is within {@code [-size, size)}. */
  private static Tensor checkRange(Tensor index, int size, int dim) {
    return checkRange("index", index, size, dim, true);
  }

  /** Index tensors up to this many elements are checked on the host: one copy instead of two reductions. */
  private static final long HOST_CHECK_ELEMENTS = 1 << 14;

  /**
   * Returns {@code {min, max}} of a non-empty integer tensor: read back and scanned when it is small (an
   * embedding's [16, 64] indices: one copy of 8 KiB where {@code amin} and {@code amax}, each with its own
   * {@code item()}, took 9 of the embedding's 31 us), else by the two reductions on its device.
   */
  static long[] extremes(Tensor index) {
    if (index.numel() <= HOST_CHECK_ELEMENTS) {
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      for (long v : index.toLongArray()) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      return new long[] {lo, hi};
    }
    return new long[] {(long) index.amin().item(), (long) index.amax().item()};
  }

  /**
   * Checks every index is within {@code [-size, size)} and wraps the negative ones when {@code
   * wrapNegative}; else within {@code [0, size)}, as {@code gather} and {@code scatter_add} require.
   */
  private static Tensor checkRange(String op, Tensor index, int size, int dim, boolean wrapNegative) {
    if (index.numel() == 0) {
      return index;
    }
    long[] extremes = extremes(index);
    long lo = extremes[0];
    long hi = extremes[1];
    long min = wrapNegative ? -size : 0;
    if (lo < min || hi >= size) {
      long bad = hi >= size ? hi : lo;
      throw new IndexOutOfBoundsException(op + ": index " + bad + " is out of bounds for dimension "
          + dim + " with size " + size);
    }
    return lo < 0 ? Tensor.where(index.lt(0), index.add((double) size), index) : index;
  }

  /**
   * Writes {@code value} into {@code x[indices...]} in place and returns {@code x}. Duplicate
   * positions among tensor indices leave an unspecified result, as in PyTorch.
   */
  public static Tensor indexPut(Tensor x, Tensor value, Object... indices) {
    checkIndexPutDType(x, value, indices);
    Tensor positions;
    try (var off = dev.ember.GradMode.noGrad()) {
      positions = index(Tensor.arange(x.numel()).to(x.device()).reshape(x.shapeArray()), indices);
    }
    Tensor flatPositions = positions.reshape(-1);
    // A position written more than once keeps its last write (as PyTorch's CPU kernel does): the
    // scatter-add of deltas below would otherwise add every write's delta into it.
    Tensor lastWrites = lastOccurrences(flatPositions);
    Tensor uniquePositions = lastWrites == null ? flatPositions : flatPositions.indexSelect(0, lastWrites);
    Tensor moved = value.device().equals(x.device()) ? value : value.to(x.device());
    dev.ember.internal.MemOverlap.checkNoPartialOverlap("index_put_", x, moved); // read before writing
    Tensor written;
    try (var off = dev.ember.GradMode.noGrad()) {
      Tensor zeros = Tensor.zeros(Shape.of((int) x.numel()), DType.INT64, x.device());
      written = scatterAdd(zeros, 0, uniquePositions, Tensor.onesLike(uniquePositions), false).gt(0);
    }
    return Arithmetic.inPlaceUnary("index_put_", x, t -> {
      Tensor flat = t.reshape(-1);
      Tensor target = moved.to(t.dtype()).expand(positions.shapeArray()).reshape(-1);
      if (lastWrites != null) {
        target = target.indexSelect(0, lastWrites);
      }
      // Written positions take the value itself, scattered onto -0.0 (x + -0.0 == x for every x,
      // -0.0 included); adding (new - old) to old instead loses it next to an infinite or a much
      // larger old value, and cannot be done on bool tensors.
      Tensor base = Creation.full(Shape.of((int) flat.numel()), -0.0, t.dtype(), t.device());
      Tensor placed = scatterAdd(base, 0, uniquePositions, target, false);
      return Tensor.where(written, placed, flat).reshape(t.shapeArray());
    });
  }

  /**
   * With a tensor among the indices, {@code value} must have {@code x}'s dtype (PyTorch's {@code
   * index_put_}); with integer and slice indices only it is converted as {@code copy_} converts, but
   * a value that would be truncated (floating into integer or bool, integer into bool) raises.
   */
  private static void checkIndexPutDType(Tensor x, Tensor value, Object... indices) {
    if (value.dtype() == x.dtype()) {
      return;
    }
    for (Object o : indices) {
      if (o instanceof Tensor) {
        throw new IllegalArgumentException("index_put_: Index put requires the source and destination dtypes"
            + " match, got " + x.dtype() + " for the destination (shape " + x.shape() + ") and " + value.dtype()
            + " for the source (shape " + value.shape() + ")");
      }
    }
    Dispatch.checkCastable("index_put_", value.dtype(), x.dtype());
  }

  /** Returns the indices of the last occurrence of each distinct value, or null if all are distinct. */
  private static Tensor lastOccurrences(Tensor flatPositions) {
    long[] pos = flatPositions.toLongArray();
    java.util.Map<Long, Integer> last = new java.util.HashMap<>();
    for (int i = 0; i < pos.length; i++) {
      last.put(pos[i], i);
    }
    if (last.size() == pos.length) {
      return null;
    }
    long[] keep = last.values().stream().mapToLong(Integer::longValue).sorted().toArray();
    return Tensor.of(keep).to(flatPositions.device());
  }

  /** Returns the entries of {@code dim} at the positions of the 1-d int64 {@code index}. */
  public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
    int d = Shape.normalizeDim(dim, x.dim(), "index_select");
    if (index.dim() > 1 || index.dtype().isFloatingPoint() || index.dtype() == DType.BOOL) {
      throw new IllegalArgumentException("index_select: index must be a 1-d int64 tensor, got "
          + index.dtype() + " " + index.shape());
    }
    Tensor idx = checkRange(index.to(DType.INT64).reshape(-1), x.dim() == 0 ? 1 : x.size(d), d);
    int[] shape = x.shapeArray();
    if (x.dim() == 0) {
      return gather(x.reshape(1), 0, idx, false).reshape(index.shapeArray());
    }
    shape[d] = idx.size(0);
    int[] viewShape = new int[shape.length];
    Arrays.fill(viewShape, 1);
    viewShape[d] = idx.size(0);
    return gather(x, d, idx.reshape(viewShape).expand(shape), false);
  }

  private static void checkIndexShape(String op, Tensor x, int d, Tensor index) {
    if (index.dtype() != DType.INT64) {
      throw new IllegalArgumentException(op + ": index must be int64, got " + index.dtype());
    }
    if (index.dim() != x.dim()) {
      throw new IllegalArgumentException(op + ": index " + index.shape() + " and input " + x.shape()
          + " must have the same number of dims");
    }
    for (int k = 0; k < x.dim(); k++) {
      if (k != d && index.size(k) > x.size(k)) {
        throw new IllegalArgumentException(op + ": size of index " + index.shape() + " exceeds the input "
            + x.shape() + " at dim " + k);
      }
    }
  }

  /** Returns {@code out[i][j] = x[i][index[i][j]]} (dim 1); {@code index} is int64. */
  public static Tensor gather(Tensor x, int dim, Tensor index) {
    return gather(x, dim, index, true);
  }

  /**
   * Gathers; {@code checked == false} skips the range check for indices Ember made itself (argmax
   * results, indices already checked by the forward), which costs a full pass over them.
   */
  static Tensor gather(Tensor x, int dim, Tensor index, boolean checked) {
    int d = Shape.normalizeDim(dim, x.dim(), "gather");
    checkIndexShape("gather", x, d, index);
    Dispatch.backendOf("gather", x, index);
    Tensor idx = checked ? checkRange("gather", index, x.size(d), d, false) : index;
    Tensor out = Dispatch.empty(x.backend(), x.dtype(), idx.shapeArray());
    int[] narrowed = idx.shapeArray();
    narrowed[d] = x.size(d);
    Strided xs = x.strided();
    x.backend().gather(new Strided(xs.storage(), xs.dtype(), narrowed, xs.strides(), xs.offset()), d,
        idx.strided(), out.strided());
    int[] shape = x.shapeArray();
    return record("gather", out, new Tensor[] {x}, new Tensor[] {idx},
        g -> new Tensor[] {scatterAdd(Tensor.zeros(Shape.of(shape), g.dtype(), g.device()), d, idx, g, false)});
  }

  /**
   * Returns a copy of {@code x} with {@code src[i][j]} added at {@code x[i][index[i][j]]} (dim 1).
   * Gradients: {@code x} gets the upstream gradient, {@code src} gathers it at {@code index}.
   */
  public static Tensor scatterAdd(Tensor x, int dim, Tensor index, Tensor src) {
    return scatterAdd(x, dim, index, src, true);
  }

  /** Scatters and adds; {@code checked == false} trusts the indices (see {@link #gather}). */
  static Tensor scatterAdd(Tensor x, int dim, Tensor index, Tensor src, boolean checked) {
    int d = Shape.normalizeDim(dim, x.dim(), "scatter_add");
    checkIndexShape("scatter_add", x, d, index);
    Dispatch.backendOf("scatter_add", x, index, src);
    if (src.dim() != x.dim()) {
      throw new IllegalArgumentException("scatter_add: src " + src.shape() + " must have the same number of"
          + " dims as self " + x.shape() + " and index " + index.shape());
    }
    for (int k = 0; k < index.dim(); k++) {
      if (index.size(k) > src.size(k)) {
        throw new IllegalArgumentException("scatter_add: index " + index.shape() + " is larger than src "
            + src.shape() + " at dim " + k);
      }
    }
    if (src.dtype() != x.dtype()) {
      throw new IllegalArgumentException("scatter_add: Expected self.dtype to be equal to src.dtype, got "
          + x.dtype() + " (self " + x.shape() + ") and " + src.dtype() + " (src " + src.shape() + ")");
    }
    Tensor idx = checked ? checkRange("scatter_add", index, x.size(d), d, false) : index;
    Tensor out = Dispatch.empty(x.backend(), x.dtype(), x.shapeArray());
    x.backend().copy(x.strided(), out.strided());
    Strided ss = src.strided();
    x.backend().scatterAdd(new Strided(ss.storage(), ss.dtype(), idx.shapeArray(), ss.strides(), ss.offset()),
        d, idx.strided(), out.strided());
    int[] srcShape = src.shapeArray();
    return record("scatter_add", out, new Tensor[] {x, src}, new Tensor[] {idx}, g -> {
      Tensor gs = null;
      if (src.requiresGrad()) {
        gs = gather(g, d, idx, false);
        if (!Arrays.equals(gs.shapeArray(), srcShape)) {
          int[] pad = new int[srcShape.length * 2];
          for (int k = 0; k < srcShape.length; k++) {
            pad[2 * (srcShape.length - 1 - k) + 1] = srcShape[k] - gs.size(k);
          }
          gs = Shaping.pad(gs, pad, 0);
        }
      }
      return new Tensor[] {g, gs};
    });
  }
}
