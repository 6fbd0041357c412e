package dev.ember.ops;

import dev.ember.DType;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import java.util.Arrays;

/**
 * Writing at and selecting by positions: {@code scatter} (a source tensor or a scalar, last write
 * wins at repeated positions), {@code index_add}, {@code nonzero}, {@code masked_select}, {@code
 * count_nonzero}, {@code bincount}. Positions are worked out on the host; the values move with
 * differentiable device ops ({@code index_select}, {@code where}, {@code scatter_add}), so {@code
 * scatter} and {@code index_add} have gradients for {@code self} and {@code src} without code of
 * their own.
 */
public final class Scattering {
  private Scattering() {}

  /**
   * Returns a copy of {@code x} with {@code src[i][j]} written at {@code x[i][index[i][j]]} (dim 1;
   * {@code torch.scatter}). {@code index} is int64 with {@code x}'s rank, no larger than {@code src}
   * in any dim and no larger than {@code x} outside {@code dim}; {@code src} has {@code x}'s dtype.
   * Where several entries hit one position the last (row-major) wins, as PyTorch's CPU kernel does.
   * Gradients: {@code x} gets the upstream gradient where nothing was written, {@code src} the
   * gradient at the positions its entries were written to (0 for entries overwritten later).
   */
  public static Tensor scatter(Tensor x, int dim, Tensor index, Tensor src) {
    int d = checkScatter(x, dim, index, src);
    if (src.dtype() != x.dtype()) {
      throw new IllegalArgumentException("scatter: Expected self.dtype to be equal to src.dtype, got " + x.dtype()
          + " (self " + x.shape() + ") and " + src.dtype() + " (src " + src.shape() + ")");
    }
    Dispatch.backendOf("scatter", x, index, src);
    Written w = written(x, d, index, src.shapeArray());
    if (w == null) {
      return x.clone();
    }
    Tensor picked = src.reshape(-1).indexSelect(0, w.sourcePositions).reshape(x.shapeArray());
    return Tensor.where(w.mask, picked, x);
  }

  /** Returns a copy of {@code x} with {@code value} written at the positions of {@code index} (see above). */
  public static Tensor scatter(Tensor x, int dim, Tensor index, double value) {
    int d = checkScatter(x, dim, index, null);
    Dispatch.backendOf("scatter", x, index);
    Written w = written(x, d, index, index.shapeArray());
    return w == null ? x.clone() : x.maskedFill(w.mask, value);
  }

  /** {@code x.scatter_(dim, index, src)}: writes in place and returns {@code x}. */
  public static Tensor scatterInPlace(Tensor x, int dim, Tensor index, Tensor src) {
    return Arithmetic.inPlaceUnary("scatter_", x, t -> scatter(t, dim, index, src));
  }

  /** {@code x.scatter_(dim, index, value)}: writes in place and returns {@code x}. */
  public static Tensor scatterInPlace(Tensor x, int dim, Tensor index, double value) {
    return Arithmetic.inPlaceUnary("scatter_", x, t -> scatter(t, dim, index, value));
  }

  /**
   * Returns {@code x} with {@code alpha * source} added at the positions of the 1-d int64 {@code
   * index} along {@code dim} ({@code torch.index_add}): {@code out[index[i]] += alpha * source[i]}
   * (dim 0); repeated indices accumulate. {@code source} has {@code x}'s shape except {@code
   * source.size(dim) == index.numel()}, and {@code x}'s dtype.
   */
  public static Tensor indexAdd(Tensor x, int dim, Tensor index, Tensor source, double alpha) {
    int d = Shape.normalizeDim(dim, x.dim(), "index_add");
    if (index.dim() > 1 || !(index.dtype() == DType.INT64 || index.dtype() == DType.INT32)) {
      throw new IllegalArgumentException("index_add: index must be a 0-d or 1-d int64 or int32 tensor, got "
          + index.dtype() + " " + index.shape());
    }
    int n = (int) index.numel();
    int[] xs = x.dim() == 0 ? new int[] {1} : x.shapeArray();
    int[] ss = source.dim() == 0 ? new int[] {1} : source.shapeArray();
    boolean shapesOk = ss.length == xs.length && ss[d] == n;
    for (int k = 0; shapesOk && k < xs.length; k++) {
      shapesOk = k == d || ss[k] == xs[k];
    }
    if (!shapesOk) {
      throw new IllegalArgumentException("index_add: source " + source.shape() + " must have the shape of self "
          + x.shape() + " except at dim " + d + ", where its size must be the number of indices (" + n + ")");
    }
    if (source.dtype() != x.dtype()) {
      throw new IllegalArgumentException("index_add: self (" + x.dtype() + ", " + x.shape() + ") and source ("
          + source.dtype() + ", " + source.shape() + ") must have the same dtype");
    }
    int[] view = new int[xs.length];
    Arrays.fill(view, 1);
    view[d] = n;
    Tensor idx = index.to(DType.INT64).reshape(view).expand(ss);
    Tensor scaled = alpha == 1 ? source.reshape(ss) : source.reshape(ss).mul(alpha);
    try {
      return Indexing.scatterAdd(x.reshape(xs), d, idx, scaled).reshape(x.shapeArray());
    } catch (IndexOutOfBoundsException e) {
      throw new IndexOutOfBoundsException(e.getMessage().replace("scatter_add", "index_add"));
    }
  }

  /** {@code x.index_add_(dim, index, source, alpha=alpha)}: adds in place and returns {@code x}. */
  public static Tensor indexAddInPlace(Tensor x, int dim, Tensor index, Tensor source, double alpha) {
    return Arithmetic.inPlaceUnary("index_add_", x, t -> indexAdd(t, dim, index, source, alpha));
  }

  /**
   * Returns the int64 coordinates of the non-zero elements, shape {@code [count, rank]}, in row-major
   * order ({@code torch.nonzero}).
   */
  public static Tensor nonzero(Tensor x) {
    HostLanes.checkHostSize(x);
    boolean[] m = x.toBooleanArray();
    int rank = x.dim();
    int[] shape = x.shapeArray();
    int count = 0;
    for (boolean b : m) {
      count += b ? 1 : 0;
    }
    long[] coords = new long[count * rank];
    int n = 0;
    for (int flat = 0; flat < m.length; flat++) {
      if (m[flat]) {
        int rem = flat;
        for (int k = rank - 1; k >= 0; k--) {
          coords[n * rank + k] = rem % shape[k];
          rem /= shape[k];
        }
        n++;
      }
    }
    return HostLanes.longs(coords, new int[] {count, rank}, x.device());
  }

  /**
   * Returns the elements of {@code x} where the bool {@code mask} is true, 1-d, in row-major order
   * ({@code torch.masked_select}); {@code x} and {@code mask} broadcast. Differentiable in {@code x}.
   */
  public static Tensor maskedSelect(Tensor x, Tensor mask) {
    if (mask.dtype() != DType.BOOL) {
      throw new IllegalArgumentException("masked_select: mask must be a bool tensor, got " + mask.dtype() + " "
          + mask.shape() + " (self " + x.shape() + ")");
    }
    int[] shape = Dispatch.broadcastShapes("masked_select", x.shapeArray(), mask.shapeArray());
    Tensor m = mask.expand(shape);
    Tensor v = x.expand(shape);
    return shape.length == 0 ? v.reshape(1).index(m.reshape(1)) : v.index(m);
  }

  /** Returns the number of non-zero elements over {@code dims} (all when null or empty), int64. */
  public static Tensor countNonzero(Tensor x, int[] dims) {
    Tensor nz = x.ne(0).to(DType.INT64);
    return dims == null || dims.length == 0 ? nz.sum() : nz.sum(dims, false);
  }

  /**
   * Counts each value of the 1-d non-negative integer {@code x} ({@code torch.bincount}): {@code
   * out[v]} = occurrences of {@code v} (int64), or the sum of {@code weights} at them ({@code
   * weights}' dtype if floating, else float64); length {@code max(max(x) + 1, minlength)}.
   */
  public static Tensor bincount(Tensor x, Tensor weights, int minlength) {
    if (x.dim() != 1 || x.dtype().isFloatingPoint() || x.dtype() == DType.BOOL) {
      throw new IllegalArgumentException("bincount: input must be a 1-d integer tensor, got " + x.dtype() + " "
          + x.shape());
    }
    if (minlength < 0) {
      throw new IllegalArgumentException("bincount: minlength must be non-negative, got " + minlength);
    }
    if (weights != null && !Arrays.equals(weights.shapeArray(), x.shapeArray())) {
      throw new IllegalArgumentException("bincount: weights " + weights.shape() + " must have the shape of the"
          + " input " + x.shape());
    }
    long[] v = x.toLongArray();
    long max = -1;
    for (long e : v) {
      if (e < 0) {
        throw new IllegalArgumentException("bincount: input must contain only non-negative values, got " + e);
      }
      max = Math.max(max, e);
    }
    int length = Math.toIntExact(Math.max(max + 1, minlength));
    if (weights == null) {
      long[] counts = new long[length];
      for (long e : v) {
        counts[(int) e]++;
      }
      return HostLanes.longs(counts, new int[] {length}, x.device());
    }
    double[] w = weights.toDoubleArray();
    double[] sums = new double[length];
    for (int i = 0; i < v.length; i++) {
      sums[(int) v[i]] += w[i];
    }
    DType out = weights.dtype().isFloatingPoint() ? weights.dtype() : DType.FLOAT64;
    return HostLanes.values(sums, new int[] {length}, out, x.device());
  }

  /** Where scatter writes: a bool mask of {@code x}'s shape and, per position, the source position. */
  private record Written(Tensor mask, Tensor sourcePositions) {}

  private static Written written(Tensor x, int d, Tensor index, int[] srcShape) {
    if (index.numel() == 0) {
      return null;
    }
    HostLanes.checkHostSize(x);
    HostLanes.checkHostSize(index);
    int[] xs = x.dim() == 0 ? new int[] {1} : x.shapeArray();
    int[] is = index.dim() == 0 ? new int[] {1} : index.shapeArray();
    int[] ss = srcShape.length == 0 ? new int[] {1} : srcShape;
    long[] idx = index.toLongArray();
    int numel = (int) Shape.numel(xs);
    boolean[] mask = new boolean[numel];
    long[] from = new long[numel];
    int rank = is.length;
    int[] coord = new int[rank];
    for (int p = 0; p < idx.length; p++) {
      int rem = p;
      for (int k = rank - 1; k >= 0; k--) {
        coord[k] = rem % is[k];
        rem /= is[k];
      }
      long target = idx[p];
      if (target < 0 || target >= xs[d]) {
        throw new IndexOutOfBoundsException("scatter: index " + target + " is out of bounds for dimension " + d
            + " with size " + xs[d] + " (self " + x.shape() + ")");
      }
      int dest = 0;
      int source = 0;
      for (int k = 0; k < rank; k++) {
        dest = dest * xs[k] + (k == d ? (int) target : coord[k]);
        source = source * ss[k] + coord[k];
      }
      mask[dest] = true;
      from[dest] = source;
    }
    return new Written(Tensor.of(mask, x.shapeArray()).to(x.device()),
        HostLanes.longs(from, new int[] {numel}, x.device()));
  }

  private static int checkScatter(Tensor x, int dim, Tensor index, Tensor src) {
    int d = Shape.normalizeDim(dim, x.dim(), "scatter");
    if (index.dtype() != DType.INT64) {
      throw new IllegalArgumentException("scatter: index must be int64, got " + index.dtype() + " "
          + index.shape() + " (self " + x.shape() + ")");
    }
    if (index.dim() != x.dim() || (src != null && src.dim() != x.dim())) {
      throw new IllegalArgumentException("scatter: index " + index.shape() + (src == null ? "" : ", src "
          + src.shape()) + " and self " + x.shape() + " must have the same number of dims");
    }
    for (int k = 0; k < index.dim(); k++) {
      if ((k != d && index.size(k) > x.size(k)) || (src != null && index.size(k) > src.size(k))) {
        throw new IllegalArgumentException("scatter: index " + index.shape() + " is larger than "
            + (k != d && index.size(k) > x.size(k) ? "self " + x.shape() : "src " + src.shape()) + " at dim " + k);
      }
    }
    return d;
  }
}
