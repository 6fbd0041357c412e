package dev.ember.kernels;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A family of CUDA entry points, one per element type (two types for {@link #COPY}), and the PTX
 * module that holds it. Backends name kernels through this enum, never through string literals:
 * {@code Kernel.UNARY.entryPoint(ElementType.F32)} is {@code "unary_f32"}.
 *
 * <p>Argument lists are documented at each constant; every elementwise-style kernel takes a {@code
 * Geometry<N>} struct by value (see {@code ember.cuh}): {@code rank, numel, shape[8], offset[N],
 * strides[N][8]} as 64-bit integers.
 */
public enum Kernel {
  /** {@code unary_T(int op, Geometry<2> (out, x), T* x, void* out)}; out is bool for LOGICAL_NOT. */
  UNARY(KernelModule.ELEMENTWISE, "unary", all()),
  /** {@code binary_T(int op, Geometry<3> (out, a, b), T* a, T* b, void* out)}; bool out for predicates. */
  BINARY(KernelModule.ELEMENTWISE, "binary", all()),
  /** {@code fill_T(Geometry<1> (out), double value, T* out)}. */
  FILL(KernelModule.ELEMENTWISE, "fill", withHalf()),
  /** {@code where_T(Geometry<4> (out, cond, a, b), uint8* cond, T* a, T* b, T* out)}. */
  WHERE(KernelModule.ELEMENTWISE, "where", all()),
  /**
   * {@code copy_S_D(Geometry<2> (out, src), S* src, D* out)}, converting S to D; every pair,
   * float16 and bfloat16 included (through float32).
   */
  COPY(KernelModule.ELEMENTWISE, "copy", withHalf()),
  /**
   * {@code reduce_T(int op, Geometry<2> outer (out, x), Geometry<1> inner (x), T* x, void* out)};
   * one block per output, power-of-two blockDim up to 256; out is int64 for ARGMAX/ARGMIN.
   */
  REDUCE(KernelModule.REDUCE, "reduce", all()),
  /** {@code cumsum_T(Geometry<2> lines (out, x), i64 len, i64 outStride, i64 xStride, T* x, T* out)}. */
  CUMSUM(KernelModule.REDUCE, "cumsum", all()),
  /** {@code gather_T(Geometry<3> (out, index, x), i64 dimStride, T* x, i64* index, T* out)}. */
  GATHER(KernelModule.INDEX, "gather", all()),
  /** {@code scatter_add_T(Geometry<3> (src, index, out), i64 dimStride, T* src, i64* index, T* out)}. */
  SCATTER_ADD(KernelModule.INDEX, "scatter_add", all()),
  /** {@code uniform_T(Geometry<1> (out), u64 seed, u64 offset, T* out)}: Philox 4x32-10. */
  UNIFORM(KernelModule.RANDOM, "uniform", floats()),
  /**
   * {@code softmax_T(i64 rows, i64 cols, int log, T* x, T* out)} over contiguous rows; one block
   * per row, power-of-two blockDim up to 256.
   */
  SOFTMAX(KernelModule.SOFTMAX, "softmax", floats()),
  /**
   * {@code gemm_T(i64 M, N, K, batch, T* a, i64 aOff, aSb, aSm, aSk, T* b, i64 bOff, bSb, bSk, bSn,
   * T* c, i64 cOff, cSb, cSm, cSn)}; blocks of 16x16 threads, each block a 64x64 output tile.
   */
  GEMM(KernelModule.GEMM, "gemm", floats());

  /** The number of dims a {@code Geometry} holds; callers coalesce dims to fit. */
  public static final int MAX_DIMS = 8;

  /** The largest block size the reduce and softmax kernels accept (their shared arrays' length). */
  public static final int MAX_BLOCK_THREADS = 256;

  /** The output tile edge of one {@link #GEMM} block, in elements. */
  public static final int GEMM_TILE = 64;

  /** The thread-block edge of {@link #GEMM}: blocks are {@code GEMM_THREADS x GEMM_THREADS}. */
  public static final int GEMM_THREADS = 16;

  private final KernelModule module;
  private final String base;
  private final Set<ElementType> types;

  Kernel(KernelModule module, String base, Set<ElementType> types) {
    this.module = module;
    this.base = base;
    this.types = types;
  }

  /** The types with arithmetic kernels: every type but the storage-only 16-bit floats. */
  private static Set<ElementType> all() {
    return EnumSet.range(ElementType.F32, ElementType.B8);
  }

  private static Set<ElementType> withHalf() {
    return EnumSet.allOf(ElementType.class);
  }

  private static Set<ElementType> floats() {
    return EnumSet.of(ElementType.F32, ElementType.F64);
  }

  /** Returns the PTX module that defines this family. */
  public KernelModule module() {
    return module;
  }

  /** Returns whether an entry point exists for this element type. */
  public boolean supports(ElementType type) {
    return types.contains(type);
  }

  /**
   * Returns the entry point for one element type, e.g. {@code "reduce_f64"}.
   *
   * @throws IllegalArgumentException for {@link #COPY}, which needs two types, or a type the family
   *     has no entry point for
   */
  public String entryPoint(ElementType type) {
    if (this == COPY) {
      throw new IllegalArgumentException("kernels: copy needs a source and a target type");
    }
    if (!supports(type)) {
      throw new IllegalArgumentException("kernels: no " + base + " kernel for " + type.suffix());
    }
    return base + "_" + type.suffix();
  }

  /**
   * Returns the {@link #COPY} entry point converting {@code from} to {@code to}, e.g. {@code
   * "copy_f32_i64"}.
   *
   * @throws IllegalArgumentException if this is not {@link #COPY}
   */
  public String entryPoint(ElementType from, ElementType to) {
    if (this != COPY) {
      throw new IllegalArgumentException("kernels: " + base + " takes one element type");
    }
    return base + "_" + from.suffix() + "_" + to.suffix();
  }

  /** Returns every entry point of this family, in element-type order. */
  public List<String> entryPoints() {
    List<String> names = new ArrayList<>();
    for (ElementType t : types) {
      if (this == COPY) {
        for (ElementType to : types) {
          names.add(entryPoint(t, to));
        }
      } else {
        names.add(entryPoint(t));
      }
    }
    return List.copyOf(names);
  }
}
