package dev.ember.distributed;

/**
 * The handle of a collective started asynchronously ({@code torch.distributed.Work}): the
 * operation runs while the caller computes; {@link #waitFor()} blocks until it finished and its
 * result is in the tensors it was given.
 */
public interface Work {
  /**
   * Blocks until the operation completed and its output tensors hold the result; idempotent.
   *
   * @throws DistributedException if it did not complete within the process group's timeout (the
   *     job is then aborted, since another rank failed or never joined)
   */
  void waitFor();

  /** Returns whether the operation completed (driving MPI's progress once); never blocks. */
  boolean isCompleted();
}
