package dev.ember.spi;

/**
 * Elementwise functions of one operand that a backend computes. Input and output share a dtype,
 * except {@link #LOGICAL_NOT}, whose output is bool.
 */
public enum UnaryOp {
  /** {@code -x}. */
  NEG,
  /** {@code |x|}. */
  ABS,
  /** {@code sign(x)}: -1, 0 or 1. */
  SIGN,
  /** {@code e^x}. */
  EXP,
  /** {@code e^x - 1}, accurate near 0. */
  EXPM1,
  /** Natural logarithm. */
  LOG,
  /** {@code log(1 + x)}, accurate near 0. */
  LOG1P,
  /** Square root. */
  SQRT,
  /** {@code 1 / sqrt(x)}. */
  RSQRT,
  /** {@code 1 / x}. */
  RECIPROCAL,
  /** Sine. */
  SIN,
  /** Cosine. */
  COS,
  /** Hyperbolic tangent. */
  TANH,
  /** {@code 1 / (1 + e^-x)}, stable for large |x|. */
  SIGMOID,
  /** {@code max(x, 0)}. */
  RELU,
  /** The error function. */
  ERF,
  /** Round towards negative infinity. */
  FLOOR,
  /** Round towards positive infinity. */
  CEIL,
  /** Round half to even. */
  ROUND,
  /** {@code !x}; output is bool. */
  LOGICAL_NOT,
  /** GELU, exact: {@code x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))}. */
  GELU,
  /** The derivative of {@link #GELU}: {@code Phi(x) + x phi(x)}. */
  GELU_GRAD,
  /** GELU, tanh form: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
  GELU_TANH,
  /** The derivative of {@link #GELU_TANH}. */
  GELU_TANH_GRAD
}
