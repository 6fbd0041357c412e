package dev.ember;

/**
 * A mixed-precision scope, as {@code torch.autocast("cpu", dtype=...)}: while one is open on a
 * thread, the ops that gain most from a lower precision run in it and the ops that lose accuracy in
 * it run in float32, whatever their inputs' dtypes; the rest run in their inputs' dtype.
 *
 * <pre>{@code
 * try (Autocast a = Autocast.enable(DType.BFLOAT16)) {
 *   Tensor logits = model.forward(x);        // linear layers compute in bfloat16
 *   Tensor loss = F.crossEntropy(logits, y); // float32
 * }
 * loss.backward();                           // float32 parameters get float32 gradients
 * }</pre>
 *
 * <p>The op lists follow PyTorch 2.x's CPU autocast (checked against PyTorch 2.13):
 *
 * <ul>
 *   <li><b>lower precision</b> (float32 inputs are cast to the scope's dtype): {@code matmul},
 *       {@code mm}, {@code bmm}, {@code linear}, {@code conv1d}, {@code conv2d}, {@code
 *       conv_transpose1d}, {@code conv_transpose2d}, {@code scaled_dot_product_attention} (and
 *       {@code einsum}, which runs on {@code bmm}). float64 inputs are left alone.
 *   <li><b>float32</b> (float16 and bfloat16 inputs are cast up): {@code cross_entropy}, {@code
 *       nll_loss}, {@code mse_loss}, {@code l1_loss}, {@code smooth_l1_loss}, {@code huber_loss},
 *       {@code binary_cross_entropy}, {@code binary_cross_entropy_with_logits}.
 *   <li>every other op runs in its inputs' dtype, with the usual promotion ({@code bfloat16 +
 *       float32} is float32, as {@code cat} and {@code stack} promote in PyTorch's scope).
 * </ul>
 *
 * <p>The casts are ordinary differentiable {@code to(dtype)} calls, so gradients reach float32
 * parameters in float32. Unlike PyTorch, casts of weights are not cached within a scope (each call
 * casts again). Scopes nest; closing one restores the state before it. The state is per thread.
 */
public final class Autocast implements AutoCloseable {
  private static final ThreadLocal<DType> ACTIVE = new ThreadLocal<>();

  private final DType previous;
  private boolean closed;

  private Autocast(DType dtype) {
    this.previous = ACTIVE.get();
    if (dtype == null) {
      ACTIVE.remove();
    } else {
      ACTIVE.set(dtype);
    }
  }

  /**
   * Opens a scope that runs the lower-precision ops in {@code dtype}.
   *
   * @param dtype {@link DType#BFLOAT16} (PyTorch's CPU default) or {@link DType#FLOAT16}
   * @throws IllegalArgumentException for any other dtype
   */
  public static Autocast enable(DType dtype) {
    if (dtype == null || !dtype.isHalf()) {
      throw new IllegalArgumentException("autocast: dtype must be bfloat16 or float16, got " + dtype);
    }
    return new Autocast(dtype);
  }

  /** Opens a scope with autocast off (inside an enabled one: a region that must run in full precision). */
  public static Autocast disable() {
    return new Autocast(null);
  }

  /** Returns the dtype of the innermost open scope on this thread, or null when autocast is off. */
  public static DType current() {
    return ACTIVE.get();
  }

  /** Returns whether autocast is on for this thread. */
  public static boolean isEnabled() {
    return ACTIVE.get() != null;
  }

  /** Closes the scope, restoring the state it replaced; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (previous == null) {
      ACTIVE.remove();
    } else {
      ACTIVE.set(previous);
    }
  }
}
