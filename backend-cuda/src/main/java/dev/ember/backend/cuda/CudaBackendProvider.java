package dev.ember.backend.cuda;

import dev.ember.spi.Backend;
import dev.ember.spi.BackendProvider;
import dev.ember.spi.BackendUnavailableException;
import dev.ember.spi.HalfWidening;

/**
 * Provides the {@code "cuda"} backend. Constructing it and {@link #deviceType()} touch no native
 * code; {@link #open} probes the driver once per JVM and fails with the reason when there is none.
 */
public final class CudaBackendProvider implements BackendProvider {
  /** Creates the provider; cheap, as {@link java.util.ServiceLoader} requires. */
  public CudaBackendProvider() {}

  @Override
  public String deviceType() {
    return "cuda";
  }

  @Override
  public Backend open(int index) throws BackendUnavailableException {
    return new HalfWidening(Cuda.backend(index));
  }
}
