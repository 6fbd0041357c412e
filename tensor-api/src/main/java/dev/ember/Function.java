package dev.ember;

import java.util.ArrayList;
import java.util.List;

/**
 * A user-defined differentiable op, PyTorch's {@code torch.autograd.Function}: override {@link
 * #forward} and {@link #backward}. The forward runs without recording; {@link #apply} records one
 * node whose backward is yours. Built-in ops go through the same {@link Autograd#record}.
 *
 * <pre>{@code
 * class Cube extends Function {
 *   protected Tensor forward(Context ctx, Tensor... in) {
 *     ctx.saveForBackward(in[0]);
 *     return in[0].pow(3);
 *   }
 *   protected Tensor[] backward(Context ctx, Tensor grad) {
 *     Tensor x = ctx.saved(0);
 *     return new Tensor[] {grad.mul(x.square()).mul(3)};
 *   }
 * }
 * Tensor y = new Cube().apply(x);
 * }</pre>
 *
 * <p>Tensors saved with {@link Context#saveForBackward} are checked for in-place modification when
 * backward runs. A backward written with Tensor ops is itself differentiable (gradients of
 * gradients work when {@code createGraph} is set).
 */
public abstract class Function {
  /** Holds what forward saves for backward. */
  public static final class Context {
    private final List<Tensor> saved = new ArrayList<>();
    private final java.util.Map<String, Object> values = new java.util.HashMap<>();
    private boolean[] needsInputGrad = new boolean[0];

    /**
     * Returns whether input {@code i} needs a gradient (it requires grad and recording is on),
     * PyTorch's {@code ctx.needs_input_grad[i]}; backward may return null for inputs that don't.
     */
    public boolean needsInputGrad(int i) {
      if (i < 0 || i >= needsInputGrad.length) {
        throw new IndexOutOfBoundsException("needsInputGrad: input " + i + " of " + needsInputGrad.length);
      }
      return needsInputGrad[i];
    }

    /** Returns {@link #needsInputGrad(int)} for every input, PyTorch's {@code ctx.needs_input_grad}. */
    public boolean[] needsInputGrad() {
      return needsInputGrad.clone();
    }

    /** Saves tensors for backward; they are checked for in-place modification. */
    public void saveForBackward(Tensor... tensors) {
      saved.addAll(List.of(tensors));
    }

    /** Returns saved tensor {@code i}. */
    public Tensor saved(int i) {
      return saved.get(i);
    }

    /** Stores a non-tensor value (a shape, a flag) for backward. */
    public void put(String key, Object value) {
      values.put(key, value);
    }

    /** Returns a value stored with {@link #put}. */
    @SuppressWarnings("unchecked")
    public <T> T get(String key) {
      return (T) values.get(key);
    }
  }

  /** Computes the output from the inputs; runs with grad recording off. */
  protected abstract Tensor forward(Context ctx, Tensor... inputs);

  /** Returns one gradient per input (null for inputs that need none) given the output's gradient. */
  protected abstract Tensor[] backward(Context ctx, Tensor gradOutput);

  /** Runs forward and records this function in the graph; returns the output. */
  public final Tensor apply(Tensor... inputs) {
    Context ctx = new Context();
    boolean recording = GradMode.isEnabled();
    ctx.needsInputGrad = new boolean[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      ctx.needsInputGrad[i] = recording && inputs[i] != null && inputs[i].requiresGrad();
    }
    Tensor out;
    try (GradMode off = GradMode.noGrad()) {
      out = forward(ctx, detached(inputs));
    }
    String name = getClass().getSimpleName().isEmpty() ? "Function" : getClass().getSimpleName();
    Tensor result = out.detach();
    return Autograd.record(name, result, inputs, ctx.saved.toArray(new Tensor[0]), g -> {
      Tensor[] grads = backward(ctx, g);
      if (grads.length != inputs.length) {
        throw new IllegalStateException(name + ": backward returned " + grads.length
            + " gradients for " + inputs.length + " inputs");
      }
      return grads;
    });
  }

  private static Tensor[] detached(Tensor[] inputs) {
    Tensor[] out = new Tensor[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      out[i] = inputs[i];
    }
    return out;
  }
}
