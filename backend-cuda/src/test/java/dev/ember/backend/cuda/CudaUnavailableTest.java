package dev.ember.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.ember.spi.BackendProvider;
import dev.ember.spi.BackendUnavailableException;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Runs everywhere: discovery, and a clean failure (no JVM crash) where there is no GPU. */
class CudaUnavailableTest {

  @Test
  void serviceLoaderFindsTheProviderWithoutTouchingNativeCode() {
    boolean found = false;
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      if (p instanceof CudaBackendProvider) {
        assertEquals("cuda", p.deviceType());
        found = true;
      }
    }
    assertTrue(found, "CudaBackendProvider is not listed in META-INF/services");
  }

  @Test
  void openWithoutDriverThrowsBackendUnavailableWithAReason() {
    assumeFalse(Cuda.isAvailable(), () -> "a CUDA device is present: " + Cuda.info());
    var provider = new CudaBackendProvider();
    var e = assertThrows(BackendUnavailableException.class, () -> provider.open(0));
    System.out.println("cuda open(0) said: " + e.getMessage());
    assertFalse(e.getMessage().isBlank());
    assertTrue(e.getMessage().contains("cuInit failed") || e.getMessage().contains("libcuda.so.1")
        || e.getMessage().contains("no device"), e.getMessage());
    // A second open reports the same cached reason instead of a NoClassDefFoundError.
    var again = assertThrows(BackendUnavailableException.class, () -> provider.open(1));
    assertEquals(e.getMessage(), again.getMessage());
    assertEquals(0, Cuda.deviceCount());
    assertTrue(Cuda.info().startsWith("CUDA unavailable: "), Cuda.info());
    System.out.println("Cuda.info(): " + Cuda.info());
    assertThrows(IllegalStateException.class, Cuda::memoryStats);
    Cuda.emptyCache();  // nothing open: a no-op, not a crash
  }

  @Test
  void negativeIndexIsUnavailableNotACrash() {
    var e = assertThrows(BackendUnavailableException.class, () -> new CudaBackendProvider().open(-1));
    assertFalse(e.getMessage().isBlank());
  }
}
