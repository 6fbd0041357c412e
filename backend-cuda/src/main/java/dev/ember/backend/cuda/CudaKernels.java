package dev.ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import dev.ember.kernels.ElementType;
import dev.ember.kernels.Kernel;
import dev.ember.kernels.KernelModule;
import dev.ember.kernels.OpCodes;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.ReduceOp;
import dev.ember.spi.UnaryOp;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * Typed launchers for Ember's PTX kernels on one context. This is the only class that packs kernel
 * arguments as pointers to pointers; each method documents nothing beyond {@link Kernel}'s
 * signature, which it mirrors. PTX modules are loaded (and JIT-compiled by the driver) on first
 * use. Every method needs the context current and launches on the legacy default stream.
 */
final class CudaKernels {
  private static final int THREADS = 256;
  private static final int MAX_GRID = 65535 * 32;

  private final Map<KernelModule, CUmodule> modules = new EnumMap<>(KernelModule.class);
  private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

  void unary(ElementType t, UnaryOp op, long[] g, CUdeviceptr x, CUdeviceptr out) {
    launch1d(fn(Kernel.UNARY, Kernel.UNARY.entryPoint(t)), g[1],
        ints(code(op)), Pointer.to(g), Pointer.to(x), Pointer.to(out));
  }

  void binary(ElementType t, BinaryOp op, long[] g, CUdeviceptr a, CUdeviceptr b, CUdeviceptr out) {
    launch1d(fn(Kernel.BINARY, Kernel.BINARY.entryPoint(t)), g[1],
        ints(code(op)), Pointer.to(g), Pointer.to(a), Pointer.to(b), Pointer.to(out));
  }

  void fill(ElementType t, long[] g, double value, CUdeviceptr out) {
    launch1d(fn(Kernel.FILL, Kernel.FILL.entryPoint(t)), g[1],
        Pointer.to(g), Pointer.to(new double[] {value}), Pointer.to(out));
  }

  void where(ElementType t, long[] g, CUdeviceptr cond, CUdeviceptr a, CUdeviceptr b, CUdeviceptr out) {
    launch1d(fn(Kernel.WHERE, Kernel.WHERE.entryPoint(t)), g[1],
        Pointer.to(g), Pointer.to(cond), Pointer.to(a), Pointer.to(b), Pointer.to(out));
  }

  void copy(ElementType from, ElementType to, long[] g, CUdeviceptr src, CUdeviceptr out) {
    launch1d(fn(Kernel.COPY, Kernel.COPY.entryPoint(from, to)), g[1],
        Pointer.to(g), Pointer.to(src), Pointer.to(out));
  }

  void reduce(ElementType t, ReduceOp op, long[] outer, long[] inner, CUdeviceptr x, CUdeviceptr out) {
    int threads = blockFor(Geometry.numel(inner));
    int blocks = (int) Math.min(Geometry.numel(outer), MAX_GRID);
    launch(fn(Kernel.REDUCE, Kernel.REDUCE.entryPoint(t)), blocks, 1, 1, threads, 1,
        ints(code(op)), Pointer.to(outer), Pointer.to(inner), Pointer.to(x), Pointer.to(out));
  }

  void cumsum(ElementType t, long[] lines, long len, long outStride, long xStride,
      CUdeviceptr x, CUdeviceptr out) {
    launch1d(fn(Kernel.CUMSUM, Kernel.CUMSUM.entryPoint(t)), lines[1],
        Pointer.to(lines), longs(len), longs(outStride), longs(xStride), Pointer.to(x), Pointer.to(out));
  }

  void gather(ElementType t, long[] g, long dimStride, CUdeviceptr x, CUdeviceptr index, CUdeviceptr out) {
    launch1d(fn(Kernel.GATHER, Kernel.GATHER.entryPoint(t)), g[1],
        Pointer.to(g), longs(dimStride), Pointer.to(x), Pointer.to(index), Pointer.to(out));
  }

  void scatterAdd(ElementType t, long[] g, long dimStride, CUdeviceptr src, CUdeviceptr index,
      CUdeviceptr out) {
    launch1d(fn(Kernel.SCATTER_ADD, Kernel.SCATTER_ADD.entryPoint(t)), g[1],
        Pointer.to(g), longs(dimStride), Pointer.to(src), Pointer.to(index), Pointer.to(out));
  }

  void uniform(ElementType t, long[] g, long seed, long offset, CUdeviceptr out) {
    launch1d(fn(Kernel.UNIFORM, Kernel.UNIFORM.entryPoint(t)), g[1],
        Pointer.to(g), longs(seed), longs(offset), Pointer.to(out));
  }

  void softmax(ElementType t, long rows, long cols, boolean log, CUdeviceptr x, CUdeviceptr out) {
    int blocks = (int) Math.min(rows, MAX_GRID);
    launch(fn(Kernel.SOFTMAX, Kernel.SOFTMAX.entryPoint(t)), blocks, 1, 1, blockFor(cols), 1,
        longs(rows), longs(cols), ints(log ? 1 : 0), Pointer.to(x), Pointer.to(out));
  }

  /**
   * Launches the tiled GEMM; each operand is (pointer, offset, batch stride, row stride, col
   * stride) in elements, c = a @ b for [M, K] @ [K, N] per batch.
   */
  void gemm(ElementType t, int m, int n, int k, int batch,
      CUdeviceptr a, long aOff, long aSb, long aSm, long aSk,
      CUdeviceptr b, long bOff, long bSb, long bSk, long bSn,
      CUdeviceptr c, long cOff, long cSb, long cSm, long cSn) {
    int tile = Kernel.GEMM_TILE;
    int gx = (n + tile - 1) / tile;
    int gy = (m + tile - 1) / tile;
    if (gy > 65535) {
      throw new UnsupportedOperationException("matmul: " + m + " rows exceed the GEMM kernel's grid");
    }
    launch(fn(Kernel.GEMM, Kernel.GEMM.entryPoint(t)), gx, gy, Math.min(batch, 65535),
        Kernel.GEMM_THREADS, Kernel.GEMM_THREADS,
        longs(m), longs(n), longs(k), longs(batch),
        Pointer.to(a), longs(aOff), longs(aSb), longs(aSm), longs(aSk),
        Pointer.to(b), longs(bOff), longs(bSb), longs(bSk), longs(bSn),
        Pointer.to(c), longs(cOff), longs(cSb), longs(cSm), longs(cSn));
  }

  /** Loads every PTX module now, so that a JIT failure shows when the backend opens. */
  void loadAll() {
    for (KernelModule m : KernelModule.values()) {
      module(m);
    }
  }

  private void launch1d(CUfunction f, long n, Pointer... args) {
    if (n <= 0) {
      return;
    }
    int blocks = (int) Math.min((n + THREADS - 1) / THREADS, MAX_GRID);
    launch(f, blocks, 1, 1, THREADS, 1, args);
  }

  private static void launch(CUfunction f, int gx, int gy, int gz, int bx, int by, Pointer... args) {
    if (gx <= 0 || gy <= 0 || gz <= 0) {
      return;  // nothing to compute; a zero-sized grid is a launch error
    }
    cuLaunchKernel(f, gx, gy, gz, bx, by, 1, 0, null, Pointer.to(args), null);
  }

  /** Returns the smallest power of two from 32 to 256 threads that covers {@code n} elements. */
  private static int blockFor(long n) {
    int t = 32;
    while (t < Kernel.MAX_BLOCK_THREADS && t < n) {
      t *= 2;
    }
    return t;
  }

  private CUfunction fn(Kernel kernel, String entry) {
    CUfunction f = functions.get(entry);
    if (f == null) {
      f = new CUfunction();
      cuModuleGetFunction(f, module(kernel.module()), entry);
      functions.put(entry, f);
    }
    return f;
  }

  private synchronized CUmodule module(KernelModule m) {
    CUmodule mod = modules.get(m);
    if (mod == null) {
      mod = new CUmodule();
      cuModuleLoadData(mod, m.image());
      modules.put(m, mod);
    }
    return mod;
  }

  private static Pointer ints(int v) {
    return Pointer.to(new int[] {v});
  }

  private static Pointer longs(long v) {
    return Pointer.to(new long[] {v});
  }

  static int code(UnaryOp op) {
    return switch (op) {
      case NEG -> OpCodes.UNARY_NEG;
      case ABS -> OpCodes.UNARY_ABS;
      case SIGN -> OpCodes.UNARY_SIGN;
      case EXP -> OpCodes.UNARY_EXP;
      case EXPM1 -> OpCodes.UNARY_EXPM1;
      case LOG -> OpCodes.UNARY_LOG;
      case LOG1P -> OpCodes.UNARY_LOG1P;
      case SQRT -> OpCodes.UNARY_SQRT;
      case RSQRT -> OpCodes.UNARY_RSQRT;
      case RECIPROCAL -> OpCodes.UNARY_RECIPROCAL;
      case SIN -> OpCodes.UNARY_SIN;
      case COS -> OpCodes.UNARY_COS;
      case TANH -> OpCodes.UNARY_TANH;
      case SIGMOID -> OpCodes.UNARY_SIGMOID;
      case RELU -> OpCodes.UNARY_RELU;
      case ERF -> OpCodes.UNARY_ERF;
      case FLOOR -> OpCodes.UNARY_FLOOR;
      case CEIL -> OpCodes.UNARY_CEIL;
      case ROUND -> OpCodes.UNARY_ROUND;
      case LOGICAL_NOT -> OpCodes.UNARY_LOGICAL_NOT;
      case GELU -> OpCodes.UNARY_GELU;
      case GELU_GRAD -> OpCodes.UNARY_GELU_GRAD;
      case GELU_TANH -> OpCodes.UNARY_GELU_TANH;
      case GELU_TANH_GRAD -> OpCodes.UNARY_GELU_TANH_GRAD;
    };
  }

  static int code(BinaryOp op) {
    return switch (op) {
      case ADD -> OpCodes.BINARY_ADD;
      case SUB -> OpCodes.BINARY_SUB;
      case MUL -> OpCodes.BINARY_MUL;
      case DIV -> OpCodes.BINARY_DIV;
      case POW -> OpCodes.BINARY_POW;
      case MAXIMUM -> OpCodes.BINARY_MAXIMUM;
      case MINIMUM -> OpCodes.BINARY_MINIMUM;
      case FMOD -> OpCodes.BINARY_FMOD;
      case EQ -> OpCodes.BINARY_EQ;
      case NE -> OpCodes.BINARY_NE;
      case LT -> OpCodes.BINARY_LT;
      case LE -> OpCodes.BINARY_LE;
      case GT -> OpCodes.BINARY_GT;
      case GE -> OpCodes.BINARY_GE;
      case LOGICAL_AND -> OpCodes.BINARY_LOGICAL_AND;
      case LOGICAL_OR -> OpCodes.BINARY_LOGICAL_OR;
      case LOGICAL_XOR -> OpCodes.BINARY_LOGICAL_XOR;
    };
  }

  static int code(ReduceOp op) {
    return switch (op) {
      case SUM -> OpCodes.REDUCE_SUM;
      case PROD -> OpCodes.REDUCE_PROD;
      case MAX -> OpCodes.REDUCE_MAX;
      case MIN -> OpCodes.REDUCE_MIN;
      case ARGMAX -> OpCodes.REDUCE_ARGMAX;
      case ARGMIN -> OpCodes.REDUCE_ARGMIN;
    };
  }
}
