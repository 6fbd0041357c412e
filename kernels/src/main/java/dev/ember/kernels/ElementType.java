package dev.ember.kernels;

/**
 * The element types the kernels are instantiated for, with the suffix each entry point carries
 * ({@code unary_f32}, {@code copy_i64_b8}). Bool is one byte holding 0 or 1. float16 and bfloat16
 * are storage only: {@link Kernel#COPY} and {@link Kernel#FILL} take them, and backends compute
 * on them in float32.
 */
public enum ElementType {
  /** 32-bit float, suffix {@code f32}. */
  F32("f32", 4),
  /** 64-bit float, suffix {@code f64}. */
  F64("f64", 8),
  /** 64-bit signed integer, suffix {@code i64}. */
  I64("i64", 8),
  /** 32-bit signed integer, suffix {@code i32}. */
  I32("i32", 4),
  /** Bool as one byte, suffix {@code b8}. */
  B8("b8", 1),
  /** float16 bit patterns, suffix {@code f16}: storage only, with copy and fill kernels. */
  F16("f16", 2),
  /** bfloat16 bit patterns, suffix {@code bf16}: storage only, with copy and fill kernels. */
  BF16("bf16", 2);

  private final String suffix;
  private final int byteSize;

  ElementType(String suffix, int byteSize) {
    this.suffix = suffix;
    this.byteSize = byteSize;
  }

  /** Returns the suffix of entry points instantiated for this type, e.g. {@code "f32"}. */
  public String suffix() {
    return suffix;
  }

  /** Returns the size of one element in bytes. */
  public int byteSize() {
    return byteSize;
  }

  /** Returns whether this is a floating-point type. */
  public boolean isFloatingPoint() {
    return this == F32 || this == F64 || this == F16 || this == BF16;
  }

  /** Returns whether this is a storage-only 16-bit float, which only copy and fill kernels take. */
  public boolean isHalf() {
    return this == F16 || this == BF16;
  }
}
