package dev.ember.spi;

import dev.ember.DType;
import dev.ember.Device;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A backend that gives another backend float16 and bfloat16 arithmetic: every kernel whose operands
 * include a 2-byte floating type runs on the wrapped backend in float32, and its results are rounded
 * back (to nearest even) into the 2-byte storage, as PyTorch's CPU kernels compute reduced-precision
 * types in float32 ("opmath") and store them rounded. Kernels without such operands go straight
 * through.
 *
 * <p>The wrapped backend must store the 2-byte types natively: {@link #allocate}, the host copies,
 * {@link #fill} and {@link #copy} (with conversion to and from float32) get them as they are; every
 * other method only ever sees float32, float64, integer and bool operands.
 *
 * <p>An operand is widened over the span of storage its view covers, with the same strides, so
 * broadcast (stride-0), transposed and permuted views keep their layout (a transposed matrix still
 * reaches BLAS as a transpose); a view whose span is far larger than itself is widened to a
 * contiguous copy instead. Outputs are computed into float32 temporaries and copied back through
 * their views, so elements outside a view are never written.
 */
public final class HalfWidening implements Backend {
  private final Backend inner;

  /** Wraps {@code inner}, which stores float16 and bfloat16 and converts them in {@link #copy}. */
  public HalfWidening(Backend inner) {
    this.inner = inner;
  }

  /** Returns the wrapped backend. */
  public Backend inner() {
    return inner;
  }

  /** Returns whether any operand (nulls allowed) is float16 or bfloat16. */
  private static boolean anyHalf(Strided... operands) {
    for (Strided s : operands) {
      if (s != null && s.dtype().isHalf()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The float32 temporaries of one kernel call: {@link #in} widens an operand, {@link #out} makes a
   * float32 place for a result that {@link #commit} rounds back; closing frees every temporary.
   */
  private final class Widened implements AutoCloseable {
    private final List<Storage> temporaries = new ArrayList<>();
    private final List<Strided[]> results = new ArrayList<>();

    /** Returns {@code s} itself unless it is 2-byte floating, else a float32 copy of its values. */
    Strided in(Strided s) {
      if (s == null || !s.dtype().isHalf()) {
        return s;
      }
      Strided wide = place(s);
      inner.copy(source(s, wide), wide.offset() == 0 && wide.isContiguous() ? wide : spanOf(wide));
      return wide;
    }

    /** Returns a float32 place for result {@code s} (itself unless 2-byte floating), to commit later. */
    Strided out(Strided s) {
      if (s == null || !s.dtype().isHalf()) {
        return s;
      }
      Strided wide = place(s);
      results.add(new Strided[] {wide, s});
      return wide;
    }

    /** Returns a float32 copy of an operand the kernel reads and writes, to commit later. */
    Strided inOut(Strided s) {
      if (s == null || !s.dtype().isHalf()) {
        return s;
      }
      Strided wide = in(s);
      results.add(new Strided[] {wide, s});
      return wide;
    }

    /** Rounds every result back into its 2-byte view. */
    void commit() {
      for (Strided[] r : results) {
        inner.copy(r[0], r[1]);
      }
    }

    /**
     * Allocates a float32 view shaped like {@code s}: over {@code s}'s span with its strides when the
     * span is at most twice its size, else contiguous.
     */
    private Strided place(Strided s) {
      long[] bounds = bounds(s);
      long span = bounds[1] - bounds[0] + 1;
      long numel = s.numel();
      if (numel == 0 || span > 2 * numel) {
        Storage st = allocate(Math.max(numel, 1));
        return Strided.contiguous(st, s.shape().clone());
      }
      Storage st = allocate(span);
      return new Strided(st, DType.FLOAT32, s.shape().clone(), s.strides().clone(), s.offset() - bounds[0]);
    }

    private Storage allocate(long numel) {
      Storage st = inner.allocate(DType.FLOAT32, numel);
      temporaries.add(st);
      return st;
    }

    @Override
    public void close() {
      for (Storage st : temporaries) {
        st.close();
      }
    }
  }

  /** Returns the lowest and highest storage index {@code s} reaches (its offset when empty). */
  private static long[] bounds(Strided s) {
    long lo = s.offset();
    long hi = s.offset();
    for (int i = 0; i < s.rank(); i++) {
      if (s.shape()[i] == 0) {
        return new long[] {s.offset(), s.offset()};
      }
      long reach = (long) (s.shape()[i] - 1) * s.strides()[i];
      if (reach < 0) {
        lo += reach;
      } else {
        hi += reach;
      }
    }
    return new long[] {lo, hi};
  }

  /**
   * Returns what to copy into {@code wide}: {@code s} itself when {@code wide} is a contiguous
   * place, else the 1-d run of {@code s}'s storage that {@code wide}'s span mirrors.
   */
  private static Strided source(Strided s, Strided wide) {
    if (wide.offset() == 0 && wide.isContiguous()) {
      return s;
    }
    long lo = s.offset() - wide.offset();
    int span = Math.toIntExact(wide.storage().numel());
    return new Strided(s.storage(), s.dtype(), new int[] {span}, new int[] {1}, lo);
  }

  /** Returns the whole storage of a span place as one 1-d run. */
  private static Strided spanOf(Strided wide) {
    return Strided.contiguous(wide.storage(), Math.toIntExact(wide.storage().numel()));
  }

  // ---------------------------------------------------------------- storage: straight through

  @Override
  public Device device() {
    return inner.device();
  }

  @Override
  public Storage allocate(DType dtype, long numel) {
    return inner.allocate(dtype, numel);
  }

  @Override
  public void copyFromHost(ByteBuffer src, Storage dst) {
    inner.copyFromHost(src, dst);
  }

  @Override
  public void copyToHost(Storage src, ByteBuffer dst) {
    inner.copyToHost(src, dst);
  }

  @Override
  public void copyFromHost(ByteBuffer src, Storage dst, long dstOffset, int count) {
    inner.copyFromHost(src, dst, dstOffset, count);
  }

  @Override
  public void copyToHost(Storage src, long srcOffset, int count, ByteBuffer dst) {
    inner.copyToHost(src, srcOffset, count, dst);
  }

  @Override
  public void copy(Strided src, Strided out) {
    inner.copy(src, out);
  }

  @Override
  public void fill(Strided out, double value) {
    inner.fill(out, value);
  }

  // ---------------------------------------------------------------- compute: float32 for 2-byte operands

  @Override
  public void unary(UnaryOp op, Strided x, Strided out) {
    if (!anyHalf(x, out)) {
      inner.unary(op, x, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.unary(op, w.in(x), w.out(out));
      w.commit();
    }
  }

  @Override
  public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
    if (!anyHalf(a, b, out)) {
      inner.binary(op, a, b, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.binary(op, w.in(a), w.in(b), w.out(out));
      w.commit();
    }
  }

  @Override
  public void where(Strided cond, Strided a, Strided b, Strided out) {
    if (!anyHalf(a, b, out)) {
      inner.where(cond, a, b, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.where(cond, w.in(a), w.in(b), w.out(out));
      w.commit();
    }
  }

  @Override
  public void reduce(ReduceOp op, Strided x, Strided out) {
    if (!anyHalf(x, out)) {
      inner.reduce(op, x, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.reduce(op, w.in(x), w.out(out));
      w.commit();
    }
  }

  @Override
  public void cumsum(Strided x, int dim, Strided out) {
    if (!anyHalf(x, out)) {
      inner.cumsum(x, dim, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.cumsum(w.in(x), dim, w.out(out));
      w.commit();
    }
  }

  @Override
  public void matmul(Strided a, Strided b, Strided out) {
    if (!anyHalf(a, b, out)) {
      inner.matmul(a, b, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.matmul(w.in(a), w.in(b), w.out(out));
      w.commit();
    }
  }

  @Override
  public void gather(Strided x, int dim, Strided index, Strided out) {
    if (!anyHalf(x, out)) {
      inner.gather(x, dim, index, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.gather(w.in(x), dim, index, w.out(out));
      w.commit();
    }
  }

  @Override
  public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
    if (!anyHalf(src, out)) {
      inner.scatterAdd(src, dim, index, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.scatterAdd(w.in(src), dim, index, w.inOut(out));
      w.commit();
    }
  }

  /**
   * Fills a 2-byte {@code out} with the float32 draws cut down to multiples of 2^-11 (float16) or
   * 2^-8 (bfloat16), {@code floor(u * 2^d) / 2^d}: exact in the 2-byte type, so no draw rounds up
   * to 1 and the numbers stay in [0, 1), on the grid PyTorch's half {@code uniform_} uses (its
   * type's mantissa digits).
   */
  @Override
  public void uniform(long seed, long offset, Strided out) {
    if (!anyHalf(out)) {
      inner.uniform(seed, offset, out);
      return;
    }
    double steps = out.dtype() == DType.FLOAT16 ? 0x1p11 : 0x1p8;
    try (Widened w = new Widened()) {
      Strided u = w.out(out);
      inner.uniform(seed, offset, u);
      Storage scalars = w.allocate(2);
      inner.fill(new Strided(scalars, DType.FLOAT32, new int[] {1}, new int[] {1}, 0), steps);
      inner.fill(new Strided(scalars, DType.FLOAT32, new int[] {1}, new int[] {1}, 1), 1 / steps);
      int[] zeros = new int[u.rank()];
      inner.binary(BinaryOp.MUL, u, new Strided(scalars, DType.FLOAT32, u.shape(), zeros, 0), u);
      inner.unary(UnaryOp.FLOOR, u, u);
      inner.binary(BinaryOp.MUL, u, new Strided(scalars, DType.FLOAT32, u.shape(), zeros, 1), u);
      w.commit();
    }
  }

  @Override
  public void axpby(double alpha, Strided a, double beta, Strided b, Strided out) {
    if (!anyHalf(a, b, out)) {
      inner.axpby(alpha, a, beta, b, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.axpby(alpha, w.in(a), beta, w.in(b), w.out(out));
      w.commit();
    }
  }

  /**
   * Runs the wrapped backend's activation gradient in float32 and rounds once (PyTorch's opmath);
   * the composition of half-precision ops instead rounds each step to the 2-byte type.
   */
  @Override
  public void unaryBackward(UnaryBackwardOp op, Strided y, Strided grad, Strided out) {
    if (!anyHalf(y, grad, out)) {
      inner.unaryBackward(op, y, grad, out);
      return;
    }
    try (Widened w = new Widened()) {
      inner.unaryBackward(op, w.in(y), w.in(grad), w.out(out));
      w.commit();
    }
  }

  // ---------------------------------------------------------------- optional fused kernels

  /** Commits {@code w}'s results when the kernel ran; returns whether it did. */
  private static boolean committed(Widened w, boolean ran) {
    if (ran) {
      w.commit();
    }
    return ran;
  }

  @Override
  public boolean softmax(Strided x, boolean log, Strided out) {
    if (!anyHalf(x, out)) {
      return inner.softmax(x, log, out);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.softmax(w.in(x), log, w.out(out)));
    }
  }

  @Override
  public boolean softmaxBackward(Strided y, Strided grad, boolean log, Strided out) {
    if (!anyHalf(y, grad, out)) {
      return inner.softmaxBackward(y, grad, log, out);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.softmaxBackward(w.in(y), w.in(grad), log, w.out(out)));
    }
  }

  @Override
  public boolean layerNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean,
      Strided rstd) {
    if (!anyHalf(x, weight, bias, out, mean, rstd)) {
      return inner.layerNorm(x, weight, bias, eps, out, mean, rstd);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.layerNorm(w.in(x), w.in(weight), w.in(bias), eps, w.out(out), w.out(mean),
          w.out(rstd)));
    }
  }

  @Override
  public boolean layerNormBackward(Strided x, Strided mean, Strided rstd, Strided weight, Strided grad,
      Strided gradX, Strided gradWeight, Strided gradBias) {
    if (!anyHalf(x, mean, rstd, weight, grad, gradX, gradWeight, gradBias)) {
      return inner.layerNormBackward(x, mean, rstd, weight, grad, gradX, gradWeight, gradBias);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.layerNormBackward(w.in(x), w.in(mean), w.in(rstd), w.in(weight), w.in(grad),
          w.out(gradX), w.out(gradWeight), w.out(gradBias)));
    }
  }

  @Override
  public boolean crossEntropy(Strided x, Strided target, long ignoreIndex, Strided logProbs, Strided out) {
    if (!anyHalf(x, logProbs, out)) {
      return inner.crossEntropy(x, target, ignoreIndex, logProbs, out);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.crossEntropy(w.in(x), target, ignoreIndex, w.out(logProbs), w.out(out)));
    }
  }

  @Override
  public boolean crossEntropyBackward(Strided logProbs, Strided target, long ignoreIndex, double scale,
      Strided out) {
    if (!anyHalf(logProbs, out)) {
      return inner.crossEntropyBackward(logProbs, target, ignoreIndex, scale, out);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.crossEntropyBackward(w.in(logProbs), target, ignoreIndex, scale, w.out(out)));
    }
  }

  @Override
  public boolean conv2d(Strided x, Strided weight, Strided bias, ConvParams p, Strided out) {
    if (!anyHalf(x, weight, bias, out)) {
      return inner.conv2d(x, weight, bias, p, out);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.conv2d(w.in(x), w.in(weight), w.in(bias), p, w.out(out)));
    }
  }

  @Override
  public boolean conv2dBackwardData(Strided gradOut, Strided weight, ConvParams p, Strided gradX) {
    if (!anyHalf(gradOut, weight, gradX)) {
      return inner.conv2dBackwardData(gradOut, weight, p, gradX);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.conv2dBackwardData(w.in(gradOut), w.in(weight), p, w.out(gradX)));
    }
  }

  @Override
  public boolean conv2dBackwardWeights(Strided x, Strided gradOut, ConvParams p, Strided gradWeight,
      Strided gradBias) {
    if (!anyHalf(x, gradOut, gradWeight, gradBias)) {
      return inner.conv2dBackwardWeights(x, gradOut, p, gradWeight, gradBias);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.conv2dBackwardWeights(w.in(x), w.in(gradOut), p, w.out(gradWeight),
          w.out(gradBias)));
    }
  }

  @Override
  public boolean maxPool2d(Strided x, PoolParams p, Strided out, Strided workspace) {
    if (!anyHalf(x, out)) {
      return inner.maxPool2d(x, p, out, workspace);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.maxPool2d(w.in(x), p, w.out(out), workspace));
    }
  }

  @Override
  public boolean maxPool2dBackward(Strided gradOut, Strided workspace, PoolParams p, Strided gradX) {
    if (!anyHalf(gradOut, gradX)) {
      return inner.maxPool2dBackward(gradOut, workspace, p, gradX);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.maxPool2dBackward(w.in(gradOut), workspace, p, w.out(gradX)));
    }
  }

  @Override
  public boolean avgPool2d(Strided x, PoolParams p, boolean countIncludePad, Strided out) {
    if (!anyHalf(x, out)) {
      return inner.avgPool2d(x, p, countIncludePad, out);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.avgPool2d(w.in(x), p, countIncludePad, w.out(out)));
    }
  }

  @Override
  public boolean avgPool2dBackward(Strided gradOut, PoolParams p, boolean countIncludePad, Strided gradX) {
    if (!anyHalf(gradOut, gradX)) {
      return inner.avgPool2dBackward(gradOut, p, countIncludePad, gradX);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.avgPool2dBackward(w.in(gradOut), p, countIncludePad, w.out(gradX)));
    }
  }

  // The fused LSTM and GRU primitives: with 2-byte operands they decline, so tensor-api composes the cell and
  // the recurrence from ops that this class widens; otherwise the wrapped backend's kernels run.

  @Override
  public boolean adamStep(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq,
      AdamStep step) {
    return !anyHalf(param, grad, expAvg, expAvgSq, maxExpAvgSq)
        && inner.adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, step);
  }

  @Override
  public boolean lstmCell(Strided gx, Strided hh, Strided cPrev, Strided acts, Strided hOut, Strided cOut) {
    return !anyHalf(gx, hh, cPrev, acts, hOut, cOut) && inner.lstmCell(gx, hh, cPrev, acts, hOut, cOut);
  }

  @Override
  public boolean lstmCellBackward(Strided acts, Strided cPrev, Strided c, Strided gradH, Strided gradC,
      Strided gradGates, Strided gradCPrev) {
    return !anyHalf(acts, cPrev, c, gradH, gradC, gradGates, gradCPrev)
        && inner.lstmCellBackward(acts, cPrev, c, gradH, gradC, gradGates, gradCPrev);
  }

  @Override
  public Storage lstmSequence(Strided x, Strided h0, Strided c0, Strided wih, Strided whh, Strided bias,
      boolean reverse, Strided out, Strided cN) {
    return anyHalf(x, h0, c0, wih, whh, bias, out, cN) ? null
        : inner.lstmSequence(x, h0, c0, wih, whh, bias, reverse, out, cN);
  }

  @Override
  public boolean lstmSequenceBackward(Strided x, Strided h0, Strided c0, Strided wih, Strided whh, Strided bias,
      boolean reverse, Strided out, Strided cN, Storage workspace, Strided gradOut, Strided gradCN, Strided gradX,
      Strided gradH0, Strided gradC0, Strided gradWih, Strided gradWhh, Strided gradBias) {
    return !anyHalf(x, h0, c0, wih, whh, bias, out, cN, gradOut, gradCN, gradX, gradH0, gradC0, gradWih, gradWhh,
        gradBias) && inner.lstmSequenceBackward(x, h0, c0, wih, whh, bias, reverse, out, cN, workspace, gradOut,
        gradCN, gradX, gradH0, gradC0, gradWih, gradWhh, gradBias);
  }

  @Override
  public Storage gruSequence(Strided x, Strided h0, Strided wih, Strided whh, Strided bih, Strided bhh,
      boolean reverse, Strided out) {
    return anyHalf(x, h0, wih, whh, bih, bhh, out) ? null : inner.gruSequence(x, h0, wih, whh, bih, bhh, reverse, out);
  }

  @Override
  public boolean gruSequenceBackward(Strided x, Strided h0, Strided wih, Strided whh, Strided bih, Strided bhh,
      boolean reverse, Strided out, Storage workspace, Strided gradOut, Strided gradX, Strided gradH0,
      Strided gradWih, Strided gradWhh, Strided gradBih, Strided gradBhh) {
    return !anyHalf(x, h0, wih, whh, bih, bhh, out, gradOut, gradX, gradH0, gradWih, gradWhh, gradBih, gradBhh)
        && inner.gruSequenceBackward(x, h0, wih, whh, bih, bhh, reverse, out, workspace, gradOut, gradX, gradH0,
        gradWih, gradWhh, gradBih, gradBhh);
  }

  @Override
  public boolean attention(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale,
      Strided out, Strided lse) {
    if (!anyHalf(q, k, v, mask, out, lse)) {
      return inner.attention(q, k, v, mask, causal, scale, out, lse);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.attention(w.in(q), w.in(k), w.in(v), w.in(mask), causal, scale, w.out(out),
          w.out(lse)));
    }
  }

  @Override
  public boolean attentionBackward(Strided q, Strided k, Strided v, Strided mask, boolean causal, double scale,
      Strided out, Strided lse, Strided gradOut, Strided gradQ, Strided gradK, Strided gradV) {
    if (!anyHalf(q, k, v, mask, out, lse, gradOut, gradQ, gradK, gradV)) {
      return inner.attentionBackward(q, k, v, mask, causal, scale, out, lse, gradOut, gradQ, gradK, gradV);
    }
    try (Widened w = new Widened()) {
      return committed(w, inner.attentionBackward(w.in(q), w.in(k), w.in(v), w.in(mask), causal, scale, w.in(out),
          w.in(lse), w.in(gradOut), w.out(gradQ), w.out(gradK), w.out(gradV)));
    }
  }

  @Override
  public String toString() {
    return inner.toString();
  }

  /**
   * Forwards a Linear's forward to the wrapped backend; declines 2-byte operands, so they keep the
   * composition's two roundings (the product, then the sum with the bias).
   */
  @Override
  public boolean linear(Strided x, Strided weight, Strided bias, Strided out) {
    return !anyHalf(x, weight, bias, out) && inner.linear(x, weight, bias, out);
  }

  /** Forwards a Linear's bias gradient to the wrapped backend; declines 2-byte operands. */
  @Override
  public boolean linearBiasGrad(Strided grad, Strided gradBias) {
    return !anyHalf(grad, gradBias) && inner.linearBiasGrad(grad, gradBias);
  }
}
