package dev.ember.spi;

import dev.ember.DType;
import java.util.Arrays;

/**
 * A strided view of a storage, as a backend sees an operand: element {@code (i0, i1, ...)} lives at
 * {@code offset + i0*strides[0] + i1*strides[1] + ...} in {@code storage}.
 *
 * <p>Broadcast dimensions have stride 0. Sizes and strides are in elements, not bytes.
 *
 * @param storage the memory, of dtype {@code dtype}
 * @param dtype the element type
 * @param shape the size of each dimension
 * @param strides the step, in elements, of each dimension
 * @param offset the position of element {@code (0, 0, ...)}
 */
public record Strided(Storage storage, DType dtype, int[] shape, int[] strides, long offset) {

  /** Returns a contiguous (row-major) view of a whole storage with the given shape. */
  public static Strided contiguous(Storage storage, int... shape) {
    return new Strided(storage, storage.dtype(), shape, contiguousStrides(shape), 0);
  }

  /** Returns the row-major strides of a shape. */
  public static int[] contiguousStrides(int[] shape) {
    int[] s = new int[shape.length];
    int acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= Math.max(shape[i], 1);
    }
    return s;
  }

  /** Returns the number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Returns the number of elements. */
  public long numel() {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** Returns whether elements are laid out row-major without gaps (size-1 dims may have any stride). */
  public boolean isContiguous() {
    long expected = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != expected) {
        return false;
      }
      expected *= shape[i];
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Strided s
        && storage == s.storage
        && dtype == s.dtype
        && offset == s.offset
        && Arrays.equals(shape, s.shape)
        && Arrays.equals(strides, s.strides);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shape) * 31 + Long.hashCode(offset);
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape) + " strides " + Arrays.toString(strides) + " @" + offset;
  }
}
