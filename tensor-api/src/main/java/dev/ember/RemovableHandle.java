package dev.ember;

/**
 * Removes what a registration added, e.g. a gradient hook ({@link Tensor#registerHook}); PyTorch's
 * {@code torch.utils.hooks.RemovableHandle}. Removing twice is harmless; {@link #close()} removes,
 * so a hook can live for one try-with-resources block.
 */
@FunctionalInterface
public interface RemovableHandle extends AutoCloseable {
  /** Removes the registration; later calls do nothing. */
  void remove();

  /** Same as {@link #remove()}. */
  @Override
  default void close() {
    remove();
  }
}
