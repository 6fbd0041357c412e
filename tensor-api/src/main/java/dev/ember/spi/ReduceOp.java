package dev.ember.spi;

/** Reductions a backend computes over the dimensions an output marks with size 1. */
public enum ReduceOp {
  /** Sum; bool and integer inputs sum in int64 (Dispatch casts first). */
  SUM,
  /** Product. */
  PROD,
  /** Maximum, propagating NaN. */
  MAX,
  /** Minimum, propagating NaN. */
  MIN,
  /** Index (int64) of the first maximum along the one reduced dim. */
  ARGMAX,
  /** Index (int64) of the first minimum along the one reduced dim. */
  ARGMIN
}
