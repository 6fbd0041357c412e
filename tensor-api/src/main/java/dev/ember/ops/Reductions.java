package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.ReduceOp;
import java.util.Arrays;

/**
 * Reductions over dims (a list, negative dims allowed, null for all) with {@code keepdim}, and
 * their gradients, which broadcast the upstream gradient back over the reduced dims.
 */
public final class Reductions {
  private Reductions() {}

  /**
   * The result of {@code max(dim)} / {@code min(dim)}.
   *
   * @param values the extreme values (differentiable)
   * @param indices their int64 positions along the dim
   */
  public record ValuesIndices(Tensor values, Tensor indices) {}

  /** Returns the normalized, sorted, distinct dims; all dims when {@code dims} is null. */
  static int[] normalizeDims(String op, Tensor x, int[] dims) {
    int rank = x.dim();
    if (dims == null || (dims.length == 0)) {
      int[] all = new int[rank];
      for (int i = 0; i < rank; i++) {
        all[i] = i;
      }
      return all;
    }
    int[] out = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      out[i] = Shape.normalizeDim(dims[i], rank, op);
      if (rank == 0) {
        out[i] = -1;
      }
    }
    out = Arrays.stream(out).filter(d -> d >= 0).sorted().toArray();
    for (int i = 1; i < out.length; i++) {
      if (out[i] == out[i - 1]) {
        throw new IllegalArgumentException(op + ": dim " + out[i] + " appears multiple times in the list "
            + Arrays.toString(dims));
      }
    }
    return out;
  }

  /** Returns the shape after reducing {@code dims} (kept as size 1 when {@code keepdim}). */
  static int[] reducedShape(int[] shape, int[] dims, boolean keepdim) {
    boolean[] reduced = new boolean[shape.length];
    for (int d : dims) {
      reduced[d] = true;
    }
    int[] out = new int[keepdim ? shape.length : shape.length - dims.length];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (keepdim) {
        out[i] = reduced[i] ? 1 : shape[i];
      } else if (!reduced[i]) {
        out[j++] = shape[i];
      }
    }
    return out;
  }

  /** Reshapes a reduced gradient (or value) back to keepdim form so it broadcasts over {@code x}. */
  static Tensor keepDims(Tensor g, int[] xShape, int[] dims) {
    return g.reshape(reducedShape(xShape, dims, true));
  }

  private static Tensor reduce(String op, ReduceOp kind, Tensor x, int[] dims, boolean keepdim, DType out) {
    Tensor kept = Dispatch.reduceKeepDims(kind, x, dims, out);
    return keepdim ? kept : kept.detach().reshape(reducedShape(x.shapeArray(), dims, false));
  }

  /** Returns the sum over {@code dims}; bool and integer inputs sum to int64. */
  public static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
    if (x.dtype().isComplex()) {
      return ComplexOps.sum(x, dims, keepdim);
    }
    int[] d = normalizeDims("sum", x, dims);
    Tensor in = x.dtype().isFloatingPoint() ? x : castStored(x, DType.INT64);
    Tensor out = reduce("sum", ReduceOp.SUM, in, d, keepdim, in.dtype());
    int[] shape = x.shapeArray();
    return record("sum", out, new Tensor[] {x}, g -> new Tensor[] {keepDims(g, shape, d).expand(shape)});
  }

  /** Returns the mean over {@code dims}. */
  public static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
    if (x.dtype().isComplex()) {
      return ComplexOps.mean(x, dims, keepdim);
    }
    if (!x.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException("mean: could not infer output dtype; input dtype must be"
          + " floating point, got " + x.dtype());
    }
    int[] d = normalizeDims("mean", x, dims);
    long count = 1;
    for (int i : d) {
      count *= x.size(i);
    }
    return sum(x, d, keepdim).div((double) count);
  }

  /** Returns the maximum over {@code dims}; the gradient splits evenly between tied maxima. */
  public static Tensor amax(Tensor x, int[] dims, boolean keepdim) {
    return extreme("amax", ReduceOp.MAX, x, dims, keepdim);
  }

  /** Returns the minimum over {@code dims}; the gradient splits evenly between tied minima. */
  public static Tensor amin(Tensor x, int[] dims, boolean keepdim) {
    return extreme("amin", ReduceOp.MIN, x, dims, keepdim);
  }

  private static Tensor extreme(String op, ReduceOp kind, Tensor x, int[] dims, boolean keepdim) {
    int[] d = normalizeDims(op, x, dims);
    checkNonEmpty(op, x, d);
    Tensor out = reduce(op, kind, x, d, keepdim, x.dtype());
    int[] shape = x.shapeArray();
    return record(op, out, new Tensor[] {x}, new Tensor[] {x, out}, g -> {
      Tensor hit = x.eq(keepDims(out, shape, d)).to(g.dtype());
      Tensor count = hit.sum(d, true);
      return new Tensor[] {keepDims(g, shape, d).mul(hit).div(count)};
    });
  }

  private static void checkNonEmpty(String op, Tensor x, int[] dims) {
    for (int d : dims) {
      if (x.size(d) == 0) {
        throw new IllegalArgumentException(op + ": cannot reduce over zero-size dim " + d + " of shape "
            + x.shape());
      }
    }
    if (x.numel() == 0 && dims.length == 0) {
      throw new IllegalArgumentException(op + ": cannot reduce an empty tensor of shape " + x.shape());
    }
  }

  /** Returns the max (or min) along {@code dim} and the int64 index of its first occurrence. */
  public static ValuesIndices maxWithIndices(Tensor x, int dim, boolean keepdim, boolean max) {
    String op = max ? "max" : "min";
    int d = Shape.normalizeDim(dim, x.dim(), op);
    if (x.dim() > 0) {
      checkNonEmpty(op, x, new int[] {d});
    }
    Tensor indices = argmax(x, d, true, max);
    Tensor values = x.dim() == 0 ? x : Indexing.gather(x, d, indices, false);
    if (!keepdim && x.dim() > 0) {
      values = values.squeeze(d);
      indices = indices.squeeze(d);
    }
    return new ValuesIndices(values, indices);
  }

  /** Returns the int64 index of the first maximum (or minimum) along {@code dim}. */
  public static Tensor argmax(Tensor x, int dim, boolean keepdim, boolean max) {
    String op = max ? "argmax" : "argmin";
    if (x.dim() == 0) {
      return Tensor.zeros(Shape.scalar(), DType.INT64, x.device());
    }
    int d = Shape.normalizeDim(dim, x.dim(), op);
    checkNonEmpty(op, x, new int[] {d});
    return reduce(op, max ? ReduceOp.ARGMAX : ReduceOp.ARGMIN, x, new int[] {d}, keepdim, DType.INT64);
  }

  /**
   * Returns the row-major flat int64 index of the first maximum (or minimum) of all of {@code x}
   * ({@code torch.argmax()} without a dim), also for broadcast views of more elements than one dim
   * can hold.
   */
  public static Tensor argmaxAll(Tensor x, boolean max) {
    if (x.numel() <= Integer.MAX_VALUE) {
      return argmax(x.reshape(-1), 0, false, max);
    }
    // Only a broadcast view is this large. Its stride-0 dims repeat the same values, so the first
    // extreme lies at index 0 of each: search the view with those dims cut to size 1, then map the
    // flat index found there back to x's shape.
    int[] shape = x.shapeArray();
    Tensor distinct = storedOnce(x.detach());
    int[] cut = distinct.shapeArray();
    long inCut = argmax(distinct.reshape(-1), 0, false, max).toLongArray()[0];
    long flat = 0;
    long step = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      flat += (inCut % cut[d]) * step;
      inCut /= cut[d];
      step *= shape[d];
    }
    return Tensor.scalar(flat, DType.INT64).to(x.device());
  }

  /**
   * Returns the view of {@code x} with its broadcast dims (stride 0) cut to size 1, so each stored
   * element appears once; {@code x} itself if it has none. Not recorded.
   */
  static Tensor storedOnce(Tensor x) {
    int[] cut = x.shapeArray();
    int[] strides = x.stridesArray();
    boolean any = false;
    for (int d = 0; d < cut.length; d++) {
      if (strides[d] == 0 && cut[d] > 1) {
        cut[d] = 1;
        any = true;
      }
    }
    return any ? x.asStrided(cut, strides, x.storageOffset()) : x;
  }

  /**
   * Returns {@code x} converted to {@code type}, converting a broadcast view's stored elements only
   * and broadcasting the result again (so a huge expanded view isn't materialized). Not recorded.
   */
  private static Tensor castStored(Tensor x, DType type) {
    Tensor stored = storedOnce(x);
    Tensor cast = Dispatch.cast(stored, type);
    return stored == x ? cast : cast.expand(x.shapeArray());
  }

  /** Returns the product over {@code dims}; the gradient is {@code prod / x}, exact when x has zeros. */
  public static Tensor prod(Tensor x, int[] dims, boolean keepdim) {
    int[] d = normalizeDims("prod", x, dims);
    Tensor in = x.dtype().isFloatingPoint() ? x : castStored(x, DType.INT64);
    Tensor out = reduce("prod", ReduceOp.PROD, in, d, keepdim, in.dtype());
    int[] shape = x.shapeArray();
    return record("prod", out, new Tensor[] {x}, new Tensor[] {x}, g -> {
      // Product of the others, computed without dividing so zeros are handled exactly:
      // exclusive cumulative products from both ends, over the flattened reduced dims.
      Tensor gk = keepDims(g, shape, d);
      return new Tensor[] {gk.mul(productOfOthers(x, d))};
    });
  }

  private static Tensor productOfOthers(Tensor x, int[] dims) {
    int rank = x.dim();
    // Move the reduced dims to the end and flatten them into one.
    int[] perm = new int[rank];
    int k = 0;
    boolean[] reduced = new boolean[rank];
    for (int d : dims) {
      reduced[d] = true;
    }
    for (int i = 0; i < rank; i++) {
      if (!reduced[i]) {
        perm[k++] = i;
      }
    }
    for (int d : dims) {
      perm[k++] = d;
    }
    Tensor moved = x.permute(perm);
    int[] movedShape = moved.shapeArray();
    int keptRank = rank - dims.length;
    int[] flatShape = Arrays.copyOf(movedShape, keptRank + 1);
    flatShape[keptRank] = (int) (x.numel() / Math.max(1, Shape.numel(Arrays.copyOf(movedShape, keptRank))));
    Tensor flat = moved.reshape(flatShape);
    int n = flatShape[keptRank];
    Tensor ones = Tensor.onesLike(flat.narrow(keptRank, 0, 1));
    Tensor before = ones;
    Tensor[] prefix = new Tensor[n];
    for (int i = 0; i < n; i++) {
      prefix[i] = before;
      before = before.mul(flat.narrow(keptRank, i, 1));
    }
    Tensor after = ones;
    Tensor[] parts = new Tensor[n];
    for (int i = n - 1; i >= 0; i--) {
      parts[i] = prefix[i].mul(after);
      after = after.mul(flat.narrow(keptRank, i, 1));
    }
    Tensor others = Shaping.cat(Arrays.asList(parts), keptRank).reshape(movedShape);
    int[] inverse = new int[rank];
    for (int i = 0; i < rank; i++) {
      inverse[perm[i]] = i;
    }
    return others.permute(inverse);
  }

  /**
   * Returns the variance over {@code dims} with {@code correction} subtracted from the count. The
   * gradient is PyTorch's {@code var_backward}: {@code 2 (x - mean) / (N - correction) * g}, 0 at a
   * constant input; with {@code N <= correction} it is infinite, NaN where {@code x == mean}.
   */
  public static Tensor var(Tensor x, int[] dims, double correction, boolean keepdim) {
    int[] d = normalizeDims("var", x, dims);
    long count = 1;
    for (int i : d) {
      count *= x.size(i);
    }
    double dof = count - correction;
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      Tensor centered = x.sub(x.mean(d, true));
      out = centered.square().sum(d, keepdim).div(Math.max(0, dof));
    }
    int[] shape = x.shapeArray();
    return record("var", out, new Tensor[] {x}, new Tensor[] {x}, g -> {
      Tensor centered = x.sub(x.mean(d, true));
      Tensor gk = keepDims(g, shape, d);
      if (dof <= 0) {
        Tensor scale = Tensor.where(centered.eq(0), Creation.scalarLike(centered, Double.NaN),
            Creation.scalarLike(centered, Double.POSITIVE_INFINITY));
        return new Tensor[] {gk.mul(scale)};
      }
      return new Tensor[] {gk.mul(2 / dof).mul(centered)};
    });
  }

  /**
   * Returns the standard deviation over {@code dims} with {@code correction}. Its gradient is
   * {@code var}'s times {@code 1 / (2 std)}, taken as 0 where {@code std == 0} (PyTorch's {@code
   * std_backward}), so a constant input gets a zero gradient, not NaN.
   */
  public static Tensor std(Tensor x, int[] dims, double correction, boolean keepdim) {
    Tensor variance = var(x, dims, correction, keepdim);
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      out = variance.sqrt();
    }
    return record("std", out, new Tensor[] {variance}, new Tensor[] {out},
        g -> new Tensor[] {g.div(out.mul(2)).maskedFill(out.eq(0), 0)});
  }

  /** Returns {@code log(sum(exp(x)))} over {@code dims}, shifted by the maximum for stability. */
  public static Tensor logsumexp(Tensor x, int[] dims, boolean keepdim) {
    int[] d = normalizeDims("logsumexp", x, dims);
    Tensor m;
    try (GradMode off = GradMode.noGrad()) {
      m = maxOrZeros(x, d);
      m = Tensor.where(m.abs().eq(Double.POSITIVE_INFINITY), Tensor.zerosLike(m), m);
    }
    Tensor out = x.sub(m).exp().sum(d, true).log().add(m);
    return keepdim ? out : out.reshape(reducedShape(x.shapeArray(), d, false));
  }

  /**
   * Returns {@code x.amax(dims, true)}, or zeros of that shape when a reduced dim is empty: the
   * shift that keeps exponentials finite (softmax, logsumexp), which an empty dim doesn't need.
   * Callers run it under {@link GradMode#noGrad()}: a shift carries no gradient.
   */
  static Tensor maxOrZeros(Tensor x, int[] dims) {
    for (int d : dims) {
      if (d < x.dim() && x.size(d) == 0) {
        return Tensor.zeros(Shape.of(reducedShape(x.shapeArray(), dims, true)), x.dtype(), x.device());
      }
    }
    return x.amax(dims, true);
  }

  /** Returns the inclusive cumulative sum along {@code dim}; its gradient is the reversed cumsum. */
  public static Tensor cumsum(Tensor x, int dim) {
    int d = Shape.normalizeDim(dim, x.dim(), "cumsum");
    Tensor in = x.dtype().isFloatingPoint() ? x : Dispatch.cast(x, DType.INT64);
    Tensor out = Dispatch.empty(in.backend(), in.dtype(), in.shapeArray());
    if (x.dim() == 0) {
      in.backend().copy(in.strided(), out.strided());
    } else {
      in.backend().cumsum(in.strided(), d, out.strided());
    }
    return record("cumsum", out, new Tensor[] {x}, g -> {
      if (g.dim() == 0) {
        return new Tensor[] {g};
      }
      // sum_{j >= i} g_j = total - cumsum(g) + g
      return new Tensor[] {g.sum(d, true).sub(g.cumsum(d)).add(g)};
    });
  }

  /** Returns the vector p-norm over {@code dims} (p = 0, inf, -inf or any positive real). */
  public static Tensor vectorNorm(Tensor x, double ord, int[] dims, boolean keepdim) {
    int[] d = normalizeDims("vector_norm", x, dims);
    Tensor a = x.abs();
    if (ord == Double.POSITIVE_INFINITY) {
      return a.amax(d, keepdim);
    }
    if (ord == Double.NEGATIVE_INFINITY) {
      return a.amin(d, keepdim);
    }
    if (ord == 0) {
      return x.ne(0).to(x.dtype()).sum(d, keepdim);
    }
    if (ord == 1) {
      return a.sum(d, keepdim);
    }
    if (ord == 2) {
      Tensor out = Dispatch.reduceKeepDims(ReduceOp.SUM, Dispatch.binary("norm", dev.ember.spi.BinaryOp.MUL,
          x, x), d, x.dtype());
      try (GradMode off = GradMode.noGrad()) {
        out = out.sqrt();
      }
      Tensor norm = keepdim ? out : out.detach().reshape(reducedShape(x.shapeArray(), d, false));
      int[] shape = x.shapeArray();
      Tensor normKept = out;
      // d||x||/dx = x / ||x||, taken as 0 where the norm is 0 (PyTorch's subgradient).
      return record("vector_norm", norm, new Tensor[] {x}, new Tensor[] {x}, g -> {
        Tensor safe = Tensor.where(normKept.eq(0), Tensor.onesLike(normKept), normKept);
        return new Tensor[] {keepDims(g, shape, d).mul(x).div(safe)};
      });
    }
    return a.pow(ord).sum(d, keepdim).pow(1 / ord);
  }

  /**
   * Returns {@code g} summed down to {@code target}, which {@code g}'s shape broadcasts from: the
   * gradient of broadcasting. Returns {@code g} itself when the shapes match.
   */
  public static Tensor sumTo(Tensor g, int[] target) {
    int[] shape = g.shapeArray();
    if (Arrays.equals(shape, target)) {
      return g;
    }
    int lead = shape.length - target.length;
    int[] dims = new int[shape.length];
    int n = 0;
    for (int i = 0; i < shape.length; i++) {
      if (i < lead || (target[i - lead] == 1 && shape[i] != 1)) {
        dims[n++] = i;
      }
    }
    Tensor s = n == 0 ? g : g.sum(Arrays.copyOf(dims, n), true);
    return s.reshape(target);
  }
}
