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

  /**
   * Copies {@code count} elements from host memory (little-endian, from {@code src}'s position, which
   * is left unchanged) into {@code dst} at elements {@code [dstOffset, dstOffset + count)}: lets a
   * caller fill a large storage in bounded chunks. The default goes through a temporary storage of
   * {@code count} elements and {@link #copy}; backends with host-visible memory copy directly.
   */
  default void copyFromHost(ByteBuffer src, Storage dst, long dstOffset, int count) {
    if (count == 0) {
      return;
    }
    Storage tmp = allocate(dst.dtype(), count);
    try {
      copyFromHost(src, tmp);
      copy(Strided.contiguous(tmp, count),
          new Strided(dst, dst.dtype(), new int[] {count}, new int[] {1}, dstOffset));
    } finally {
      tmp.close();
    }
  }

  /**
   * Copies elements {@code [srcOffset, srcOffset + count)} of {@code src} to host memory,
   * little-endian, at {@code dst}'s position (left unchanged): lets a caller read a large storage in
   * bounded chunks. The default goes through a temporary storage of {@code count} elements.
   */
  default void copyToHost(Storage src, long srcOffset, int count, ByteBuffer dst) {
    if (count == 0) {
      return;
    }
    Storage tmp = allocate(src.dtype(), count);
    try {
      copy(new Strided(src, src.dtype(), new int[] {count}, new int[] {1}, srcOffset),
          Strided.contiguous(tmp, count));
      copyToHost(tmp, dst);
    } finally {
      tmp.close();
    }
  }

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
   * Computes the gradient {@code out} of an elementwise activation from its output {@code y} and the
   * incoming gradient {@code grad} ({@link UnaryBackwardOp}: ReLU's mask, sigmoid's, tanh's), one pass
   * where a backend fuses it. All three are floating, of one dtype and {@code out}'s shape ({@code
   * grad} may be a broadcast view); {@code out} is a fresh tensor. The default is tensor-api's
   * composition from {@link #binary} and {@link #where}, with the same roundings.
   */
  default void unaryBackward(UnaryBackwardOp op, Strided y, Strided grad, Strided out) {
    int[] zeros = new int[out.rank()];
    Storage scalars = allocate(out.dtype(), 2);
    Strided zero = new Strided(scalars, out.dtype(), out.shape(), zeros, 0);
    Strided one = new Strided(scalars, out.dtype(), out.shape(), zeros, 1);
    fill(new Strided(scalars, out.dtype(), new int[] {2}, new int[] {1}, 0), 0);
    fill(new Strided(scalars, out.dtype(), new int[] {1}, new int[] {1}, 1), 1);
    Storage tmp = allocate(op == UnaryBackwardOp.RELU ? DType.BOOL : out.dtype(), Math.max(1, out.numel()));
    try {
      Strided t = Strided.contiguous(tmp, out.shape());
      switch (op) {
        case RELU -> {
          binary(BinaryOp.GT, y, zero, t);
          where(t, grad, zero, out);
        }
        case SIGMOID -> {
          binary(BinaryOp.SUB, one, y, t);
          binary(BinaryOp.MUL, y, t, t);
          binary(BinaryOp.MUL, grad, t, out);
        }
        case TANH -> {
          binary(BinaryOp.MUL, y, y, t);
          binary(BinaryOp.SUB, one, t, t);
          binary(BinaryOp.MUL, grad, t, out);
        }
      }
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

  // -----------------------------------------------------------------------------------------------
  // Fused row kernels (optional). Each returns false to let tensor-api compose the op from the
  // primitives above; tensor-api calls them only for contiguous operands of one floating dtype and
  // only while dev.ember.internal.FusedPrimitives is enabled, and the conformance suite runs every golden
  // case and gradcheck of these ops both ways.

  /**
   * Computes the gradient of a softmax (or, with {@code log}, a log-softmax) along the last dim from
   * its output {@code y} and the incoming gradient {@code grad}: {@code out = y * (grad - sum(grad *
   * y))}, or {@code out = grad - exp(y) * sum(grad)}, sums over the last dim. All three have one
   * shape; {@code y} and {@code out} are contiguous, {@code grad} contiguous or one value broadcast
   * (every stride 0). Returns false if this backend has no such kernel (or takes no broadcast grad).
   */
  default boolean softmaxBackward(Strided y, Strided grad, boolean log, Strided out) {
    return false;
  }

  /**
   * Computes layer norm over the last dim {@code D} of a contiguous {@code x} [..., D]: {@code out =
   * (x - mean) * rstd * weight + bias} with {@code rstd = 1 / sqrt(var + eps)} (biased variance),
   * writing each row's mean and rstd to {@code mean} and {@code rstd} ([rows], x's dtype). {@code
   * weight} and {@code bias} ([D]) may be null. Returns false if this backend has no such kernel.
   */
  default boolean layerNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean,
      Strided rstd) {
    return false;
  }

  /**
   * Computes the gradients of {@link #layerNorm} from the saved {@code mean} and {@code rstd} and the
   * incoming {@code grad} (x's shape; contiguous or one value broadcast, every stride 0): {@code
   * gradX} (x's shape) and, where not null, {@code
   * gradWeight} and {@code gradBias} ([D], sums over the rows). {@code weight} may be null. Returns
   * false if this backend has no such kernel.
   */
  default boolean layerNormBackward(Strided x, Strided mean, Strided rstd, Strided weight, Strided grad,
      Strided gradX, Strided gradWeight, Strided gradBias) {
    return false;
  }

  /**
   * Computes cross-entropy pieces for logits {@code x} [N, C] (contiguous, floating) and int64 class
   * indices {@code target} [N]: the log-softmax of each row into {@code logProbs} [N, C], and into
   * {@code out} [2] (x's dtype) the sum over rows whose target is not {@code ignoreIndex} of {@code
   * -logProbs[i, target[i]]}, then the number of such rows. Returns false if this backend has no such
   * kernel or a target is outside [0, C) (the composition then raises the error).
   */
  default boolean crossEntropy(Strided x, Strided target, long ignoreIndex, Strided logProbs, Strided out) {
    return false;
  }

  /**
   * Computes the gradient of {@link #crossEntropy}'s sum with respect to the logits, times {@code
   * scale}: {@code out[i, j] = scale * (exp(logProbs[i, j]) - (j == target[i] ? 1 : 0))} for rows whose
   * target is not {@code ignoreIndex}, 0 for the others. Returns false if this backend has no such
   * kernel.
   */
  default boolean crossEntropyBackward(Strided logProbs, Strided target, long ignoreIndex, double scale,
      Strided out) {
    return false;
  }

  /**
   * Applies one Adam/AdamW update in place, one pass per element (see {@link AdamStep} for the
   * formula): reads {@code grad} and updates {@code param}, {@code expAvg}, {@code expAvgSq} and, if
   * non-null (amsgrad), {@code maxExpAvgSq}. All are contiguous, of one shape and one floating dtype.
   * Returns false to let tensor-api compose the update from the primitives above.
   */
  default boolean adamStep(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq,
      AdamStep step) {
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

  // ================================================================ optional fused primitives:
  // the LSTM cell's pointwise part, one time step. Each returns false to let tensor-api compose it
  // (dev.ember.ops.FusedRecurrence; the recurrence's matrix products stay on matmul). Every operand
  // is contiguous, floating, of one dtype; N is the batch, H the hidden size, gates in PyTorch's
  // order i, f, g, o.

  /**
   * Computes one LSTM step from its gate pre-activations {@code gx + hh} ([N, 4H] each): {@code acts}
   * [N, 4H] gets {@code sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)}, {@code cOut} [N, H] gets {@code
   * f * cPrev + i * g} and {@code hOut} [N, H] gets {@code o * tanh(cOut)}. Returns false to let
   * tensor-api compose it.
   */
  default boolean lstmCell(Strided gx, Strided hh, Strided cPrev, Strided acts, Strided hOut, Strided cOut) {
    return false;
  }

  /**
   * Computes the gradients of {@link #lstmCell} from its saved {@code acts} [N, 4H], {@code cPrev} and
   * {@code c} [N, H] and the incoming gradients {@code gradH}, {@code gradC} [N, H] of its outputs:
   * {@code gradGates} [N, 4H] (of the pre-activations) and {@code gradCPrev} [N, H]. Returns false to
   * let tensor-api compose it.
   */
  default boolean lstmCellBackward(Strided acts, Strided cPrev, Strided c, Strided gradH, Strided gradC,
      Strided gradGates, Strided gradCPrev) {
    return false;
  }

  /**
   * Runs one LSTM layer in one direction over a whole sequence, where a backend has a kernel for it:
   * {@code x} [T, N, in], {@code h0}, {@code c0} [N, H], PyTorch's {@code wih} [4H, in] and {@code whh}
   * [4H, H], {@code bias} [4H] (b_ih + b_hh); {@code reverse} runs t = T-1 down to 0. Writes every
   * step's h to {@code out} [T, N, H] and the final cell state to {@code cN} [N, H] (the final h is
   * {@code out}'s last step in the order run). Returns a storage holding what {@link
   * #lstmSequenceBackward} needs (contents private to this backend), or null to let tensor-api run
   * the recurrence step by step.
   */
  default Storage lstmSequence(Strided x, Strided h0, Strided c0, Strided wih, Strided whh, Strided bias,
      boolean reverse, Strided out, Strided cN) {
    return null;
  }

  /**
   * Computes the gradients of {@link #lstmSequence} from its operands, results and {@code
   * workspace}, and the incoming gradients {@code gradOut} [T, N, H] (including the final h's) and
   * {@code gradCN} [N, H]: {@code gradX}, {@code gradH0}, {@code gradC0}, {@code gradWih}, {@code
   * gradWhh} and {@code gradBias}, each in its operand's shape. Returns false to let tensor-api
   * compute them.
   */
  default boolean lstmSequenceBackward(Strided x, Strided h0, Strided c0, Strided wih, Strided whh, Strided bias,
      boolean reverse, Strided out, Strided cN, Storage workspace, Strided gradOut, Strided gradCN, Strided gradX,
      Strided gradH0, Strided gradC0, Strided gradWih, Strided gradWhh, Strided gradBias) {
    return false;
  }

  /**
   * Runs one GRU layer in one direction over a whole sequence, where a backend has a kernel for it,
   * in PyTorch's formulation (gates r, z, n; {@code n = tanh(x W_in^T + b_in + r * (h W_hn^T +
   * b_hn))}, {@code h' = (1 - z) * n + z * h}): {@code x} [T, N, in], {@code h0} [N, H], PyTorch's
   * {@code wih} [3H, in], {@code whh} [3H, H], {@code bih} and {@code bhh} [3H] (zeros for a layer
   * without biases); {@code reverse} runs t = T-1 down to 0. Writes every step's h to {@code out}
   * [T, N, H] (the final h is its last step in the order run). Returns a storage holding what {@link
   * #gruSequenceBackward} needs (contents private to this backend), or null to let tensor-api run the
   * recurrence step by step.
   */
  default Storage gruSequence(Strided x, Strided h0, Strided wih, Strided whh, Strided bih, Strided bhh,
      boolean reverse, Strided out) {
    return null;
  }

  /**
   * Computes the gradients of {@link #gruSequence} from its operands, result and {@code workspace},
   * and the incoming gradient {@code gradOut} [T, N, H] (including the final h's): {@code gradX},
   * {@code gradH0}, {@code gradWih}, {@code gradWhh}, {@code gradBih} and {@code gradBhh}, each in its
   * operand's shape. Returns false to let tensor-api compute them.
   */
  default boolean gruSequenceBackward(Strided x, Strided h0, Strided wih, Strided whh, Strided bih, Strided bhh,
      boolean reverse, Strided out, Storage workspace, Strided gradOut, Strided gradX, Strided gradH0,
      Strided gradWih, Strided gradWhh, Strided gradBih, Strided gradBhh) {
    return false;
  }

  // ================================================================ optional fused primitives:
  // scaled dot-product attention. Each returns false to let tensor-api compose the op (matmul,
  // masking, softmax; dev.ember.ops.FusedAttention). q [..., L, E], k [..., S, E] and v [..., S, Ev]
  // share one rank, one batch shape and one floating dtype and may be any strided views (broadcast
  // batch dims have stride 0); the results are contiguous.

  /**
   * Computes {@code out = softmax(q k^T * scale + mask) v} [..., L, Ev] per batch entry, with {@code
   * causal} masking keys {@code j > i} for query {@code i}, or {@code mask} (null, bool: true = may
   * attend, or q's dtype: added to the scores) [..., L, S], any strides. A query whose keys are all
   * masked gets a zero row. Writes each query's log-sum-exp of its masked, scaled scores to {@code
   * lse} [..., L] (float64 for float64 operands, float32 otherwise; -inf for a fully masked query),
   * unless {@code lse} is null (no backward will run). Returns false if this backend has no kernel.
   */
  default boolean attention(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale,
      Strided out, Strided lse) {
    return false;
  }

  /**
   * Computes the gradients of {@link #attention} from its operands, its {@code out} and {@code lse}
   * and the incoming gradient {@code gradOut} [..., L, Ev] (any strides): {@code gradQ}, {@code
   * gradK} and {@code gradV}, contiguous, in q's, k's and v's shapes (per batch entry; a broadcast
   * operand's gradient is summed by the caller). Returns false if this backend has no kernel.
   */
  default boolean attentionBackward(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale,
      Strided out, Strided lse, Strided gradOut, Strided gradQ, Strided gradK, Strided gradV) {
    return false;
  }

  // ================================================================ optional fused primitives: a Linear
  // layer (dev.ember.ops.Linalg.linear). Each returns false ("not here": tensor-api composes the op from
  // the primitives above) unless the backend computed the result; a backend may decline any call.

  /**
   * Computes {@code out} [N, M] = {@code x} [N, K] @ {@code weight}^T + {@code bias}: {@code weight} [M, K]
   * (x and weight any strides), {@code bias} [M] contiguous, added to every row; {@code out} contiguous; one
   * floating dtype, K > 0. Returns false to let tensor-api compose it ({@link #matmul}, then a broadcast
   * {@link #binary} add).
   */
  default boolean linear(Strided x, Strided weight, Strided bias, Strided out) {
    return false;
  }

  /**
   * Computes a Linear's bias gradient {@code gradBias} [M] (contiguous): the sum of the contiguous {@code
   * grad} [N, M] over its N rows, in any order of additions. Returns false to let tensor-api sum it with
   * {@link #reduce}.
   */
  default boolean linearBiasGrad(Strided grad, Strided gradBias) {
    return false;
  }
}
