package dev.ember.backend.cpu;

import dev.ember.spi.Backend;
import dev.ember.spi.BackendProvider;
import dev.ember.spi.BackendUnavailableException;
import dev.ember.spi.HalfWidening;

/** Provides the CPU backend; registered for {@link java.util.ServiceLoader}. */
public final class CpuBackendProvider implements BackendProvider {
  private static final class Holder {
    /** float16 and bfloat16 compute in float32 on {@link CpuBackend}'s kernels ({@link HalfWidening}). */
    static final Backend BACKEND = new HalfWidening(new CpuBackend());
  }

  @Override
  public String deviceType() {
    return "cpu";
  }

  @Override
  public Backend open(int index) throws BackendUnavailableException {
    if (index != 0) {
      throw new BackendUnavailableException("the CPU has only device index 0, not " + index);
    }
    OpenMpEnvironment.ensurePassive(); // before the first native library that may bring libgomp
    try {
      org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas.class);
    } catch (LinkageError e) {
      throw new BackendUnavailableException("cannot load OpenBLAS natives: " + e, e);
    }
    return Holder.BACKEND;
  }
}
