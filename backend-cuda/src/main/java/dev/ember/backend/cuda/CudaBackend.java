package dev.ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.kernels.ElementType;
import dev.ember.spi.Backend;
import dev.ember.spi.BackendException;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.ReduceOp;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import dev.ember.spi.UnaryOp;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;

/**
 * The {@link Backend} for one CUDA device, through the driver API on the device's primary context
 * (the one the CUDA runtime and cuBLAS share). Memory comes from a {@link CudaAllocator}, kernels
 * from the class-path PTX via {@link CudaKernels}, and matmul from cuBLAS when it loads, else from
 * the tiled GEMM kernel.
 *
 * <p>Every op makes the context current on the calling thread first, so any thread may call. All
 * work runs on the legacy default stream; copies to the host wait for it. Driver errors become a
 * {@link BackendException} naming the op, the CUDA error and the operands.
 */
public final class CudaBackend implements Backend {
  private final Device device;
  private final CUcontext context;
  private final String name;
  private final String arch;
  private final long totalMemory;
  private final CudaAllocator allocator = new CudaAllocator();
  private final CudaKernels kernels = new CudaKernels();
  private final HostTransfer transfer = new HostTransfer();
  private final Cublas cublas;
  private final String cublasUnavailable;

  /** Opens device {@code index}; the driver must be initialized ({@code cuInit}) already. */
  CudaBackend(int index) {
    this.device = Device.cuda(index);
    CUdevice dev = new CUdevice();
    cuDeviceGet(dev, index);
    byte[] buf = new byte[256];
    cuDeviceGetName(buf, buf.length, dev);
    int len = 0;
    while (len < buf.length && buf[len] != 0) {
      len++;
    }
    this.name = new String(buf, 0, len, StandardCharsets.US_ASCII);
    int[] major = new int[1];
    int[] minor = new int[1];
    cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
    cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
    this.arch = "sm_" + major[0] + minor[0];
    long[] total = new long[1];
    cuDeviceTotalMem(total, dev);
    this.totalMemory = total[0];
    this.context = new CUcontext();
    cuDevicePrimaryCtxRetain(context, dev);
    cuCtxSetCurrent(context);
    kernels.loadAll();
    Object c = Cublas.open();
    this.cublas = c instanceof Cublas cb ? cb : null;
    this.cublasUnavailable = c instanceof Cublas ? null : String.valueOf(c);
  }

  @Override
  public Device device() {
    return device;
  }

  /** Returns the device's name, e.g. {@code "NVIDIA H200"}. */
  public String deviceName() {
    return name;
  }

  /** Returns the device's architecture, e.g. {@code "sm_90"}. */
  public String arch() {
    return arch;
  }

  /** Returns the device's total memory in bytes. */
  public long totalMemory() {
    return totalMemory;
  }

  /** Returns which matmul path runs: cuBLAS with its version, or the GEMM kernel and why. */
  public String matmulPath() {
    return cublas != null
        ? "cuBLAS " + cublas.version()
        : "Ember tiled GEMM kernel (cuBLAS unavailable: " + cublasUnavailable + ")";
  }

  /** Returns the caching allocator's counters. */
  public MemoryStats memoryStats() {
    return allocator.stats();
  }

  /** Returns every cached, unused block to the driver. */
  public void emptyCache() {
    run("emptyCache", allocator::emptyCache);
  }

  /** Waits until all queued work on this device has finished. */
  public void synchronize() {
    run("synchronize", () -> cuCtxSynchronize());
  }

  @Override
  public Storage allocate(DType dtype, long numel) {
    if (numel < 0) {
      throw new IllegalArgumentException("allocate: negative element count " + numel);
    }
    CudaStorage[] out = new CudaStorage[1];
    run("allocate", () -> out[0] = new CudaStorage(allocator, dtype, numel), dtype, numel);
    return out[0];
  }

  @Override
  public void copyFromHost(ByteBuffer src, Storage dst) {
    CudaStorage s = storage("copyFromHost", dst);
    long bytes = s.byteSize();
    if (src.remaining() < bytes) {
      throw new IllegalArgumentException("copyFromHost: buffer has " + src.remaining()
          + " bytes left, storage of " + s.numel() + " " + s.dtype() + " needs " + bytes);
    }
    run("copyFromHost", () -> transfer.toDevice(src, s.pointer("copyFromHost"), bytes), dst);
  }

  @Override
  public void copyToHost(Storage src, ByteBuffer dst) {
    CudaStorage s = storage("copyToHost", src);
    long bytes = s.byteSize();
    if (dst.remaining() < bytes) {
      throw new IllegalArgumentException("copyToHost: buffer has " + dst.remaining()
          + " bytes left, storage of " + s.numel() + " " + s.dtype() + " needs " + bytes);
    }
    run("copyToHost", () -> transfer.toHost(s.pointer("copyToHost"), bytes, dst), src);
  }

  @Override
  public void copy(Strided src, Strided out) {
    CUdeviceptr ps = ptr("copy", src);
    CUdeviceptr po = ptr("copy", out);
    run("copy", () -> {
      if (src.dtype() == out.dtype() && src.isContiguous() && out.isContiguous()) {
        if (src.storage() == out.storage() && src.offset() == out.offset()) {
          return;
        }
        int size = out.dtype().byteSize();
        cuMemcpyDtoD(po.withByteOffset(out.offset() * size), ps.withByteOffset(src.offset() * size),
            out.numel() * size);
        return;
      }
      kernels.copy(type(src.dtype()), type(out.dtype()),
          Geometry.of("copy", out.shape(), out, src), ps, po);
    }, src, out);
  }

  @Override
  public void fill(Strided out, double value) {
    CUdeviceptr po = ptr("fill", out);
    run("fill", () -> kernels.fill(type(out.dtype()), Geometry.of("fill", out.shape(), out), value, po),
        out, value);
  }

  @Override
  public void unary(UnaryOp op, Strided x, Strided out) {
    String name = op.name().toLowerCase(Locale.ROOT);
    requireDType(name, out, op == UnaryOp.LOGICAL_NOT ? DType.BOOL : x.dtype());
    CUdeviceptr px = ptr(name, x);
    CUdeviceptr po = ptr(name, out);
    run(name, () -> kernels.unary(type(x.dtype()), op, Geometry.of(name, out.shape(), out, x), px, po),
        x, out);
  }

  @Override
  public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
    String name = op.name().toLowerCase(Locale.ROOT);
    requireDType(name, b, a.dtype());
    requireDType(name, out, op.isPredicate() ? DType.BOOL : a.dtype());
    CUdeviceptr pa = ptr(name, a);
    CUdeviceptr pb = ptr(name, b);
    CUdeviceptr po = ptr(name, out);
    run(name, () -> kernels.binary(type(a.dtype()), op,
        Geometry.of(name, out.shape(), out, a, b), pa, pb, po), a, b, out);
  }

  @Override
  public void where(Strided cond, Strided a, Strided b, Strided out) {
    requireDType("where", cond, DType.BOOL);
    requireDType("where", b, a.dtype());
    requireDType("where", out, a.dtype());
    CUdeviceptr pc = ptr("where", cond);
    CUdeviceptr pa = ptr("where", a);
    CUdeviceptr pb = ptr("where", b);
    CUdeviceptr po = ptr("where", out);
    run("where", () -> kernels.where(type(a.dtype()),
        Geometry.of("where", out.shape(), out, cond, a, b), pc, pa, pb, po), cond, a, b, out);
  }

  @Override
  public void reduce(ReduceOp op, Strided x, Strided out) {
    String name = op.name().toLowerCase(Locale.ROOT);
    boolean arg = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
    requireDType(name, out, arg ? DType.INT64 : x.dtype());
    int rank = x.rank();
    if (out.rank() != rank) {
      throw new IllegalArgumentException(name + ": output rank " + out.rank() + " != input rank " + rank);
    }
    // The inner walk covers the reduced dims (size 1 in out), the outer walk everything else.
    int[] inner = new int[rank];
    for (int d = 0; d < rank; d++) {
      inner[d] = out.shape()[d] == 1 ? x.shape()[d] : 1;
    }
    CUdeviceptr px = ptr(name, x);
    CUdeviceptr po = ptr(name, out);
    run(name, () -> {
      long[] outerG = Geometry.of(name, out.shape(), out, x);
      long[] innerG = Geometry.of(name, inner, new long[] {0}, new int[][] {x.strides()});
      kernels.reduce(type(x.dtype()), op, outerG, innerG, px, po);
    }, x, out);
  }

  @Override
  public void cumsum(Strided x, int dim, Strided out) {
    requireDType("cumsum", out, x.dtype());
    int[] lines = out.shape().clone();
    lines[dim] = 1;
    CUdeviceptr px = ptr("cumsum", x);
    CUdeviceptr po = ptr("cumsum", out);
    run("cumsum", () -> kernels.cumsum(type(x.dtype()), Geometry.of("cumsum", lines, out, x),
        out.shape()[dim], out.strides()[dim], x.strides()[dim], px, po), x, dim, out);
  }

  @Override
  public void matmul(Strided a, Strided b, Strided out) {
    requireDType("matmul", b, a.dtype());
    requireDType("matmul", out, a.dtype());
    if (!a.dtype().isFloatingPoint()) {
      throw new UnsupportedOperationException("matmul: dtype " + a.dtype() + " not supported on cuda");
    }
    int batch = out.shape()[0];
    int m = out.shape()[1];
    int n = out.shape()[2];
    int k = a.shape()[2];
    if (k == 0) {
      fill(out, 0.0);
      return;
    }
    ElementType t = type(a.dtype());
    CUdeviceptr pa = ptr("matmul", a);
    CUdeviceptr pb = ptr("matmul", b);
    CUdeviceptr pc = ptr("matmul", out);
    int[] sa = a.strides();
    int[] sb = b.strides();
    int[] sc = out.strides();
    run("matmul", () -> {
      if (batch == 0 || m == 0 || n == 0) {
        return;
      }
      boolean done = cublas != null && out.isContiguous()
          && cublas.gemm(t, m, n, k, batch, pa, a.offset(), sa[0], sa[1], sa[2],
              pb, b.offset(), sb[0], sb[1], sb[2], pc, out.offset());
      if (!done) {
        kernels.gemm(t, m, n, k, batch, pa, a.offset(), sa[0], sa[1], sa[2],
            pb, b.offset(), sb[0], sb[1], sb[2], pc, out.offset(), sc[0], sc[1], sc[2]);
      }
    }, a, b, out);
  }

  @Override
  public void gather(Strided x, int dim, Strided index, Strided out) {
    requireDType("gather", index, DType.INT64);
    requireDType("gather", out, x.dtype());
    int[] xs = x.strides().clone();
    xs[dim] = 0;  // the index supplies the position along dim
    CUdeviceptr px = ptr("gather", x);
    CUdeviceptr pi = ptr("gather", index);
    CUdeviceptr po = ptr("gather", out);
    run("gather", () -> kernels.gather(type(x.dtype()),
        Geometry.of("gather", out.shape(), new long[] {out.offset(), index.offset(), x.offset()},
            new int[][] {out.strides(), index.strides(), xs}),
        x.strides()[dim], px, pi, po), x, dim, index, out);
  }

  @Override
  public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
    requireDType("scatterAdd", index, DType.INT64);
    requireDType("scatterAdd", out, src.dtype());
    int[] os = out.strides().clone();
    os[dim] = 0;  // the index supplies the position along dim
    CUdeviceptr ps = ptr("scatterAdd", src);
    CUdeviceptr pi = ptr("scatterAdd", index);
    CUdeviceptr po = ptr("scatterAdd", out);
    run("scatterAdd", () -> kernels.scatterAdd(type(src.dtype()),
        Geometry.of("scatterAdd", src.shape(),
            new long[] {src.offset(), index.offset(), out.offset()},
            new int[][] {src.strides(), index.strides(), os}),
        out.strides()[dim], ps, pi, po), src, dim, index, out);
  }

  @Override
  public void uniform(long seed, long offset, Strided out) {
    if (!out.dtype().isFloatingPoint()) {
      throw new UnsupportedOperationException("uniform: dtype " + out.dtype() + " not supported");
    }
    CUdeviceptr po = ptr("uniform", out);
    run("uniform", () -> kernels.uniform(type(out.dtype()),
        Geometry.of("uniform", out.shape(), out), seed, offset, po), out);
  }

  @Override
  public boolean softmax(Strided x, boolean log, Strided out) {
    if (!x.dtype().isFloatingPoint() || out.dtype() != x.dtype() || x.rank() == 0
        || !x.isContiguous() || !out.isContiguous()) {
      return false;
    }
    long cols = x.shape()[x.rank() - 1];
    long rows = cols == 0 ? 0 : x.numel() / cols;
    CUdeviceptr px = ptr("softmax", x);
    CUdeviceptr po = ptr("softmax", out);
    int size = x.dtype().byteSize();
    run("softmax", () -> kernels.softmax(type(x.dtype()), rows, cols, log,
        px.withByteOffset(x.offset() * size), po.withByteOffset(out.offset() * size)), x, out);
    return true;
  }

  @Override
  public String toString() {
    return "CudaBackend[" + device + " " + name + " " + arch + "]";
  }

  /** Maps an Ember dtype to the kernels' element type. */
  static ElementType type(DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> ElementType.F32;
      case FLOAT64 -> ElementType.F64;
      case INT64 -> ElementType.I64;
      case INT32 -> ElementType.I32;
      case BOOL -> ElementType.B8;
      case FLOAT16 -> ElementType.F16;
      case BFLOAT16 -> ElementType.BF16;
      case COMPLEX64, COMPLEX128 -> throw new IllegalArgumentException("cuda: complex dtypes are lowered to"
          + " float32/float64 views in tensor-api and never reach a backend");
    };
  }

  private CudaStorage storage(String op, Storage s) {
    if (!(s instanceof CudaStorage cs) || cs.allocator() != allocator) {
      throw new IllegalArgumentException(op + ": storage " + s + " does not belong to " + device);
    }
    return cs;
  }

  private CUdeviceptr ptr(String op, Strided s) {
    return storage(op, s.storage()).pointer(op);
  }

  private static void requireDType(String op, Strided s, DType expected) {
    if (s.dtype() != expected) {
      throw new IllegalArgumentException(
          op + ": expected dtype " + expected + " but got " + s.dtype() + " for " + s);
    }
  }

  /**
   * Runs a body with the context current and queued frees drained; wraps driver errors with the op
   * name and the operands (formatted only on failure).
   */
  private void run(String op, Runnable body, Object... operands) {
    try {
      cuCtxSetCurrent(context);
      allocator.drainPending();
      body.run();
    } catch (CudaException e) {
      throw new BackendException(op + ": " + e.getMessage() + " on " + device + " ("
          + name + ") for " + Arrays.deepToString(operands), e);
    }
  }
}
