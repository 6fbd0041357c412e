package dev.ember;

/**
 * A gradient check found an analytic derivative that differs from the finite difference, PyTorch's
 * {@code GradcheckError}. The message names the input, the element and both values; the getters
 * give them to code.
 */
public class GradCheckException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int input;
  private final long element;
  private final double numeric;
  private final double analytic;

  /** Creates the exception for input {@code input} (of shape {@code shape}), flat element {@code element}. */
  public GradCheckException(int input, Shape shape, long element, double numeric, double analytic) {
    super(String.format(java.util.Locale.ROOT,
        "gradcheck: input %d (shape %s), element %d: numeric %.10g vs analytic %.10g", input, shape, element,
        numeric, analytic));
    this.input = input;
    this.element = element;
    this.numeric = numeric;
    this.analytic = analytic;
  }

  /** Returns the position of the mismatching input among the function's inputs. */
  public int input() {
    return input;
  }

  /** Returns the flat (row-major) index of the mismatching element. */
  public long element() {
    return element;
  }

  /** Returns the finite-difference derivative. */
  public double numeric() {
    return numeric;
  }

  /** Returns the derivative backward computed. */
  public double analytic() {
    return analytic;
  }
}
