package dev.ember;

/**
 * Element types of a tensor, with PyTorch's names and promotion rules.
 *
 * <p>{@link #FLOAT32} is the default for floating tensors, {@link #INT64} for integer ones.
 */
public enum DType {
  /** 32-bit IEEE float ({@code torch.float32}); the default dtype. */
  FLOAT32(4, Kind.FLOATING, "float32"),
  /** 64-bit IEEE float ({@code torch.float64}). */
  FLOAT64(8, Kind.FLOATING, "float64"),
  /** 64-bit signed integer ({@code torch.int64}); indices and class labels. */
  INT64(8, Kind.INTEGRAL, "int64"),
  /** 32-bit signed integer ({@code torch.int32}). */
  INT32(4, Kind.INTEGRAL, "int32"),
  /** Boolean, one byte per element ({@code torch.bool}); results of comparisons. */
  BOOL(1, Kind.BOOLEAN, "bool"),
  /**
   * 16-bit IEEE half ({@code torch.float16}, {@code torch.half}): 5 exponent bits, 10 mantissa bits,
   * largest finite value 65504. Stored in 2 bytes; ops compute in float32 and round to nearest even.
   */
  FLOAT16(2, Kind.FLOATING, "float16"),
  /**
   * Brain float ({@code torch.bfloat16}): float32's 8 exponent bits with 7 mantissa bits. Stored in 2
   * bytes; ops compute in float32 and round to nearest even.
   */
  BFLOAT16(2, Kind.FLOATING, "bfloat16"),
  /**
   * Complex number of two float32 ({@code torch.complex64}, {@code torch.cfloat}). Stored as
   * interleaved (real, imaginary) float32 pairs; ops lower to float32 ops on {@code
   * Tensor.viewAsReal}, so backends never see this type (see docs/guide.md, "Complex numbers").
   */
  COMPLEX64(8, Kind.COMPLEX, "complex64"),
  /** Complex number of two float64 ({@code torch.complex128}, {@code torch.cdouble}); see {@link #COMPLEX64}. */
  COMPLEX128(16, Kind.COMPLEX, "complex128");

  private enum Kind {
    BOOLEAN,
    INTEGRAL,
    FLOATING,
    COMPLEX
  }

  private final int byteSize;
  private final Kind kind;
  private final String pytorchName;

  DType(int byteSize, Kind kind, String pytorchName) {
    this.byteSize = byteSize;
    this.kind = kind;
    this.pytorchName = pytorchName;
  }

  /** Returns the number of bytes one element occupies. */
  public int byteSize() {
    return byteSize;
  }

  /** Returns whether this is a floating-point type (the only kind that can require grad). */
  public boolean isFloatingPoint() {
    return kind == Kind.FLOATING;
  }

  /** Returns whether this is {@link #COMPLEX64} or {@link #COMPLEX128} (not floating point, as in PyTorch). */
  public boolean isComplex() {
    return kind == Kind.COMPLEX;
  }

  /**
   * Returns the type of one component of a complex type (complex64 to float32, complex128 to
   * float64); any other type is returned as it is.
   */
  public DType toReal() {
    return this == COMPLEX64 ? FLOAT32 : this == COMPLEX128 ? FLOAT64 : this;
  }

  /**
   * Returns the complex type whose components are this type: float32 to complex64, float64 to
   * complex128; a complex type is returned as it is.
   *
   * @throws IllegalArgumentException for other types (Ember has no complex32)
   */
  public DType toComplex() {
    return switch (this) {
      case FLOAT32, COMPLEX64 -> COMPLEX64;
      case FLOAT64, COMPLEX128 -> COMPLEX128;
      default -> throw new IllegalArgumentException("dtype: no complex type has " + this + " components"
          + " (complex64 has float32, complex128 float64)");
    };
  }

  /** Returns whether this is a signed integer type. */
  public boolean isIntegral() {
    return kind == Kind.INTEGRAL;
  }

  /** Returns whether this is one of the 2-byte floating types, {@link #FLOAT16} or {@link #BFLOAT16}. */
  public boolean isHalf() {
    return this == FLOAT16 || this == BFLOAT16;
  }

  /** Returns PyTorch's name for this dtype, e.g. {@code "float32"}. */
  public String pytorchName() {
    return pytorchName;
  }

  /**
   * Returns the dtype PyTorch's type promotion gives for two operands of these types: the higher
   * category wins (bool &lt; integer &lt; floating); within a category the wider type wins, and
   * float16 with bfloat16 gives float32 (neither holds the other's values). With a complex operand
   * the result is complex, with components of the promotion of both component types (complex64
   * with float64 gives complex128, complex64 with int64 gives complex64).
   */
  public static DType promote(DType a, DType b) {
    if (a == b) {
      return a;
    }
    if (a.isComplex() || b.isComplex()) {
      DType parts = promote(a.toReal(), b.toReal());
      return (parts.isFloatingPoint() && !parts.isHalf() ? parts : FLOAT32).toComplex();
    }
    if (a.kind != b.kind) {
      return a.kind.ordinal() > b.kind.ordinal() ? a : b;
    }
    if (a.isHalf() && b.isHalf()) {
      return FLOAT32;
    }
    return a.byteSize >= b.byteSize ? a : b;
  }

  /**
   * Parses a PyTorch dtype name such as {@code "float64"}, {@code "long"}, {@code "half"}, {@code
   * "bfloat16"} or {@code "bool"} (also {@code "torch."}-prefixed, and safetensors codes like {@code
   * "F16"}).
   */
  public static DType parse(String name) {
    String n = name.startsWith("torch.") ? name.substring(6) : name;
    return switch (n) {
      case "float32", "float", "F32" -> FLOAT32;
      case "float64", "double", "F64" -> FLOAT64;
      case "int64", "long", "I64" -> INT64;
      case "int32", "int", "I32" -> INT32;
      case "bool", "BOOL" -> BOOL;
      case "float16", "half", "F16" -> FLOAT16;
      case "bfloat16", "BF16" -> BFLOAT16;
      case "complex64", "cfloat" -> COMPLEX64;
      case "complex128", "cdouble" -> COMPLEX128;
      default -> throw new IllegalArgumentException("dtype: unknown dtype '" + name + "'");
    };
  }

  @Override
  public String toString() {
    return pytorchName;
  }
}
