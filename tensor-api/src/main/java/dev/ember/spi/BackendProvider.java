package dev.ember.spi;

/**
 * Finds a backend at run time. Listed in {@code META-INF/services/dev.ember.spi.BackendProvider}
 * and loaded with {@link java.util.ServiceLoader}.
 *
 * <p>Constructing a provider and calling {@link #deviceType()} must be cheap and must never touch
 * native code or throw: only {@link #open} may fail.
 */
public interface BackendProvider {
  /** Returns the device type served, e.g. {@code "cpu"} or {@code "cuda"}. */
  String deviceType();

  /**
   * Opens the backend for device {@code index} of this type.
   *
   * @throws BackendUnavailableException saying why (no driver, no device, missing natives)
   */
  Backend open(int index) throws BackendUnavailableException;
}
