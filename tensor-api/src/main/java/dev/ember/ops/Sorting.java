package dev.ember.ops;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.Arrays;

/**
 * Sorting and searching: {@code sort}, {@code argsort}, {@code topk}, {@code unique}, {@code
 * bucketize}. The order is decided on the host (a CUDA tensor is copied there once) and the values
 * are then gathered on the tensor's device with {@link Indexing#gather}, so {@code sort} and {@code
 * topk} values are differentiable (the gradient scatters back to the chosen positions) and indices
 * are int64, as in PyTorch.
 *
 * <p>Order: ascending puts NaN last, descending puts it first; {@code -0.0} equals {@code 0.0}.
 * Equal elements always keep their input order (a stable sort), which PyTorch guarantees only with
 * {@code stable=true}; {@code topk} therefore returns the first of tied elements.
 */
public final class Sorting {
  private Sorting() {}

  /**
   * The result of {@code unique}.
   *
   * @param values the distinct elements, sorted ascending, 1-d, of the input's dtype
   * @param inverse int64, the input's shape: the position in {@code values} of each input element
   * @param counts int64, {@code values}' shape: how often each distinct element occurs
   */
  public record Unique(Tensor values, Tensor inverse, Tensor counts) {}

  /**
   * Sorts along {@code dim} ({@code torch.sort(x, dim, descending, stable)}): values (same shape and
   * dtype, differentiable) and their int64 positions in {@code x}.
   */
  public static Reductions.ValuesIndices sort(Tensor x, int dim, boolean descending) {
    Tensor indices = argsort(x, dim, descending, "sort");
    return new Reductions.ValuesIndices(gatherAlong(x, dim, indices), indices);
  }

  /** Returns the int64 positions that sort {@code x} along {@code dim}; ties keep input order. */
  public static Tensor argsort(Tensor x, int dim, boolean descending) {
    return argsort(x, dim, descending, "argsort");
  }

  private static Tensor argsort(Tensor x, int dim, boolean descending, String op) {
    int d = Shape.normalizeDim(dim, x.dim(), op);
    checkSortable(op, x);
    return order(x, d, descending, x.dim() == 0 ? 1 : x.size(d), op);
  }

  /**
   * Returns the {@code k} largest (or smallest) elements along {@code dim} and their int64
   * positions ({@code torch.topk}), in sorted order (largest first when {@code largest}); {@code
   * sorted=false} is accepted and returns the same sorted order, which PyTorch allows.
   */
  public static Reductions.ValuesIndices topk(Tensor x, int k, int dim, boolean largest, boolean sorted) {
    int d = Shape.normalizeDim(dim, x.dim(), "topk");
    checkSortable("topk", x);
    int size = x.dim() == 0 ? 1 : x.size(d);
    if (k < 0 || k > size) {
      throw new IllegalArgumentException("topk: k (" + k + ") is out of range for dim " + d + " of size "
          + size + " (shape " + x.shape() + ")");
    }
    Tensor indices = order(x, d, largest, k, "topk");
    return new Reductions.ValuesIndices(gatherAlong(x, d, indices), indices);
  }

  /**
   * Returns the distinct elements of {@code x} (flattened), sorted ascending, with the inverse
   * indices and the counts ({@code torch.unique(x, sorted=True, return_inverse=True,
   * return_counts=True)}). Not differentiable, as in PyTorch.
   */
  public static Unique unique(Tensor x) {
    HostLanes.checkHostSize(x);
    Tensor flat = x.reshape(-1);
    HostLanes h = HostLanes.of(flat, 0);
    int n = h.length;
    int[] order = h.sortedLane(0, false);
    long[] inverse = new long[n];
    long[] counts = new long[n];
    long[] firsts = new long[n];
    int distinct = 0;
    for (int i = 0; i < n; i++) {
      if (i == 0 || h.sortKey(order[i - 1]) != h.sortKey(order[i])) {
        firsts[distinct++] = order[i];
      }
      inverse[order[i]] = distinct - 1;
      counts[distinct - 1]++;
    }
    Tensor firstPositions = HostLanes.longs(Arrays.copyOf(firsts, distinct), new int[] {distinct}, x.device());
    Tensor values;
    try (GradMode off = GradMode.noGrad()) {
      values = flat.indexSelect(0, firstPositions);
    }
    return new Unique(values, HostLanes.longs(inverse, x.dim() == 0 ? new int[0] : x.shapeArray(), x.device()),
        HostLanes.longs(Arrays.copyOf(counts, distinct), new int[] {distinct}, x.device()));
  }

  /**
   * Returns, for each element of {@code input}, the index of its bucket among the ascending 1-d
   * {@code boundaries} ({@code torch.bucketize}): with {@code right == false} the first {@code i}
   * with {@code x <= boundaries[i]}, else the first with {@code x < boundaries[i]}; int64, the
   * input's shape.
   */
  public static Tensor bucketize(Tensor input, Tensor boundaries, boolean right) {
    if (boundaries.dim() != 1) {
      throw new IllegalArgumentException("bucketize: boundaries must be 1-d, got shape " + boundaries.shape()
          + " (input " + input.shape() + ")");
    }
    if (input.dtype() == DType.BOOL || boundaries.dtype() == DType.BOOL) {
      throw new IllegalArgumentException("bucketize: bool tensors are not supported, got input " + input.dtype()
          + " and boundaries " + boundaries.dtype());
    }
    if (!input.device().equals(boundaries.device())) {
      throw new IllegalArgumentException("bucketize: input on " + input.device() + " and boundaries on "
          + boundaries.device() + " must be on the same device");
    }
    HostLanes.checkHostSize(input);
    double[] b = boundaries.toDoubleArray();
    double[] v = input.toDoubleArray();
    long[] out = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      int lo = 0;
      int hi = b.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        boolean goRight = right ? !(v[i] < b[mid]) : b[mid] < v[i];
        if (goRight) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      out[i] = lo;
    }
    return HostLanes.longs(out, input.shapeArray(), input.device());
  }

  private static void checkSortable(String op, Tensor x) {
    if (x.dtype() == DType.BOOL && !op.equals("sort") && !op.equals("argsort")) {
      throw new IllegalArgumentException(op + ": not implemented for bool tensors (shape " + x.shape() + ")");
    }
  }

  /** Returns the first {@code k} positions of each lane along {@code d} in sorted order, int64. */
  private static Tensor order(Tensor x, int d, boolean descending, int k, String op) {
    HostLanes h = HostLanes.of(x, d);
    int n = h.length;
    long[] out = new long[h.outer * k * h.inner];
    for (int l = 0; l < h.lanes(); l++) {
      int[] lane = h.sortedLane(l, descending);
      int o = l / h.inner;
      int i = l % h.inner;
      for (int j = 0; j < k; j++) {
        out[(o * k + j) * h.inner + i] = lane[j];
      }
    }
    int[] shape = x.shapeArray();
    if (shape.length > 0) {
      shape[d] = k;
    }
    return HostLanes.longs(out, shape, x.device());
  }

  /** Gathers {@code x} at {@code indices} along {@code d}; a 0-d tensor is its own sort. */
  private static Tensor gatherAlong(Tensor x, int d, Tensor indices) {
    if (x.dim() == 0) {
      return indices.numel() == 0 ? x.reshape(1).narrow(0, 0, 0) : x;
    }
    return Indexing.gather(x, d, indices, false);
  }
}
