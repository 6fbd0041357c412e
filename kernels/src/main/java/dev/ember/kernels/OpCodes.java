package dev.ember.kernels;

/**
 * The run-time op codes the unary, binary and reduce kernels switch on, mirroring the {@code
 * #define}s in {@code ember.cuh} (a test checks that both agree). Backends map their op enums to
 * these with exhaustive switches.
 */
public final class OpCodes {
  private OpCodes() {}

  /** Unary {@code -x}. */
  public static final int UNARY_NEG = 0;
  /** Unary {@code |x|}. */
  public static final int UNARY_ABS = 1;
  /** Unary sign. */
  public static final int UNARY_SIGN = 2;
  /** Unary {@code e^x}. */
  public static final int UNARY_EXP = 3;
  /** Unary {@code e^x - 1}. */
  public static final int UNARY_EXPM1 = 4;
  /** Unary natural log. */
  public static final int UNARY_LOG = 5;
  /** Unary {@code log(1 + x)}. */
  public static final int UNARY_LOG1P = 6;
  /** Unary square root. */
  public static final int UNARY_SQRT = 7;
  /** Unary {@code 1 / sqrt(x)}. */
  public static final int UNARY_RSQRT = 8;
  /** Unary {@code 1 / x}. */
  public static final int UNARY_RECIPROCAL = 9;
  /** Unary sine. */
  public static final int UNARY_SIN = 10;
  /** Unary cosine. */
  public static final int UNARY_COS = 11;
  /** Unary hyperbolic tangent. */
  public static final int UNARY_TANH = 12;
  /** Unary logistic sigmoid. */
  public static final int UNARY_SIGMOID = 13;
  /** Unary {@code max(x, 0)}. */
  public static final int UNARY_RELU = 14;
  /** Unary error function. */
  public static final int UNARY_ERF = 15;
  /** Unary floor. */
  public static final int UNARY_FLOOR = 16;
  /** Unary ceiling. */
  public static final int UNARY_CEIL = 17;
  /** Unary round half to even. */
  public static final int UNARY_ROUND = 18;
  /** Unary logical not; bool output. */
  public static final int UNARY_LOGICAL_NOT = 19;

  /** GELU, exact (erf). */
  public static final int UNARY_GELU = 20;

  /** Derivative of exact GELU. */
  public static final int UNARY_GELU_GRAD = 21;

  /** GELU, tanh approximation. */
  public static final int UNARY_GELU_TANH = 22;

  /** Derivative of tanh-approximated GELU. */
  public static final int UNARY_GELU_TANH_GRAD = 23;

  /** Binary {@code a + b}. */
  public static final int BINARY_ADD = 0;
  /** Binary {@code a - b}. */
  public static final int BINARY_SUB = 1;
  /** Binary {@code a * b}. */
  public static final int BINARY_MUL = 2;
  /** Binary {@code a / b}, truncating for integers. */
  public static final int BINARY_DIV = 3;
  /** Binary {@code a ^ b}. */
  public static final int BINARY_POW = 4;
  /** Binary NaN-propagating maximum. */
  public static final int BINARY_MAXIMUM = 5;
  /** Binary NaN-propagating minimum. */
  public static final int BINARY_MINIMUM = 6;
  /** Binary {@code ==}; bool output. */
  public static final int BINARY_EQ = 7;
  /** Binary {@code !=}; bool output. */
  public static final int BINARY_NE = 8;
  /** Binary {@code <}; bool output. */
  public static final int BINARY_LT = 9;
  /** Binary {@code <=}; bool output. */
  public static final int BINARY_LE = 10;
  /** Binary {@code >}; bool output. */
  public static final int BINARY_GT = 11;
  /** Binary {@code >=}; bool output. */
  public static final int BINARY_GE = 12;
  /** Binary logical and; bool output. */
  public static final int BINARY_LOGICAL_AND = 13;
  /** Binary logical or; bool output. */
  public static final int BINARY_LOGICAL_OR = 14;
  /** Binary logical xor; bool output. */
  public static final int BINARY_LOGICAL_XOR = 15;
  /** Binary C {@code fmod(a, b)} (floating types; integer: {@code a % b}, 0 for b = 0). */
  public static final int BINARY_FMOD = 16;

  /** Reduce by sum. */
  public static final int REDUCE_SUM = 0;
  /** Reduce by product. */
  public static final int REDUCE_PROD = 1;
  /** Reduce by NaN-propagating maximum. */
  public static final int REDUCE_MAX = 2;
  /** Reduce by NaN-propagating minimum. */
  public static final int REDUCE_MIN = 3;
  /** Index of the first maximum; int64 output. */
  public static final int REDUCE_ARGMAX = 4;
  /** Index of the first minimum; int64 output. */
  public static final int REDUCE_ARGMIN = 5;
}
