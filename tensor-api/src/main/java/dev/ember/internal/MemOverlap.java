package dev.ember.internal;

import dev.ember.Tensor;
import dev.ember.spi.Strided;

/**
 * Memory-overlap checks for ops that write into an existing tensor (in-place ops), in O(rank) per
 * operand and never per element.
 *
 * <p>The rules, PyTorch's plus one safety net:
 *
 * <ul>
 *   <li>A written-to tensor with a broadcast dim (stride 0, size above 1) refers to one memory
 *       location from several elements: the write raises (PyTorch's internal overlap). {@code fill_}
 *       is exempt, as in PyTorch: every element gets the same value.
 *   <li>An input on the same storage as the output that is the very same view (same offset,
 *       sizes and strides, ignoring size-1 dims) is fine: each element is read before it is
 *       written.
 *   <li>An input whose address range is disjoint from the output's is fine.
 *   <li>When both views are dense (their elements fill their address range exactly once) and the
 *       ranges overlap without being the same, the op raises (PyTorch's partial overlap).
 *   <li>Otherwise (ranges overlap but the layouts are strided or permuted, which PyTorch lets pass
 *       unchecked) the input is copied first, so the result is that of reading every input element
 *       before writing any output element, as NumPy does.
 * </ul>
 */
public final class MemOverlap {
  private MemOverlap() {}

  /**
   * Raises if two or more elements of {@code out} share a memory location (a broadcast dim).
   *
   * @throws IllegalArgumentException naming the op and {@code out}'s shape and strides
   */
  public static void checkNoInternalOverlap(String op, Tensor out) {
    if (out.numel() == 0) {
      return;
    }
    int[] shape = out.shapeArray();
    int[] strides = out.stridesArray();
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] > 1 && strides[i] == 0) {
        throw new IllegalArgumentException(op + ": unsupported operation: more than one element of the"
            + " written-to tensor refers to a single memory location (shape " + out.shape() + ", strides "
            + java.util.Arrays.toString(strides) + "); clone() the tensor before writing to it");
      }
    }
  }

  /**
   * Returns {@code in} itself, or a private copy of it (not recorded by autograd) when reading it
   * while writing {@code out} could see already-written values (see the class rules).
   *
   * @throws IllegalArgumentException naming the op and both shapes when the two dense views
   *     partially overlap
   */
  public static Tensor readableWhileWriting(String op, Tensor out, Tensor in) {
    if (!checkPartialOverlap(op, out, in)) {
      return in;
    }
    Tensor copy = Dispatch.empty(in.backend(), in.dtype(), in.shapeArray());
    in.backend().copy(in.strided(), copy.strided());
    return copy;
  }

  /**
   * Raises when {@code in} and {@code out} partially overlap as two dense views (PyTorch's partial
   * overlap), for ops that compute their result out of place before writing it into {@code out},
   * so that reading {@code in} never sees written values and only the check is needed.
   *
   * @throws IllegalArgumentException naming the op and both shapes
   */
  public static void checkNoPartialOverlap(String op, Tensor out, Tensor in) {
    checkPartialOverlap(op, out, in);
  }

  /**
   * Raises on a dense partial overlap; otherwise returns whether {@code in}'s and {@code out}'s
   * address ranges overlap without being the same view (reading {@code in} while writing {@code out}
   * could then see written values).
   */
  private static boolean checkPartialOverlap(String op, Tensor out, Tensor in) {
    Strided o = out.strided();
    Strided i = in.strided();
    if (o.storage() != i.storage() || out.numel() == 0 || in.numel() == 0 || sameView(o, i)) {
      return false;
    }
    long[] ro = range(o);
    long[] ri = range(i);
    if (ro[1] < ri[0] || ri[1] < ro[0]) {
      return false;
    }
    boolean sameRange = ro[0] == ri[0] && ro[1] == ri[1];
    if (!sameRange && isDense(o) && isDense(i)) {
      throw new IllegalArgumentException(op + ": unsupported operation: some elements of the input tensor"
          + " (shape " + in.shape() + ") and the written-to tensor (shape " + out.shape() + ") refer to a"
          + " single memory location; clone() the input first");
    }
    return true;
  }

  /** Returns whether two views address the same elements in the same order (size-1 dims ignored). */
  private static boolean sameView(Strided a, Strided b) {
    if (a.offset() != b.offset()) {
      return false;
    }
    int[] sa = a.shape();
    int[] sb = b.shape();
    int ia = 0;
    int ib = 0;
    while (true) {
      while (ia < sa.length && sa[ia] == 1) {
        ia++;
      }
      while (ib < sb.length && sb[ib] == 1) {
        ib++;
      }
      if (ia == sa.length || ib == sb.length) {
        return ia == sa.length && ib == sb.length;
      }
      if (sa[ia] != sb[ib] || a.strides()[ia] != b.strides()[ib]) {
        return false;
      }
      ia++;
      ib++;
    }
  }

  /** Returns the lowest and highest element index a non-empty view addresses. */
  private static long[] range(Strided s) {
    long lo = s.offset();
    long hi = s.offset();
    for (int d = 0; d < s.rank(); d++) {
      long span = (long) (s.shape()[d] - 1) * s.strides()[d];
      if (span < 0) {
        lo += span;
      } else {
        hi += span;
      }
    }
    return new long[] {lo, hi};
  }

  /**
   * Returns whether a non-empty view's elements fill its address range exactly once (PyTorch's
   * non-overlapping-and-dense): sorted by stride, each stride is the product of the smaller sizes.
   */
  private static boolean isDense(Strided s) {
    int[] shape = s.shape();
    int[] strides = s.strides();
    int n = 0;
    long[] sizes = new long[shape.length];
    long[] steps = new long[shape.length];
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == 1) {
        continue;
      }
      long step = Math.abs((long) strides[d]);
      int at = n++;
      while (at > 0 && steps[at - 1] > step) {
        steps[at] = steps[at - 1];
        sizes[at] = sizes[at - 1];
        at--;
      }
      steps[at] = step;
      sizes[at] = shape[d];
    }
    long expected = 1;
    for (int k = 0; k < n; k++) {
      if (steps[k] != expected) {
        return false;
      }
      expected *= sizes[k];
    }
    return true;
  }
}
