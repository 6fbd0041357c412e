package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that move elements without arithmetic: {@code flip}, {@code roll}, {@code unbind}, {@code
 * repeat_interleave}, {@code meshgrid}, and the diagonal family {@code diagonal} (a view), {@code
 * diag} and {@code trace}. Most are compositions of differentiable ops ({@code index_select},
 * {@code narrow}, {@code cat}, {@code select}, {@code expand}) and need no gradient code; {@code
 * diagonal} records its own.
 */
public final class Rearranging {
  private Rearranging() {}

  /** Returns a copy with the order of elements reversed along each of {@code dims} ({@code torch.flip}). */
  public static Tensor flip(Tensor x, int... dims) {
    int[] d = distinctDims("flip", x, dims);
    Tensor out = x;
    for (int k : d) {
      int n = x.size(k);
      long[] reversed = new long[n];
      for (int i = 0; i < n; i++) {
        reversed[i] = n - 1 - i;
      }
      out = out.indexSelect(k, Tensor.of(reversed).to(x.device()));
    }
    return d.length == 0 ? x.clone() : out;
  }

  /**
   * Rolls elements along {@code dims} by {@code shifts} (elements pushed past the end come back at the
   * start, {@code torch.roll}); with no dims, rolls the flattened tensor and restores its shape.
   */
  public static Tensor roll(Tensor x, int[] shifts, int[] dims) {
    if (dims.length == 0) {
      if (shifts.length != 1) {
        throw new IllegalArgumentException("roll: without dims there must be one shift, got "
            + Arrays.toString(shifts) + " (shape " + x.shape() + ")");
      }
      return roll(x.reshape(-1), shifts, new int[] {0}).reshape(x.shapeArray());
    }
    if (shifts.length != dims.length) {
      throw new IllegalArgumentException("roll: shifts " + Arrays.toString(shifts) + " and dims "
          + Arrays.toString(dims) + " must have the same length (shape " + x.shape() + ")");
    }
    Tensor out = x;
    for (int i = 0; i < dims.length; i++) {
      int d = Shape.normalizeDim(dims[i], x.dim(), "roll");
      int n = x.dim() == 0 ? 1 : x.size(d);
      if (x.dim() == 0 || n == 0) {
        continue;
      }
      int s = Math.floorMod(shifts[i], n);
      if (s != 0) {
        out = Shaping.cat(List.of(out.narrow(d, n - s, s), out.narrow(d, 0, n - s)), d);
      }
    }
    return out == x ? x.clone() : out;
  }

  /** Returns the slices of {@code x} along {@code dim}, each without that dim ({@code torch.unbind}). */
  public static List<Tensor> unbind(Tensor x, int dim) {
    if (x.dim() == 0) {
      throw new IllegalArgumentException("unbind: a 0-d tensor has no dim to unbind");
    }
    int d = Shape.normalizeDim(dim, x.dim(), "unbind");
    List<Tensor> out = new ArrayList<>(x.size(d));
    for (int i = 0; i < x.size(d); i++) {
      out.add(x.select(d, i));
    }
    return out;
  }

  /**
   * Repeats each element {@code repeats} times along {@code dim} ({@code torch.repeat_interleave});
   * a null {@code dim} flattens first.
   */
  public static Tensor repeatInterleave(Tensor x, int repeats, Integer dim) {
    if (repeats < 0) {
      throw new IllegalArgumentException("repeat_interleave: repeats must be non-negative, got " + repeats);
    }
    Tensor in = dim == null ? x.reshape(-1) : x;
    int d = dim == null ? 0 : Shape.normalizeDim(dim, in.dim(), "repeat_interleave");
    int n = in.dim() == 0 ? 1 : in.size(d);
    long[] counts = new long[n];
    Arrays.fill(counts, repeats);
    return repeatInterleave(in.dim() == 0 ? in.reshape(1) : in, Tensor.of(counts).to(x.device()), d);
  }

  /**
   * Repeats element {@code i} of {@code dim} {@code repeats[i]} times ({@code repeats}: a 1-d int64
   * tensor with one count per element, or one element for all); a null {@code dim} flattens first.
   */
  public static Tensor repeatInterleave(Tensor x, Tensor repeats, Integer dim) {
    Tensor in = dim == null ? x.reshape(-1) : x;
    int d = dim == null ? 0 : Shape.normalizeDim(dim, in.dim(), "repeat_interleave");
    return repeatInterleave(in.dim() == 0 ? in.reshape(1) : in, repeats, d);
  }

  private static Tensor repeatInterleave(Tensor x, Tensor repeats, int d) {
    if (repeats.dtype().isFloatingPoint() || repeats.dtype() == DType.BOOL || repeats.dim() > 1) {
      throw new IllegalArgumentException("repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got "
          + repeats.dtype() + " " + repeats.shape());
    }
    int n = x.size(d);
    long[] r = repeats.toLongArray();
    if (r.length == 1 && n != 1) {
      long one = r[0];
      r = new long[n];
      Arrays.fill(r, one);
    }
    if (r.length != n) {
      throw new IllegalArgumentException("repeat_interleave: repeats " + repeats.shape() + " must have one count"
          + " per element of dim " + d + " of size " + n + " (shape " + x.shape() + ")");
    }
    long total = 0;
    for (long c : r) {
      if (c < 0) {
        throw new IllegalArgumentException("repeat_interleave: repeats must be non-negative, got " + c);
      }
      total += c;
    }
    long[] index = new long[Math.toIntExact(total)];
    int p = 0;
    for (int i = 0; i < n; i++) {
      for (long c = 0; c < r[i]; c++) {
        index[p++] = i;
      }
    }
    return x.indexSelect(d, Tensor.of(index).to(x.device()));
  }

  /**
   * Returns coordinate grids of the 0-d or 1-d {@code tensors} ({@code torch.meshgrid}): with
   * {@code indexing "ij"} grid {@code i} varies along dim {@code i}; with {@code "xy"} the first two
   * dims are swapped (Cartesian). The grids are broadcast views of the inputs.
   */
  public static List<Tensor> meshgrid(List<Tensor> tensors, String indexing) {
    boolean xy = switch (indexing) {
      case "ij" -> false;
      case "xy" -> true;
      default -> throw new IllegalArgumentException("meshgrid: indexing must be \"ij\" or \"xy\", got \""
          + indexing + "\"");
    };
    int n = tensors.size();
    if (n == 0) {
      throw new IllegalArgumentException("meshgrid: expects a non-empty list of tensors");
    }
    int[] sizes = new int[n];
    for (int i = 0; i < n; i++) {
      Tensor t = tensors.get(i);
      if (t.dim() > 1) {
        throw new IllegalArgumentException("meshgrid: expects 0-d or 1-d tensors, got shape " + t.shape()
            + " at position " + i);
      }
      if (!t.device().equals(tensors.get(0).device()) || t.dtype() != tensors.get(0).dtype()) {
        throw new IllegalArgumentException("meshgrid: expects all tensors to have the same dtype and device, got "
            + tensors.get(0).dtype() + " on " + tensors.get(0).device() + " and " + t.dtype() + " on "
            + t.device() + " at position " + i);
      }
      sizes[i] = (int) t.numel();
    }
    boolean swap = xy && n >= 2;
    int[] shape = sizes.clone();
    if (swap) {
      shape[0] = sizes[1];
      shape[1] = sizes[0];
    }
    List<Tensor> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int axis = swap && i < 2 ? 1 - i : i;
      int[] view = new int[n];
      Arrays.fill(view, 1);
      view[axis] = sizes[i];
      out.add(tensors.get(i).reshape(view).expand(shape));
    }
    return out;
  }

  /**
   * Returns the view of the diagonal {@code offset} of the plane {@code (dim1, dim2)} ({@code
   * torch.diagonal}): those dims are removed and the diagonal is appended as the last dim. Offset
   * {@code > 0} is above the main diagonal, {@code < 0} below.
   */
  public static Tensor diagonal(Tensor x, int offset, int dim1, int dim2) {
    if (x.dim() < 2) {
      throw new IllegalArgumentException("diagonal: input must have at least 2 dims, got shape " + x.shape());
    }
    int d1 = Shape.normalizeDim(dim1, x.dim(), "diagonal");
    int d2 = Shape.normalizeDim(dim2, x.dim(), "diagonal");
    if (d1 == d2) {
      throw new IllegalArgumentException("diagonal: dim1 and dim2 cannot be identical, got " + dim1 + " and "
          + dim2 + " (shape " + x.shape() + ")");
    }
    int[] shape = x.shapeArray();
    int[] strides = x.stridesArray();
    int length = Math.max(0, Math.min(shape[d1] - Math.max(0, -offset), shape[d2] - Math.max(0, offset)));
    long start = x.storageOffset();
    if (length > 0) {
      start += offset >= 0 ? (long) offset * strides[d2] : (long) -offset * strides[d1];
    }
    int[] outShape = new int[shape.length - 1];
    int[] outStrides = new int[shape.length - 1];
    int p = 0;
    for (int k = 0; k < shape.length; k++) {
      if (k != d1 && k != d2) {
        outShape[p] = shape[k];
        outStrides[p++] = strides[k];
      }
    }
    outShape[p] = length;
    outStrides[p] = strides[d1] + strides[d2];
    Tensor out = x.asStrided(outShape, outStrides, start);
    int[] from = x.shapeArray();
    return record("diagonal", out, new Tensor[] {x},
        g -> new Tensor[] {diagonalScatter(g, from, offset, d1, d2)});
  }

  /**
   * Returns zeros of {@code shape} with {@code g} written on the diagonal {@code (offset, d1, d2)}:
   * the adjoint of {@link #diagonal}, itself recorded with {@code diagonal} as its gradient.
   */
  static Tensor diagonalScatter(Tensor g, int[] shape, int offset, int d1, int d2) {
    Tensor out = Tensor.zeros(Shape.of(shape), g.dtype(), g.device());
    try (GradMode off = GradMode.noGrad()) {
      diagonal(out, offset, d1, d2).copyInPlace(g);
    }
    return record("diagonal_backward", out, new Tensor[] {g},
        gg -> new Tensor[] {diagonal(gg, offset, d1, d2)});
  }

  /**
   * {@code torch.diag}: of a 1-d tensor, the square matrix with it on diagonal {@code offset}; of a
   * 2-d tensor, a copy of that diagonal (1-d).
   */
  public static Tensor diag(Tensor x, int offset) {
    if (x.dim() == 1) {
      int n = x.size(0) + Math.abs(offset);
      return diagonalScatter(x, new int[] {n, n}, offset, 0, 1);
    }
    if (x.dim() == 2) {
      return diagonal(x, offset, 0, 1).contiguous();
    }
    throw new IllegalArgumentException("diag: input must be 1-d or 2-d, got shape " + x.shape());
  }

  /** Returns the sum of the main diagonal of a 2-d tensor ({@code torch.trace}), 0-d. */
  public static Tensor trace(Tensor x) {
    if (x.dim() != 2) {
      throw new IllegalArgumentException("trace: expected a 2-d tensor, got shape " + x.shape());
    }
    return diagonal(x, 0, 0, 1).sum();
  }

  /**
   * Returns the view of every window of {@code size} elements of {@code dim}, {@code step} apart
   * ({@code x.unfold(dim, size, step)}): {@code dim} becomes the number of windows {@code (n - size)
   * / step + 1} and a last dim of {@code size} holds each window. Gradient: the windows' gradients
   * added back at their positions (overlapping windows accumulate).
   */
  public static Tensor unfold(Tensor x, int dim, int size, int step) {
    int d = Shape.normalizeDim(dim, x.dim(), "unfold");
    int n = x.dim() == 0 ? 1 : x.size(d);
    if (size < 0 || size > n) {
      throw new IllegalArgumentException("unfold: size " + size + " must be in [0, " + n + "], the size of dim "
          + d + " (shape " + x.shape() + ")");
    }
    if (step <= 0) {
      throw new IllegalArgumentException("unfold: step must be positive, got " + step + " (shape " + x.shape()
          + ")");
    }
    int windows = (n - size) / step + 1;
    int[] shape = x.dim() == 0 ? new int[0] : x.shapeArray();
    int[] strides = x.dim() == 0 ? new int[0] : x.stridesArray();
    int[] outShape = Arrays.copyOf(shape, shape.length + 1);
    int[] outStrides = Arrays.copyOf(strides, strides.length + 1);
    int along = x.dim() == 0 ? 1 : strides[d];
    if (x.dim() > 0) {
      outShape[d] = windows;
      outStrides[d] = Math.multiplyExact(along, step);
    }
    outShape[shape.length] = size;
    outStrides[shape.length] = along;
    Tensor out = x.asStrided(outShape, outStrides, x.storageOffset());
    int[] from = x.shapeArray();
    return record("unfold", out, new Tensor[] {x}, g -> {
      if (from.length == 0) {
        return new Tensor[] {g.reshape(from)};
      }
      // Put each window's elements after its window index, fold them into one dim of positions
      // w * step + k, and add them back along dim.
      int rank = from.length;
      int[] perm = new int[rank + 1];
      for (int k = 0, p = 0; k <= rank; k++) {
        if (k == d + 1) {
          perm[p++] = rank;
        }
        if (k < rank) {
          perm[p++] = k;
        }
      }
      int[] folded = from.clone();
      folded[d] = windows * size;
      long[] positions = new long[windows * size];
      for (int w = 0; w < windows; w++) {
        for (int k = 0; k < size; k++) {
          positions[w * size + k] = (long) w * step + k;
        }
      }
      Tensor gw = g.permute(perm).reshape(folded);
      Tensor zeros = Tensor.zeros(Shape.of(from), g.dtype(), g.device());
      return new Tensor[] {zeros.indexAdd(d, Tensor.of(positions).to(g.device()), gw)};
    });
  }

  /** Returns the view with all dims reversed ({@code x.T}). */
  public static Tensor reverseDims(Tensor x) {
    int[] perm = new int[x.dim()];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = perm.length - 1 - i;
    }
    return x.permute(perm);
  }

  /** Returns the view with the last two dims swapped ({@code x.mT}); needs at least 2 dims. */
  public static Tensor matrixTranspose(Tensor x) {
    if (x.dim() < 2) {
      throw new IllegalArgumentException("mT: tensor of shape " + x.shape() + " must have at least 2 dims");
    }
    return x.transpose(-2, -1);
  }

  /** Returns the dims normalized, refusing repeats. */
  private static int[] distinctDims(String op, Tensor x, int[] dims) {
    int[] d = new int[dims.length];
    boolean[] seen = new boolean[Math.max(x.dim(), 1)];
    for (int i = 0; i < dims.length; i++) {
      d[i] = Shape.normalizeDim(dims[i], x.dim(), op);
      if (seen[d[i]]) {
        throw new IllegalArgumentException(op + ": dim " + d[i] + " appears multiple times in the list of dims "
            + Arrays.toString(dims) + " (shape " + x.shape() + ")");
      }
      seen[d[i]] = true;
    }
    if (x.dim() == 0) {
      return new int[0];
    }
    return d;
  }
}
