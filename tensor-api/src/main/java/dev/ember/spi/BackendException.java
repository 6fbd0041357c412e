package dev.ember.spi;

/** Thrown when a backend's device or driver fails during an op; the message names the op. */
public class BackendException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that starts with the op's name. */
  public BackendException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Creates the exception with a message that starts with the op's name. */
  public BackendException(String message) {
    super(message);
  }
}
