package dev.ember.distributed;

/**
 * How a reducing collective combines the ranks' values ({@code torch.distributed.ReduceOp}).
 *
 * <p>On {@code bool} tensors {@link #SUM} and {@link #MAX} are a logical or, {@link #PRODUCT} and
 * {@link #MIN} a logical and; {@link #AVG} needs a floating-point dtype (as in PyTorch).
 */
public enum ReduceOp {
  /** The sum over ranks. */
  SUM,
  /** The sum over ranks divided by the world size; floating-point dtypes only. */
  AVG,
  /** The element-wise maximum over ranks. */
  MAX,
  /** The element-wise minimum over ranks. */
  MIN,
  /** The product over ranks. */
  PRODUCT
}
