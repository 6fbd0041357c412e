package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import dev.ember.spi.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Joining, splitting, padding, repeating and triangular masks. */
public final class Shaping {
  private Shaping() {}

  /** Returns the tensors joined along {@code dim}; all other sizes must match. */
  public static Tensor cat(List<Tensor> tensors, int dim) {
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException("cat: expected a non-empty list of tensors");
    }
    Tensor first = tensors.get(0);
    Backend backend = Dispatch.backendOf("cat", tensors.toArray(new Tensor[0]));
    int rank = first.dim();
    if (rank == 0) {
      throw new IllegalArgumentException("cat: zero-dimensional tensor cannot be concatenated");
    }
    int d = Shape.normalizeDim(dim, rank, "cat");
    int[] shape = first.shapeArray();
    DType type = first.dtype();
    int total = 0;
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      int[] s = t.shapeArray();
      boolean ok = s.length == rank;
      for (int j = 0; ok && j < rank; j++) {
        ok = j == d || s[j] == shape[j];
      }
      if (!ok) {
        throw new IllegalArgumentException("cat: sizes of tensors must match except in dimension " + d
            + ": tensor 0 has shape " + first.shape() + " but tensor " + i + " has shape " + t.shape());
      }
      total += s[d];
      type = DType.promote(type, t.dtype());
    }
    if (type.isComplex()) {
      return ComplexOps.cat(tensors, d, type);
    }
    shape[d] = total;
    Tensor out = Dispatch.empty(backend, type, shape);
    Strided o = out.strided();
    int[] offsets = new int[tensors.size()];
    int at = 0;
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      offsets[i] = at;
      int[] part = t.shapeArray();
      backend.copy(t.strided(), new Strided(o.storage(), type, part, o.strides(),
          (long) at * o.strides()[d]));
      at += part[d];
    }
    Tensor[] inputs = tensors.toArray(new Tensor[0]);
    return record("cat", out, inputs, g -> {
      Tensor[] grads = new Tensor[inputs.length];
      for (int i = 0; i < inputs.length; i++) {
        if (inputs[i].requiresGrad()) {
          grads[i] = g.narrow(d, offsets[i], inputs[i].size(d)).to(inputs[i].dtype());
        }
      }
      return grads;
    });
  }

  /** Returns the tensors, which must share a shape, stacked along a new dim {@code dim}. */
  public static Tensor stack(List<Tensor> tensors, int dim) {
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException("stack: expected a non-empty list of tensors");
    }
    int[] shape = tensors.get(0).shapeArray();
    List<Tensor> expanded = new ArrayList<>();
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      if (!Arrays.equals(t.shapeArray(), shape)) {
        throw new IllegalArgumentException("stack: expects each tensor to be equal size, but got "
            + Arrays.toString(shape) + " at entry 0 and " + t.shape() + " at entry " + i);
      }
      expanded.add(t.unsqueeze(Shape.normalizeDim(dim, shape.length + 1, "stack")));
    }
    return cat(expanded, Shape.normalizeDim(dim, shape.length + 1, "stack"));
  }

  /** Returns views of at most {@code splitSize} along {@code dim}. */
  public static List<Tensor> split(Tensor x, int splitSize, int dim) {
    if (splitSize <= 0) {
      throw new IllegalArgumentException("split: split size must be positive, got " + splitSize);
    }
    int d = Shape.normalizeDim(dim, x.dim(), "split");
    List<Tensor> parts = new ArrayList<>();
    int size = x.size(d);
    for (int start = 0; start < size || (size == 0 && start == 0); start += splitSize) {
      parts.add(x.narrow(d, start, Math.min(splitSize, size - start)));
      if (size == 0) {
        break;
      }
    }
    return parts;
  }

  /** Returns views of explicit sizes along {@code dim}; the sizes must add up to the dim's size. */
  public static List<Tensor> split(Tensor x, int[] sizes, int dim) {
    int d = Shape.normalizeDim(dim, x.dim(), "split");
    if (Arrays.stream(sizes).sum() != x.size(d)) {
      throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " don't add up to"
          + " the size " + x.size(d) + " of dim " + d + " (shape " + x.shape() + ")");
    }
    List<Tensor> parts = new ArrayList<>();
    int start = 0;
    for (int s : sizes) {
      parts.add(x.narrow(d, start, s));
      start += s;
    }
    return parts;
  }

  /** Returns {@code chunks} views along {@code dim}, each of ceil(size / chunks) but the last. */
  public static List<Tensor> chunk(Tensor x, int chunks, int dim) {
    if (chunks <= 0) {
      throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
    }
    int d = Shape.normalizeDim(dim, x.dim(), "chunk");
    int size = x.size(d);
    return split(x, Math.max(1, (size + chunks - 1) / chunks), d);
  }

  /**
   * Returns {@code x} padded with {@code value}: {@code pad} holds (before, after) pairs starting
   * from the last dim, as in {@code torch.nn.functional.pad}; negative amounts crop.
   */
  public static Tensor pad(Tensor x, int[] pad, double value) {
    if (pad.length % 2 != 0 || pad.length / 2 > x.dim()) {
      throw new IllegalArgumentException("pad: padding length must be even and at most 2 * dims ("
          + x.dim() + "), got " + Arrays.toString(pad));
    }
    Tensor cropped = x;
    int[] shape = x.shapeArray();
    int[] before = new int[shape.length];
    for (int i = 0; i < pad.length / 2; i++) {
      int d = shape.length - 1 - i;
      int lo = pad[2 * i];
      int hi = pad[2 * i + 1];
      int start = Math.max(0, -lo);
      int end = cropped.size(d) - Math.max(0, -hi);
      if (end < start) {
        throw new IllegalArgumentException("pad: negative padding " + Arrays.toString(pad)
            + " removes all of dim " + d + " of shape " + x.shape());
      }
      cropped = cropped.narrow(d, start, end - start);
      before[d] = Math.max(0, lo);
      shape[d] = cropped.size(d) + before[d] + Math.max(0, hi);
    }
    Tensor src = cropped;
    Tensor out = Dispatch.empty(x.backend(), x.dtype(), shape);
    x.backend().fill(out.strided(), value);
    Strided o = out.strided();
    long offset = 0;
    for (int d = 0; d < shape.length; d++) {
      offset += (long) before[d] * o.strides()[d];
    }
    x.backend().copy(src.strided(), new Strided(o.storage(), x.dtype(), src.shapeArray(), o.strides(), offset));
    return record("pad", out, new Tensor[] {src}, g -> {
      Tensor r = g;
      for (int d = 0; d < before.length; d++) {
        r = r.narrow(d, before[d], src.size(d));
      }
      return new Tensor[] {r};
    });
  }

  /** Returns {@code x} tiled {@code repeats[i]} times along each dim ({@code Tensor.repeat}). */
  public static Tensor repeat(Tensor x, int[] repeats) {
    if (repeats.length < x.dim()) {
      throw new IllegalArgumentException("repeat: number of repeat dims (" + repeats.length
          + ") can not be smaller than the number of dims of the tensor (" + x.dim() + ")");
    }
    for (int r : repeats) {
      if (r < 0) {
        throw new IllegalArgumentException("repeat: repeats can not be negative, got "
            + Arrays.toString(repeats) + " for shape " + x.shape());
      }
    }
    int lead = repeats.length - x.dim();
    int[] shape = x.shapeArray();
    int[] interleaved = new int[repeats.length * 2];
    int[] expanded = new int[repeats.length * 2];
    int[] result = new int[repeats.length];
    for (int i = 0; i < repeats.length; i++) {
      int s = i < lead ? 1 : shape[i - lead];
      interleaved[2 * i] = 1;
      interleaved[2 * i + 1] = s;
      expanded[2 * i] = repeats[i];
      expanded[2 * i + 1] = s;
      long size = (long) repeats[i] * s;
      if (size > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("repeat: repeating dim " + i + " of size " + s + " "
            + repeats[i] + " times gives " + size + ", more than the largest dim size " + Integer.MAX_VALUE);
      }
      result[i] = (int) size;
    }
    return x.reshape(interleaved).expand(expanded).reshape(result);
  }

  /** Returns the lower (or upper) triangle of the last two dims, zeroing the rest. */
  public static Tensor tril(Tensor x, int diagonal, boolean lower) {
    if (x.dim() < 2) {
      throw new IllegalArgumentException((lower ? "tril" : "triu") + ": input must have at least 2 dims,"
          + " got shape " + x.shape());
    }
    int n = x.size(-2);
    int m = x.size(-1);
    Tensor rows = Tensor.arange(n).to(x.device()).unsqueeze(1);
    Tensor cols = Tensor.arange(m).to(x.device()).unsqueeze(0);
    Tensor offset = cols.sub(rows);
    Tensor keep = lower ? offset.le(diagonal) : offset.ge(diagonal);
    return Tensor.where(keep, x, Tensor.zeros(Shape.scalar(), x.dtype(), x.device()));
  }
}
