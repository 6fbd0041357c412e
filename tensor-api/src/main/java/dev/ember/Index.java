package dev.ember;

/**
 * Index expressions for {@link Tensor#index(Object...)}: the Java spelling of Python's {@code x[1:5:2,
 * None, ..., idx]}. Plain {@code Integer}s and tensors are indices too.
 */
public final class Index {
  /** A new size-1 axis, Python's {@code None}. */
  public static final Object NEW_AXIS = new Object() {
    @Override
    public String toString() {
      return "None";
    }
  };

  /** All remaining dims, Python's {@code ...}. */
  public static final Object ELLIPSIS = new Object() {
    @Override
    public String toString() {
      return "...";
    }
  };

  private Index() {}

  /**
   * A slice {@code start:end:step}; null bounds mean the ends, as in Python.
   *
   * @param start first index (negative counts from the end), or null
   * @param end index past the last, or null
   * @param step positive step
   */
  public record Slice(Integer start, Integer end, int step) {
    /** Checks the step. */
    public Slice {
      if (step <= 0) {
        throw new IllegalArgumentException("index: slice step must be positive, got " + step);
      }
    }

    @Override
    public String toString() {
      return (start == null ? "" : start) + ":" + (end == null ? "" : end) + (step == 1 ? "" : ":" + step);
    }
  }

  /** Returns the slice {@code start:end:step}. */
  public static Slice slice(Integer start, Integer end, int step) {
    return new Slice(start, end, step);
  }

  /** Returns the slice {@code start:end}. */
  public static Slice slice(Integer start, Integer end) {
    return new Slice(start, end, 1);
  }

  /** Returns the slice {@code :}, the whole dim. */
  public static Slice all() {
    return new Slice(null, null, 1);
  }
}
