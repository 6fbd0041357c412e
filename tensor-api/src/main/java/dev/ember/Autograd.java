package dev.ember;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The autograd engine: records ops into a graph and walks it backwards.
 *
 * <p>The walk is iterative (a chain of 100,000 ops needs no deep stack). Each node runs once, when
 * every consumer has sent its gradient; nodes run newest first. Without {@code retainGraph} the
 * saved tensors are dropped as each node finishes.
 */
public final class Autograd {
  /** The callbacks of the backward pass running on this thread; null outside backward. */
  private static final ThreadLocal<List<Runnable>> CALLBACKS = new ThreadLocal<>();
  private Autograd() {}

  /**
   * Attaches a node to {@code out} if grad mode is on and some input requires grad; returns {@code
   * out}. {@code saved} lists the tensors the backward reads, which are checked for in-place
   * modification when it runs.
   *
   * @param name the op's name, used in error messages
   * @param out the op's result
   * @param inputs the differentiable inputs, in the order the backward returns their gradients
   * @param saved tensors whose values the backward reads (may be empty)
   * @param backward maps the gradient of {@code out} to the gradients of {@code inputs}
   */
  public static Tensor record(String name, Tensor out, Tensor[] inputs, Tensor[] saved, Node.Backward backward) {
    if (!GradMode.isEnabled()) {
      return out;
    }
    Node[] next = null;
    for (int i = 0; i < inputs.length; i++) {
      Tensor in = inputs[i];
      if (in != null && in.requiresGrad()) {
        if (next == null) {
          next = new Node[inputs.length];
        }
        next[i] = in.edgeNode();
      }
    }
    if (next == null) {
      return out;
    }
    if (!out.dtype().isFloatingPoint() && !out.dtype().isComplex()) {
      return out;
    }
    out.setGradFn(new Node(name, next, out, backward, saved.length == 0 ? null : saved));
    return out;
  }

  /**
   * Returns {@code g} if it may be assigned as {@code t}'s {@code grad}: null, or of {@code t}'s
   * dtype, shape and device (PyTorch's checks, with its messages).
   */
  static Tensor checkAssignedGrad(Tensor t, Tensor g) {
    if (g == null) {
      return null;
    }
    String both = ": grad " + g.dtype() + " " + g.shape() + " on " + g.device() + ", tensor " + t.dtype() + " "
        + t.shape() + " on " + t.device();
    if (g.dtype() != t.dtype()) {
      throw new IllegalArgumentException("setGrad: assigned grad has data of a different type" + both);
    }
    if (!g.device().equals(t.device())) {
      throw new IllegalArgumentException("setGrad: assigned grad has data located on a different device" + both);
    }
    if (!Arrays.equals(g.shapeArray(), t.shapeArray())) {
      throw new IllegalArgumentException("setGrad: assigned grad has data of a different size" + both);
    }
    return g;
  }

  /**
   * Makes {@code self} take over the history of {@code result} after an in-place op wrote {@code
   * result}'s values into it; for a view, the base's history becomes a CopySlices (see {@code
   * ViewHistory}). For op implementations.
   */
  public static void rebase(Tensor self, Tensor result) {
    ViewHistory.rebase(self, result);
  }

  /**
   * Checks, with grad mode on, that an in-place op may write into {@code self}: not a leaf that
   * requires grad, not a view of one, not a view made with grad mode off when the op is recorded
   * ({@code inputsRequireGrad}: some input of the op requires grad). PyTorch's messages. For op
   * implementations.
   *
   * @throws IllegalStateException naming the op and the shapes involved
   */
  public static void checkInPlace(String name, Tensor self, boolean inputsRequireGrad) {
    ViewHistory.checkInPlace(name, self, inputsRequireGrad);
  }

  /**
   * Records a slice view {@code out = x[start::step]} along {@code dim}, whose backward writes the
   * gradient into that region of a zero tensor of {@code x}'s shape. Inside {@code backward} (without
   * {@code createGraph}) the engine instead adds it straight into {@code x}'s accumulated gradient.
   * For view op implementations.
   */
  public static Tensor recordSlice(Tensor out, Tensor x, int dim, int start, int step, Node.Backward backward) {
    Tensor r = record("slice", out, new Tensor[] {x}, backward);
    if (r.gradFn() != null) {
      r.gradFn().sliceSpec = new int[] {dim, start, step};
    }
    return r;
  }

  /** Shorthand for {@link #record(String, Tensor, Tensor[], Tensor[], Node.Backward)} with no saved tensors. */
  public static Tensor record(String name, Tensor out, Tensor[] inputs, Node.Backward backward) {
    return record(name, out, inputs, new Tensor[0], backward);
  }

  /**
   * Computes gradients of {@code outputs} and accumulates them into the {@code grad} of every leaf
   * that requires grad ({@code torch.autograd.backward}).
   */
  public static void backward(Tensor[] outputs, Tensor[] gradOutputs, boolean retainGraph, boolean createGraph) {
    run(outputs, gradOutputs, retainGraph, createGraph, null, false);
  }

  /**
   * Queues {@code callback} to run once, on this thread, when the backward pass now running has
   * finished: every gradient accumulated, grad mode and scopes restored (PyTorch's {@code
   * Variable._execution_engine.queue_callback}). Callbacks run in the order queued and may queue
   * more. Meant for gradient hooks, e.g. DistributedDataParallel waiting for its all-reduces.
   *
   * @throws IllegalStateException if no backward pass is running on this thread
   */
  public static void queueCallback(Runnable callback) {
    List<Runnable> callbacks = CALLBACKS.get();
    if (callbacks == null) {
      throw new IllegalStateException("queueCallback: no backward pass is running on this thread;"
          + " call it from a gradient hook");
    }
    if (callback == null) {
      throw new IllegalArgumentException("queueCallback: null callback");
    }
    callbacks.add(callback);
  }

  /**
   * Returns the gradients of {@code outputs} with respect to {@code inputs} without touching any
   * {@code grad} field ({@code torch.autograd.grad}). With {@code createGraph} the result is itself
   * differentiable, for gradients of gradients.
   *
   * @param gradOutputs one per output; null entries (or a null array) mean ones for scalars
   * @param allowUnused if false, an input the outputs do not depend on raises; if true its gradient
   *     is null
   */
  public static Tensor[] grad(Tensor[] outputs, Tensor[] inputs, Tensor[] gradOutputs, boolean retainGraph,
      boolean createGraph, boolean allowUnused) {
    Node[] targets = new Node[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      if (!inputs[i].requiresGrad()) {
        throw new IllegalArgumentException("grad: input " + i + " of shape " + inputs[i].shape()
            + " does not require grad");
      }
      targets[i] = inputs[i].edgeNode();
    }
    Map<Node, Tensor> captured = run(outputs, gradOutputs, retainGraph, createGraph, targets, true);
    Tensor[] result = new Tensor[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      result[i] = captured.get(targets[i]);
      if (result[i] == null && !allowUnused) {
        throw new IllegalArgumentException("grad: input " + i + " of shape " + inputs[i].shape()
            + " was not used in the graph of the outputs; pass allowUnused=true to get null");
      }
    }
    return result;
  }

  private static Map<Node, Tensor> run(Tensor[] outputs, Tensor[] gradOutputs, boolean retainGraph,
      boolean createGraph, Node[] targets, boolean captureOnly) {
    Map<Node, Tensor> pending = new HashMap<>();
    List<Node> roots = new ArrayList<>();
    for (int i = 0; i < outputs.length; i++) {
      Tensor out = outputs[i];
      if (!out.requiresGrad()) {
        throw new IllegalArgumentException("backward: output " + i + " of shape " + out.shape()
            + " does not require grad and has no grad_fn");
      }
      Tensor g = gradOutputs == null ? null : gradOutputs[i];
      if (g == null) {
        if (out.dtype().isComplex()) {
          throw new IllegalArgumentException("backward: grad can be implicitly created only for real scalar"
              + " outputs but got " + out.dtype() + " (shape " + out.shape() + "); take real(), abs() or"
              + " viewAsReal(...) of it first, or pass a gradient");
        }
        if (out.numel() != 1) {
          throw new IllegalArgumentException("backward: grad can be implicitly created only for scalar"
              + " outputs, but the output has shape " + out.shape() + "; pass a gradient");
        }
        g = Tensor.onesLike(out);
      } else if (!Arrays.equals(g.shapeArray(), out.shapeArray())) {
        throw new IllegalArgumentException("backward: gradient of shape " + g.shape()
            + " does not match the output's shape " + out.shape());
      } else if (!g.device().equals(out.device()) && g.dim() != 0) {
        throw new IllegalArgumentException("backward: gradient on " + g.device() + " does not match the"
            + " output's device " + out.device() + " (shape " + out.shape() + ")");
      } else {
        // As PyTorch's engine: a gradient of another dtype is cast to the output's.
        g = g.to(out.device()).to(out.dtype());
      }
      Node root = out.edgeNode();
      pending.merge(root, g, Tensor::add);
      roots.add(root);
    }
    // Count, for every node reachable from the roots, how many consumers will send it a gradient.
    Map<Node, Integer> dependencies = new IdentityHashMap<>();
    ArrayDeque<Node> stack = new ArrayDeque<>(roots);
    java.util.Set<Node> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    seen.addAll(roots);
    while (!stack.isEmpty()) {
      Node n = stack.pop();
      for (Node m : n.next) {
        if (m != null) {
          dependencies.merge(m, 1, Integer::sum);
          if (seen.add(m)) {
            stack.push(m);
          }
        }
      }
    }
    java.util.Set<Node> targetSet = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    if (targets != null) {
      targetSet.addAll(Arrays.asList(targets));
    }
    Map<Node, Tensor> captured = new IdentityHashMap<>();
    // Accumulated gradients this run allocated itself: only these may be added into in place.
    java.util.Set<Tensor> owned = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    PriorityQueue<Node> ready = new PriorityQueue<>((a, b) -> Long.compare(b.sequence, a.sequence));
    for (Node r : new java.util.LinkedHashSet<>(roots)) {
      if (!dependencies.containsKey(r)) {
        ready.add(r);
      }
    }
    // Without createGraph nothing made here outlives backward except what lands in .grad (made
    // outside any scope), grad()'s results and what hooks saw: free the rest right away.
    List<Runnable> outerCallbacks = CALLBACKS.get();
    List<Runnable> callbacks = new ArrayList<>();
    CALLBACKS.set(callbacks);
    try {
      runGraph(pending, ready, dependencies, targetSet, captured, owned, retainGraph, createGraph,
          captureOnly);
      for (int i = 0; i < callbacks.size(); i++) {
        callbacks.get(i).run();
      }
    } finally {
      CALLBACKS.set(outerCallbacks);
    }
    return captured;
  }

  /**
   * Returns whether a leaf may take {@code grad} as its {@code grad} without the copy {@code
   * accumulateGrad} makes (PyTorch's AccumulateGrad steals an unshared gradient the same way): the
   * leaf has no grad yet, this backward made {@code grad} (its scope of temporaries owns it, so no
   * user, saved tensor or hook holds it), it fills its whole storage, and no other waiting gradient
   * shares that storage (an op that hands one gradient to several inputs). Without createGraph only.
   */
  private static boolean mayTake(Tensor leaf, Tensor grad, TensorScope temporaries, Map<Node, Tensor> pending) {
    if (temporaries == null || dev.ember.internal.GradAccess.peek(leaf) != null || !temporaries.ownsFreely(grad)
        || !grad.coversItsStorage()) {
      return false;
    }
    for (Tensor waiting : pending.values()) {
      if (waiting.storageIdentity() == grad.storageIdentity()) {
        return false;
      }
    }
    return true;
  }

  /** Runs the nodes from the ready roots to the leaves: the body of {@link #run}. */
  private static void runGraph(Map<Node, Tensor> pending, PriorityQueue<Node> ready,
      Map<Node, Integer> dependencies, java.util.Set<Node> targetSet, Map<Node, Tensor> captured,
      java.util.Set<Tensor> owned, boolean retainGraph, boolean createGraph, boolean captureOnly) {
    try (GradMode mode = GradMode.set(createGraph);
        TensorScope temporaries = createGraph ? null : TensorScope.open()) {
      while (!ready.isEmpty()) {
        Node node = ready.poll();
        Tensor grad = pending.remove(node);
        if (grad != null && node.hooks != null) {
          for (var hook : List.copyOf(node.hooks)) {
            if (temporaries != null) {
              temporaries.escape(grad);
            }
            Tensor replaced = hook.apply(grad);
            if (replaced != null) {
              node.checkHookResult(grad, replaced);
              grad = replaced;
            }
          }
        }
        if (targetSet.contains(node)) {
          captured.put(node, grad);
          if (temporaries != null) {
            temporaries.keep(grad);
          }
        }
        Tensor retainedTensor = node.retained == null ? null : node.retained.get();
        if (retainedTensor != null && grad != null && !captureOnly) {
          retainedTensor.accumulateGrad(createGraph ? grad : grad.detach());
        }
        if (node.leaf != null) {
          if (!captureOnly && grad != null) {
            if (mayTake(node.leaf, grad, temporaries, pending)) {
              temporaries.escape(grad);
              owned.remove(grad);
              node.leaf.takeGrad(grad);
            } else {
              node.leaf.accumulateGrad(createGraph ? grad : grad.detach());
            }
          }
          continue;
        }
        if (node.sliceSpec != null && !createGraph && grad != null && node.next[0] != null) {
          node.checkRunnable();
          Node m = node.next[0];
          Tensor acc = pending.get(m);
          if (acc == null || !owned.contains(acc)) {
            Tensor fresh = acc == null ? Tensor.zeros(Shape.of(m.outputShape), grad.dtype(), grad.device())
                : acc.clone();
            owned.add(fresh);
            pending.put(m, fresh);
            acc = fresh;
          }
          int[] spec = node.sliceSpec;
          int length = grad.size(spec[0]);
          acc.slice(spec[0], spec[1], spec[1] + (length - 1) * spec[2] + 1, spec[2]).addInPlace(grad);
          if (dependencies.merge(m, -1, Integer::sum) == 0) {
            ready.add(m);
          }
          if (!retainGraph) {
            node.release();
          }
          continue;
        }
        Tensor[] inputGrads = grad == null ? new Tensor[node.next.length] : node.run(grad);
        if (temporaries != null && grad != null && !targetSet.contains(node) && node.retained == null) {
          // The node has consumed its gradient: free it now unless an input gradient shares its
          // storage (add passes it on, views of it) — this keeps backward's peak memory at the
          // live frontier instead of every gradient of the graph.
          boolean passedOn = false;
          for (Tensor ig : inputGrads) {
            passedOn |= ig != null && ig.storageIdentity() == grad.storageIdentity();
          }
          // The same tensor may also wait as another node's gradient (an op that hands one
          // gradient to several inputs).
          for (Tensor waiting : pending.values()) {
            passedOn |= waiting.storageIdentity() == grad.storageIdentity();
          }
          if (!passedOn) {
            owned.remove(grad);
            temporaries.freeIfOwned(grad);
          }
        }
        for (int i = 0; i < node.next.length; i++) {
          Node m = node.next[i];
          if (m == null) {
            continue;
          }
          Tensor g = i < inputGrads.length ? inputGrads[i] : null;
          if (g != null) {
            g = m.conform(g, node.name, i);
            Tensor acc = pending.get(m);
            if (acc == null) {
              pending.put(m, g);
            } else if (!createGraph && owned.contains(acc)) {
              acc.addInPlace(g);
            } else {
              Tensor sum = acc.add(g);
              if (!createGraph) {
                owned.add(sum);
              }
              pending.put(m, sum);
            }
          }
          if (dependencies.merge(m, -1, Integer::sum) == 0) {
            ready.add(m);
          }
        }
        if (!retainGraph) {
          node.release();
        }
      }
    }
  }
}
