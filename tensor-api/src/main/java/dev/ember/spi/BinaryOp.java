package dev.ember.spi;

/**
 * Elementwise functions of two operands that a backend computes. Both inputs share a dtype; the
 * output has that dtype too, except for comparisons and logical ops, whose output is bool.
 */
public enum BinaryOp {
  /** {@code a + b}. */
  ADD,
  /** {@code a - b}. */
  SUB,
  /** {@code a * b}. */
  MUL,
  /** {@code a / b}; for integers, truncating (Dispatch promotes true division to floating). */
  DIV,
  /** {@code a ^ b}. */
  POW,
  /** {@code max(a, b)}, propagating NaN. */
  MAXIMUM,
  /** {@code min(a, b)}, propagating NaN. */
  MINIMUM,
  /**
   * C's {@code fmod(a, b)}: {@code a - trunc(a / b) b} computed exactly, with a's sign (NaN for b = 0
   * or an infinite a; a for an infinite b). Floating dtypes; integer fmod composes from DIV.
   */
  FMOD,
  /** {@code a == b}, bool output. */
  EQ,
  /** {@code a != b}, bool output. */
  NE,
  /** {@code a < b}, bool output. */
  LT,
  /** {@code a <= b}, bool output. */
  LE,
  /** {@code a > b}, bool output. */
  GT,
  /** {@code a >= b}, bool output. */
  GE,
  /** {@code a && b} on truth values, bool output. */
  LOGICAL_AND,
  /** {@code a || b} on truth values, bool output. */
  LOGICAL_OR,
  /** {@code a ^ b} on truth values, bool output. */
  LOGICAL_XOR;

  /** Returns whether the result is bool whatever the input dtype. */
  public boolean isPredicate() {
    return ordinal() >= EQ.ordinal();
  }
}
