package dev.ember;

import java.util.Arrays;

/**
 * An immutable tensor shape: the size of each dimension, outermost first.
 *
 * <p>A 0-d (scalar) shape has no dimensions and one element. Prints as PyTorch lists do: {@code [2,
 * 3]}.
 */
public final class Shape {
  private static final Shape SCALAR = new Shape(new int[0]);
  private final int[] dims;

  private Shape(int[] dims) {
    this.dims = dims;
  }

  /**
   * Returns the shape with the given sizes.
   *
   * @throws IllegalArgumentException if a size is negative or the element count overflows
   */
  public static Shape of(int... dims) {
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("shape: negative size in " + Arrays.toString(dims));
      }
    }
    numel(dims);
    return dims.length == 0 ? SCALAR : new Shape(dims.clone());
  }

  /** Returns the 0-d shape {@code []}. */
  public static Shape scalar() {
    return SCALAR;
  }

  /** Returns a copy of the sizes. */
  public int[] dims() {
    return dims.clone();
  }

  /** Returns the number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /** Returns the size of dimension {@code dim}; negative dims count from the end. */
  public int get(int dim) {
    return dims[normalizeDim(dim, dims.length, "shape")];
  }

  /** Returns the number of elements: the product of the sizes, 1 for a 0-d shape. */
  public long numel() {
    return numel(dims);
  }

  /**
   * Returns the number of elements of a shape given as sizes.
   *
   * @throws IllegalArgumentException if the count overflows a long (a shape no tensor can have)
   */
  public static long numel(int[] dims) {
    long n = 1;
    for (int d : dims) {
      long next = n * d;
      if (d != 0 && next / d != n) {
        for (int z : dims) {
          if (z == 0) {
            return 0;
          }
        }
        throw new IllegalArgumentException("shape: the number of elements of " + Arrays.toString(dims)
            + " overflows a 64-bit count (more than " + Long.MAX_VALUE + ")");
      }
      n = next;
    }
    return n;
  }

  /**
   * Turns a possibly negative dim into an index in {@code [0, rank)}.
   *
   * @throws IndexOutOfBoundsException naming the op, the dim and the rank when out of range
   */
  public static int normalizeDim(int dim, int rank, String op) {
    int r = Math.max(rank, 1);
    if (dim < -r || dim >= r) {
      throw new IndexOutOfBoundsException(
          op + ": dim " + dim + " out of range for a tensor of " + rank + " dims (expected in ["
              + (-r) + ", " + (r - 1) + "])");
    }
    return dim < 0 ? dim + r : dim;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
