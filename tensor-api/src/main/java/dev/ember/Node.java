package dev.ember;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A recorded op in the autograd graph: the function that maps the gradient of its output to the
 * gradients of its inputs ({@code grad_fn} in PyTorch). Each node has one output.
 *
 * <p>Leaf tensors that require grad get an accumulating node of their own, which adds incoming
 * gradients into {@link Tensor#grad()}.
 */
public final class Node {
  /** Maps the output's gradient to one gradient per input (null where an input needs none). */
  @FunctionalInterface
  public interface Backward {
    /** Returns the gradients of the inputs, in order; a null entry means none. */
    Tensor[] apply(Tensor gradOutput);
  }

  private static long counter;

  final String name;
  final long sequence;
  final Node[] next;
  final int[] outputShape;
  /** The output's dtype and device: every gradient sent to this node is made to match them. */
  final DType outputDtype;
  final Device outputDevice;
  Backward backward;
  Tensor[] saved;
  int[] savedVersions;
  /** For an accumulating node: the leaf it feeds. */
  final Tensor leaf;
  List<UnaryOperator<Tensor>> hooks;
  /**
   * For a slice view ({@code x[start::step]} along {@code sliceDim}): the engine adds the gradient
   * into that region of the input's accumulated gradient directly, instead of materializing a
   * zero tensor of the input's shape per slice (which makes T slices of one tensor cost T full
   * passes, as in an RNN over time steps). Null for other nodes.
   */
  int[] sliceSpec;
  java.lang.ref.WeakReference<Tensor> retained;
  private boolean freed;

  Node(String name, Node[] next, Tensor output, Backward backward, Tensor[] saved) {
    this.name = name;
    this.next = next;
    this.outputShape = output.shapeArray();
    this.outputDtype = output.dtype();
    this.outputDevice = output.device();
    this.backward = backward;
    this.saved = saved;
    this.leaf = null;
    synchronized (Node.class) {
      this.sequence = ++counter;
    }
    if (saved != null) {
      savedVersions = new int[saved.length];
      for (int i = 0; i < saved.length; i++) {
        savedVersions[i] = saved[i].version();
      }
    }
  }

  Node(Tensor leaf) {
    this.name = "AccumulateGrad";
    this.next = new Node[0];
    this.outputShape = leaf.shapeArray();
    this.outputDtype = leaf.dtype();
    this.outputDevice = leaf.device();
    this.leaf = leaf;
    this.sequence = 0;
  }

  /** Returns a handle that takes {@code hook} (this registration of it) out of {@code hooks}. */
  static RemovableHandle removal(List<UnaryOperator<Tensor>> hooks, UnaryOperator<Tensor> hook) {
    boolean[] removed = {false};
    return () -> {
      if (!removed[0]) {
        removed[0] = true;
        for (int i = hooks.size() - 1; i >= 0; i--) {
          if (hooks.get(i) == hook) {
            hooks.remove(i);
            return;
          }
        }
      }
    };
  }

  /** Returns the op's name, e.g. {@code "mul"}. */
  public String name() {
    return name;
  }

  /** Returns the nodes of the inputs this node sends gradients to (null for inputs that need none). */
  public List<Node> nextFunctions() {
    List<Node> list = new ArrayList<>(next.length);
    for (Node n : next) {
      list.add(n);
    }
    return list;
  }

  /** Returns whether this node accumulates into a leaf tensor's {@code grad}. */
  public boolean isAccumulator() {
    return leaf != null;
  }

  /** Fails as {@link #run} would if this node's graph was already freed. */
  void checkRunnable() {
    if (freed) {
      run(null);
    }
  }

  Tensor[] run(Tensor grad) {
    if (freed) {
      throw new IllegalStateException("backward: trying to backward through the graph a second time"
          + " (the saved tensors of '" + name + "' were already freed); pass retainGraph=true to the"
          + " first backward if you need to backward twice");
    }
    if (saved != null) {
      for (int i = 0; i < saved.length; i++) {
        if (saved[i].version() != savedVersions[i]) {
          throw new IllegalStateException("backward: one of the tensors needed for the gradient of '"
              + name + "' has been modified by an in-place operation: its input of shape "
              + saved[i].shape() + " is at version " + saved[i].version() + ", expected version "
              + savedVersions[i]);
        }
      }
    }
    return backward.apply(grad);
  }

  /**
   * Returns {@code g}, a gradient for this node's output that {@code producer} sent as its input
   * {@code index}, made to match the output as PyTorch's engine does ({@code validate_outputs}):
   * another dtype is cast to the output's, a 0-d gradient on another device is moved; a gradient of
   * another shape, or a non-scalar one on another device, raises.
   */
  Tensor conform(Tensor g, String producer, int index) {
    if (!java.util.Arrays.equals(g.shapeArray(), outputShape)) {
      throw new IllegalStateException("backward: '" + producer + "' returned a gradient of shape " + g.shape()
          + " for input " + index + " of shape " + java.util.Arrays.toString(outputShape));
    }
    if (!g.device().equals(outputDevice)) {
      if (g.dim() != 0) {
        throw new IllegalStateException("backward: '" + producer + "' returned a gradient on " + g.device()
            + " for input " + index + " on " + outputDevice + " (shape " + g.shape() + ")");
      }
      g = g.to(outputDevice);
    }
    return g.dtype() == outputDtype ? g : g.to(outputDtype);
  }

  /**
   * Checks that a hook's replacement gradient has the shape, dtype and device of the gradient it
   * was given, with PyTorch's messages ({@code hook 'hook' has changed the size of value}).
   */
  void checkHookResult(Tensor original, Tensor result) {
    String where = " (the gradient of a " + original.dtype() + " tensor of shape " + original.shape() + " on "
        + original.device() + ", at " + this + ")";
    if (result.dtype() != original.dtype()) {
      throw new IllegalStateException("hook 'hook' has changed the type of value (was " + original.dtype()
          + " got " + result.dtype() + ")" + where);
    }
    if (!result.device().equals(original.device())) {
      throw new IllegalStateException("hook 'hook' has changed the type of value (was a tensor on "
          + original.device() + " got one on " + result.device() + ")" + where);
    }
    if (!java.util.Arrays.equals(result.shapeArray(), original.shapeArray())) {
      throw new IllegalStateException("hook 'hook' has changed the size of value (was " + original.shape()
          + " got " + result.shape() + ")" + where);
    }
  }

  void release() {
    if (leaf == null) {
      freed = true;
      backward = null;
      saved = null;
    }
  }

  /** Returns PyTorch's spelling of the node, e.g. {@code <MulBackward0>} for "mul", {@code <CopySlices>}. */
  @Override
  public String toString() {
    if (name.equals(ViewHistory.COPY_SLICES)) {
      return "<" + name + ">";
    }
    StringBuilder camel = new StringBuilder();
    boolean upper = true;
    for (char c : name.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        camel.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return "<" + camel + (leaf != null ? "" : "Backward0") + ">";
  }
}
