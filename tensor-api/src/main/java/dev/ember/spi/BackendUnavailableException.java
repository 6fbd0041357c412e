package dev.ember.spi;

/** Thrown when a backend cannot be opened; the message says why (no driver, no device, ...). */
public class BackendUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with the reason. */
  public BackendUnavailableException(String reason) {
    super(reason);
  }

  /** Creates the exception with the reason and its cause. */
  public BackendUnavailableException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
