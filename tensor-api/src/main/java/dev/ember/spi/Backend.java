package dev.ember.spi;

import dev.ember.DType;
import dev.ember.Device;
import java.nio.ByteBuffer;

/**
 * The kernels a device provides. Deliberately small: every Tensor op and every backward formula in
 * tensor-api is composed from these, so a new backend gets the whole API and autograd for free.
 *
 * <p>When a method is called, shapes are already checked and broadcast (broadcast dims have stride
 * 0), dtypes are already promoted and every operand lives on this backend. Each method writes its
 * result into {@code out}, which is never a broadcast view and never overlaps an input unless it is
 * that very input (elementwise in-place ops).
 */
public interface Backend {
  /** Returns the device this backend computes on. */
  Device device();

  /** Allocates uninitialized storage for {@code numel} elements of {@code dtype}. */
  Storage allocate(DType dtype, long numel);

  /**
   * Copies {@code dst.numel()} elements from host memory (little-endian, {@code dtype}'s layout) into
   * {@code dst}, starting at its element 0.
   */
  void copyFromHost(ByteBuffer src, Storage dst);

  /** Copies the whole of {@code src} to host memory, little-endian, from the buffer's position. */
  void copyToHost(Storage src, ByteBuffer dst);

  /** Copies {@code src} into {@code out} elementwise, converting dtype where they differ. */
  void copy(Strided src, Strided out);

  /** Sets every element of {@code out} to {@code value}, converted to its dtype. */
  void fill(Strided out, double value);

  /** Computes {@code out = op(x)} elementwise. */
  void unary(UnaryOp op, Strided x, Strided out);

  /** Computes {@code out = op(a, b)} elementwise; {@code a}, {@code b} have {@code out}'s shape. */
  void binary(BinaryOp op, Strided a, Strided b, Strided out);

  /** Computes {@code out = cond ? a : b} elementwise; {@code cond} is bool. */
  void where(Strided cond, Strided a, Strided b, Strided out);

  /**
   * Reduces {@code x} into {@code out}, which has {@code x}'s rank with size 1 on every reduced dim.
   * For ARGMAX and ARGMIN exactly one dim is reduced and {@code out} is int64.
   */
  void reduce(ReduceOp op, Strided x, Strided out);

  /** Computes the inclusive cumulative sum of {@code x} along {@code dim} into {@code out}. */
  void cumsum(Strided x, int dim, Strided out);

  /**
   * Computes batched matrix products {@code out[b] = a[b] @ b[b]}: {@code a} is [B, M, K], {@code b}
   * is [B, K, N], {@code out} is [B, M, N] and contiguous; any of a's or b's strides may be 0.
   */
  void matmul(Strided a, Strided b, Strided out);

  /**
   * Gathers along {@code dim}: {@code out[i][j][k] = x[i][index[i][j][k]][k]} for dim 1; {@code
   * index} is int64 with {@code out}'s shape, and every index is already checked to be in range.
   */
  void gather(Strided x, int dim, Strided index, Strided out);

  /**
   * Scatters and adds along {@code dim}: {@code out[i][index[i][j][k]][k] += src[i][j][k]} for dim 1;
   * {@code index} is int64 with {@code src}'s shape, every index already checked.
   */
  void scatterAdd(Strided src, int dim, Strided index, Strided out);

  /**
   * Fills {@code out} (floating) with uniform numbers in [0, 1) from the Philox 4x32-10 generator,
   * element {@code i} of the row-major order using counter {@code offset + i}: see {@link
   * dev.ember.internal.Philox}. Every backend gives the same numbers bit for bit.
   */
  void uniform(long seed, long offset, Strided out);

  /**
   * Computes {@code out = alpha * a + beta * b} elementwise (floating; {@code a}, {@code b} have
   * {@code out}'s shape): the optimizers' update, in one pass where a backend fuses it. The default
   * composes it from {@link #binary} with a temporary.
   */
  default void axpby(double alpha, Strided a, double beta, Strided b, Strided out) {
    Storage scalars = allocate(out.dtype(), 2);
    Strided alphaView = new Strided(scalars, out.dtype(), out.shape(), new int[out.rank()], 0);
    Strided betaView = new Strided(scalars, out.dtype(), out.shape(), new int[out.rank()], 1);
    fill(new Strided(scalars, out.dtype(), new int[] {1}, new int[] {1}, 0), alpha);
    fill(new Strided(scalars, out.dtype(), new int[] {1}, new int[] {1}, 1), beta);
    Storage tmp = allocate(out.dtype(), Math.max(1, out.numel()));
    try {
      Strided t = Strided.contiguous(tmp, out.shape());
      binary(BinaryOp.MUL, b, betaView, t);
      binary(BinaryOp.MUL, a, alphaView, out);
      binary(BinaryOp.ADD, out, t, out);
    } finally {
      tmp.close();
      scalars.close();
    }
  }

  /**
   * Computes a fused softmax (or log-softmax) along the last dim of a contiguous {@code x} into
   * {@code out}, if this backend has one; returns {@code false} to let tensor-api compose it.
   */
  default boolean softmax(Strided x, boolean log, Strided out) {
    return false;
  }

  // ================================================================ optional fused primitives:
  // convolution and pooling. Each returns false ("not here": tensor-api composes the op from the
  // primitives above) unless the backend computed the result. Every operand is contiguous NCHW
  // (weights [O, C / groups, kh, kw]), floating, of one dtype; shapes are already checked. A backend
  // may decline any call (a dtype, shape or geometry it lacks) and tensor-api falls back per call.

  /**
   * Computes the 2-d convolution {@code out} [N, O, oh, ow] of {@code x} [N, C, H, W] with {@code
   * weight} [O, C / groups, kh, kw], plus {@code bias} [O] if non-null; returns {@code false} to let
   * tensor-api compose it (im2col and a matrix product).
   */
  default boolean conv2d(Strided x, Strided weight, Strided bias, ConvParams p, Strided out) {
    return false;
  }

  /**
   * Computes the input gradient {@code gradX} [N, C, H, W] of a 2-d convolution from {@code gradOut}
   * [N, O, oh, ow] and {@code weight}; returns {@code false} to let tensor-api compose it.
   */
  default boolean conv2dBackwardData(Strided gradOut, Strided weight, ConvParams p, Strided gradX) {
    return false;
  }

  /**
   * Computes the weight gradient {@code gradWeight} [O, C / groups, kh, kw] of a 2-d convolution from
   * its input {@code x} and {@code gradOut}, and the bias gradient {@code gradBias} [O] if non-null;
   * returns {@code false} to let tensor-api compose them.
   */
  default boolean conv2dBackwardWeights(Strided x, Strided gradOut, ConvParams p, Strided gradWeight,
      Strided gradBias) {
    return false;
  }

  /**
   * Computes 2-d max pooling {@code out} [N, C, oh, ow] of {@code x} [N, C, H, W] and fills {@code
   * workspace} (int64, out's shape) with whatever this backend's {@link #maxPool2dBackward} needs to
   * send each window's gradient to its first maximum; returns {@code false} to let tensor-api compose
   * it. The workspace's contents are private to this backend.
   */
  default boolean maxPool2d(Strided x, PoolParams p, Strided out, Strided workspace) {
    return false;
  }

  /**
   * Computes the input gradient {@code gradX} [N, C, H, W] of 2-d max pooling from {@code gradOut}
   * and the {@code workspace} that this backend's {@link #maxPool2d} filled; returns {@code false} to
   * let tensor-api compose it.
   */
  default boolean maxPool2dBackward(Strided gradOut, Strided workspace, PoolParams p, Strided gradX) {
    return false;
  }

  /**
   * Computes 2-d average pooling {@code out} [N, C, oh, ow] of {@code x} [N, C, H, W], dividing by
   * {@code kh * kw} if {@code countIncludePad}, else by the number of input elements in the window;
   * returns {@code false} to let tensor-api compose it.
   */
  default boolean avgPool2d(Strided x, PoolParams p, boolean countIncludePad, Strided out) {
    return false;
  }

  /**
   * Computes the input gradient {@code gradX} [N, C, H, W] of {@link #avgPool2d} from {@code
   * gradOut}; returns {@code false} to let tensor-api compose it.
   */
  default boolean avgPool2dBackward(Strided gradOut, PoolParams p, boolean countIncludePad, Strided gradX) {
    return false;
  }
}
