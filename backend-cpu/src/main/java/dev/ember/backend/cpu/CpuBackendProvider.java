package dev.ember.backend.cpu;

import dev.ember.spi.Backend;
import dev.ember.spi.BackendProvider;
import dev.ember.spi.BackendUnavailableException;

/** Provides the CPU backend; registered for {@link java.util.ServiceLoader}. */
public final class CpuBackendProvider implements BackendProvider {
  private static final class Holder {
    static final CpuBackend BACKEND = new CpuBackend();
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
    try {
      org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas.class);
    } catch (LinkageError e) {
      throw new BackendUnavailableException("cannot load OpenBLAS natives: " + e, e);
    }
    return Holder.BACKEND;
  }
}
