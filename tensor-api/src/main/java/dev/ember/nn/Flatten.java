package dev.ember.nn;

import dev.ember.Tensor;

/**
 * Merges dims {@code startDim..endDim} into one, PyTorch's {@code nn.Flatten} (defaults 1 and -1:
 * [N, C, H, W] becomes [N, C*H*W]).
 */
public final class Flatten extends Module {
  private final int startDim;
  private final int endDim;

  /** Flattens every dim but the first. */
  public Flatten() {
    this(1, -1);
  }

  /** Flattens dims {@code startDim..endDim} (negative counts from the end). */
  public Flatten(int startDim, int endDim) {
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** Returns a view (or copy) with the dims merged. */
  @Override
  public Tensor forward(Tensor input) {
    return input.flatten(startDim, endDim);
  }

  @Override
  protected String extraRepr() {
    return "start_dim=" + startDim + ", end_dim=" + endDim;
  }

  /** Returns the first flattened dimension. */
  public int startDim() {
    return startDim;
  }

  /** Returns the last flattened dimension. */
  public int endDim() {
    return endDim;
  }
}
