package dev.ember.distributed;

/** A failure of the distributed runtime: MPI missing or failing, a timeout, a misuse. */
public class DistributedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates one with {@code message}, which names the operation and the rank. */
  public DistributedException(String message) {
    super(message);
  }

  /** Creates one with {@code message} and its {@code cause}. */
  public DistributedException(String message, Throwable cause) {
    super(message, cause);
  }
}
