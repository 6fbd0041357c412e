package dev.ember.backend.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import dev.ember.spi.BackendUnavailableException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.CudaException;
import jcuda.driver.JCudaDriver;

/**
 * Static entry points to the CUDA backend: what is there ({@link #info()}, {@link #deviceCount()})
 * and the caching allocator ({@link #memoryStats()}, {@link #emptyCache()}).
 *
 * <p>The driver is probed once per JVM. Without an NVIDIA driver, JCuda's native library fails to
 * link ({@code libcuda.so.1} is missing); that error is caught here and kept as the reason every
 * later call reports, since the JCuda class cannot be used again after its initializer failed.
 */
public final class Cuda {
  private static final Map<Integer, CudaBackend> OPENED = new ConcurrentHashMap<>();
  private static volatile Probe probe;

  private Cuda() {}

  /** The outcome of initializing the driver: a device count and version, or why it failed. */
  private record Probe(int deviceCount, int driverVersion, String failure) {}

  /**
   * Returns a one-line description: driver version, each opened or openable device's name and
   * architecture, and which matmul path runs (cuBLAS, or the GEMM kernel and why); or why CUDA is
   * unavailable. Opens {@code cuda:0} if it is not open yet.
   */
  public static String info() {
    Probe p = probe();
    if (p.failure() != null) {
      return "CUDA unavailable: " + p.failure();
    }
    StringBuilder sb = new StringBuilder("CUDA driver ")
        .append(p.driverVersion() / 1000).append('.').append(p.driverVersion() % 1000 / 10)
        .append(", ").append(p.deviceCount()).append(" device(s)");
    try {
      CudaBackend b = backend(0);
      sb.append("; cuda:0 ").append(b.deviceName()).append(" (").append(b.arch()).append(", ")
          .append(b.totalMemory() >> 20).append(" MiB); matmul: ").append(b.matmulPath());
    } catch (BackendUnavailableException e) {
      sb.append("; cuda:0 failed to open: ").append(e.getMessage());
    }
    return sb.toString();
  }

  /** Returns the number of CUDA devices, or 0 when the driver is missing or fails. */
  public static int deviceCount() {
    return probe().deviceCount();
  }

  /** Returns whether the driver loads and reports at least one device. */
  public static boolean isAvailable() {
    Probe p = probe();
    return p.failure() == null && p.deviceCount() > 0;
  }

  /**
   * Returns the caching allocator's counters for {@code cuda:0}.
   *
   * @throws IllegalStateException if {@code cuda:0} has not been opened
   */
  public static MemoryStats memoryStats() {
    return memoryStats(0);
  }

  /**
   * Returns the caching allocator's counters for device {@code index}.
   *
   * @throws IllegalStateException if the device has not been opened
   */
  public static MemoryStats memoryStats(int index) {
    CudaBackend b = OPENED.get(index);
    if (b == null) {
      throw new IllegalStateException("memoryStats: cuda:" + index + " is not open");
    }
    return b.memoryStats();
  }

  /** Returns the cached, unused blocks of every opened device to the driver. */
  public static void emptyCache() {
    for (CudaBackend b : OPENED.values()) {
      b.emptyCache();
    }
  }

  /**
   * Returns the backend for device {@code index}, opening it once.
   *
   * @throws BackendUnavailableException saying why: no driver, no such device, or the context or
   *     kernels failed to load
   */
  static CudaBackend backend(int index) throws BackendUnavailableException {
    Probe p = probe();
    if (p.failure() != null) {
      throw new BackendUnavailableException(p.failure());
    }
    if (index < 0 || index >= p.deviceCount()) {
      throw new BackendUnavailableException(
          "no CUDA device " + index + " (the driver reports " + p.deviceCount() + ")");
    }
    CudaBackend b = OPENED.get(index);
    if (b != null) {
      return b;
    }
    synchronized (Cuda.class) {
      b = OPENED.get(index);
      if (b == null) {
        try {
          b = new CudaBackend(index);
        } catch (CudaException e) {
          throw new BackendUnavailableException("cuda:" + index + " failed to open: " + e.getMessage(), e);
        } catch (LinkageError | IllegalStateException e) {
          throw new BackendUnavailableException("cuda:" + index + " failed to open: " + e, e);
        }
        OPENED.put(index, b);
      }
      return b;
    }
  }

  private static Probe probe() {
    Probe p = probe;
    if (p == null) {
      synchronized (Cuda.class) {
        p = probe;
        if (p == null) {
          p = runProbe();
          probe = p;
        }
      }
    }
    return p;
  }

  private static Probe runProbe() {
    try {
      JCudaDriver.setExceptionsEnabled(true);
      cuInit(0);
      int[] count = new int[1];
      cuDeviceGetCount(count);
      int[] version = new int[1];
      cuDriverGetVersion(version);
      if (count[0] == 0) {
        return new Probe(0, version[0], "the CUDA driver loaded but reports no device");
      }
      return new Probe(count[0], version[0], null);
    } catch (CudaException e) {
      return new Probe(0, 0, "cuInit failed: " + e.getMessage());
    } catch (LinkageError e) {
      return new Probe(0, 0, "the CUDA driver API could not be loaded (is an NVIDIA driver "
          + "installed?): " + Natives.reason(e));
    }
  }
}
