package dev.ember.backend.cuda;

import static jcuda.jcublas.JCublas2.cublasCreate;
import static jcuda.jcublas.JCublas2.cublasDgemmStridedBatched;
import static jcuda.jcublas.JCublas2.cublasGetVersion;
import static jcuda.jcublas.JCublas2.cublasSgemmStridedBatched;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_N;
import static jcuda.jcublas.cublasOperation.CUBLAS_OP_T;

import dev.ember.kernels.ElementType;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

/**
 * The optional cuBLAS matmul path. JCublas 12.6 links {@code libcublas.so.12}; where that library
 * is missing (a CUDA 13 machine, say) {@link #open} fails and the backend uses its own tiled GEMM
 * kernel. Operands whose strides cuBLAS cannot express also take the kernel.
 */
final class Cublas {
  /** Why JCublas2 failed to link, kept so its broken class is never touched again. */
  private static volatile String linkFailure;

  private final cublasHandle handle;
  private final String version;

  private Cublas(cublasHandle handle, String version) {
    this.handle = handle;
    this.version = version;
  }

  /**
   * Creates a handle on the current context, or returns why cuBLAS is unusable. Any linkage error
   * is caught here, once: JCublas2 must not be touched again after its class failed to initialize.
   */
  static Object open() {
    if (Boolean.getBoolean("ember.cuda.disableCublas")) {
      return "disabled by -Dember.cuda.disableCublas=true";
    }
    if (linkFailure != null) {
      return linkFailure;
    }
    try {
      JCublas2.setExceptionsEnabled(true);
      cublasHandle h = new cublasHandle();
      cublasCreate(h);
      int[] v = new int[1];
      cublasGetVersion(h, v);
      return new Cublas(h, (v[0] / 10000) + "." + (v[0] / 100 % 100) + "." + (v[0] % 100));
    } catch (LinkageError e) {
      linkFailure = Natives.reason(e);
      return linkFailure;
    } catch (RuntimeException e) {
      return e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
    }
  }

  /** Returns cuBLAS's version, e.g. {@code "12.6.4"}. */
  String version() {
    return version;
  }

  /**
   * Computes {@code c[z] = a[z] @ b[z]} for row-major [M, K] @ [K, N] into a contiguous c, if a's
   * and b's strides have a unit dim cuBLAS can use; returns false (doing nothing) otherwise.
   */
  boolean gemm(ElementType t, int m, int n, int k, int batch,
      CUdeviceptr a, long aOff, long aSb, long aSm, long aSk,
      CUdeviceptr b, long bOff, long bSb, long bSk, long bSn,
      CUdeviceptr c, long cOff) {
    int[] la = layout(m, k, aSm, aSk);
    int[] lb = layout(k, n, bSk, bSn);
    if (la == null || lb == null) {
      return false;
    }
    int size = t.byteSize();
    Pointer pa = a.withByteOffset(aOff * size);
    Pointer pb = b.withByteOffset(bOff * size);
    Pointer pc = c.withByteOffset(cOff * size);
    // cuBLAS is column-major, and a row-major matrix read column-major is its transpose: so
    // row-major C = A B is computed as column-major C^T = B^T A^T, with the operands swapped.
    if (t == ElementType.F32) {
      cublasSgemmStridedBatched(handle, lb[0], la[0], n, m, k,
          Pointer.to(new float[] {1f}), pb, lb[1], bSb, pa, la[1], aSb,
          Pointer.to(new float[] {0f}), pc, n, (long) m * n, batch);
    } else {
      cublasDgemmStridedBatched(handle, lb[0], la[0], n, m, k,
          Pointer.to(new double[] {1.0}), pb, lb[1], bSb, pa, la[1], aSb,
          Pointer.to(new double[] {0.0}), pc, n, (long) m * n, batch);
    }
    return true;
  }

  /**
   * Returns {op, ld} for a row-major [rows, cols] operand with the given strides as seen by
   * column-major cuBLAS after the swap above, or null if neither dim is unit-stride.
   */
  private static int[] layout(int rows, int cols, long sRow, long sCol) {
    if ((cols == 1 || sCol == 1) && (rows == 1 || sRow >= Math.max(1, cols))) {
      long ld = rows == 1 ? Math.max(1, cols) : sRow;
      return ld <= Integer.MAX_VALUE ? new int[] {CUBLAS_OP_N, (int) ld} : null;
    }
    if ((rows == 1 || sRow == 1) && (cols == 1 || sCol >= Math.max(1, rows))) {
      long ld = cols == 1 ? Math.max(1, rows) : sCol;
      return ld <= Integer.MAX_VALUE ? new int[] {CUBLAS_OP_T, (int) ld} : null;
    }
    return null;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
