package dev.ember.nn;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.RemovableHandle;
import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A building block of a network, PyTorch's {@code torch.nn.Module}: it owns named parameters
 * (leaf tensors that require grad), named buffers (state such as BatchNorm's running statistics)
 * and named child modules, all kept in registration order.
 *
 * <p>Names follow PyTorch's, so {@link #stateDict()} keys ({@code "fc1.weight"}, {@code
 * "bn1.running_mean"}) match a PyTorch model of the same architecture.
 *
 * <p>{@link #forward(Tensor)} is the computation; {@link #call(Tensor)} is PyTorch's {@code
 * module(x)}: it runs the forward pre-hooks, {@code forward} and then the forward hooks. A module
 * with several inputs or outputs overrides {@link #forward(Tensor...)} and is called with {@link
 * #call(Tensor...)}, which returns {@link Outputs}. Containers call their children through {@code
 * call}, so hooks fire anywhere in a model.
 *
 * <p><b>Tensors are replaced, not mutated, by {@link #to(DType)} and {@link #to(Device)}:</b> an
 * Ember tensor's dtype and device are final, so these methods put new parameter tensors into the
 * module. Create optimizers after moving a model; an optimizer made before holds the old tensors.
 * Subclasses therefore read their parameters through {@link #param(String)} on every forward, never
 * from a field cached at construction.
 */
public abstract class Module {
  private final LinkedHashMap<String, Tensor> parameters = new LinkedHashMap<>();
  private final LinkedHashMap<String, Tensor> buffers = new LinkedHashMap<>();
  private final Set<String> nonPersistent = new HashSet<>();
  private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
  private final List<ForwardOutputsHook> forwardHooks = new ArrayList<>();
  private final List<ForwardPreHook> forwardPreHooks = new ArrayList<>();
  private boolean training = true;

  /** Creates a module in training mode with nothing registered. */
  protected Module() {}

  /**
   * A function run after {@link Module#call(Tensor)}'s forward, PyTorch's {@code
   * register_forward_hook}, for modules with one output tensor.
   */
  @FunctionalInterface
  public interface ForwardHook {
    /**
     * Sees the module, its inputs and its output; returns a replacement output or null to keep it.
     */
    Tensor apply(Module module, List<Tensor> inputs, Tensor output);
  }

  /**
   * A function run after forward that sees every output ({@link Outputs}), PyTorch's {@code
   * register_forward_hook} on a module that returns a tuple.
   */
  @FunctionalInterface
  public interface ForwardOutputsHook {
    /**
     * Sees the module, its inputs and its outputs; returns replacement outputs or null to keep them.
     */
    Outputs apply(Module module, List<Tensor> inputs, Outputs outputs);
  }

  /**
   * A function run before forward, PyTorch's {@code register_forward_pre_hook}.
   */
  @FunctionalInterface
  public interface ForwardPreHook {
    /**
     * Sees the module and its inputs (null entries allowed); returns replacement inputs, which
     * forward then receives, or null to keep them.
     */
    List<Tensor> apply(Module module, List<Tensor> inputs);
  }

  /**
   * Removes the hook it was returned for; {@link #remove()} is idempotent. A {@link
   * RemovableHandle}, so {@code close()} removes it too.
   */
  public interface HookHandle extends RemovableHandle {}

  // ---------------------------------------------------------------- computation

  /**
   * Computes this module's output for one input. Modules with other signatures (losses, LSTM,
   * attention) offer their own {@code forward} methods and throw here.
   *
   * @throws UnsupportedOperationException if the module does not take a single tensor
   */
  public Tensor forward(Tensor input) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + ": forward(Tensor) is not defined for this module; see its own forward methods");
  }

  /**
   * Computes this module's outputs for several inputs (PyTorch's {@code forward(self, a, b)}
   * returning a tuple). Override it for a module that takes several tensors or returns several;
   * null inputs stand for PyTorch's {@code None}. By default one input goes to {@link
   * #forward(Tensor)}.
   *
   * @throws UnsupportedOperationException if the module does not take this many inputs
   */
  public Outputs forward(Tensor... inputs) {
    if (inputs.length == 1) {
      return Outputs.of(forward(inputs[0]));
    }
    throw new UnsupportedOperationException(getClass().getSimpleName() + ": forward with " + inputs.length
        + " inputs is not defined for this module (a module with several inputs overrides"
        + " forward(Tensor...))");
  }

  /**
   * PyTorch's {@code module(x)}: runs the forward pre-hooks, {@link #forward(Tensor...)} and the
   * forward hooks, and returns the only output.
   *
   * @throws IllegalStateException if forward returned several outputs (use {@link
   *     #call(Tensor...)})
   */
  public final Tensor call(Tensor input) {
    return callWithHooks(new Tensor[] {input}).single(getClass().getSimpleName());
  }

  /**
   * PyTorch's {@code module(a, b, ...)}: runs the forward pre-hooks (which may replace the inputs),
   * {@link #forward(Tensor...)} and the forward hooks (which may replace the outputs); returns every
   * output.
   */
  public final Outputs call(Tensor... inputs) {
    return callWithHooks(inputs.clone());
  }

  private Outputs callWithHooks(Tensor[] inputs) {
    if (forwardPreHooks.isEmpty() && forwardHooks.isEmpty()) {
      return forward(inputs);
    }
    List<Tensor> in = Collections.unmodifiableList(Arrays.asList(inputs));
    for (ForwardPreHook h : List.copyOf(forwardPreHooks)) {
      List<Tensor> replaced = h.apply(this, in);
      if (replaced != null) {
        in = Collections.unmodifiableList(new ArrayList<>(replaced));
      }
    }
    return runOutputHooks(in, forward(in.toArray(new Tensor[0])));
  }

  private Outputs runOutputHooks(List<Tensor> inputs, Outputs outputs) {
    Outputs out = outputs;
    for (ForwardOutputsHook h : List.copyOf(forwardHooks)) {
      Outputs replaced = h.apply(this, inputs, out);
      if (replaced != null) {
        out = replaced;
      }
    }
    return out;
  }

  /**
   * Runs the forward hooks on an output computed from {@code inputs}; returns the (possibly
   * replaced) output. For subclasses with call-like methods of their own (no pre-hooks run).
   */
  protected final Tensor runHooks(List<Tensor> inputs, Tensor output) {
    return runOutputHooks(inputs, Outputs.of(output)).single(getClass().getSimpleName());
  }

  /**
   * Registers a hook run after every {@code call} whose forward returned one tensor; returns a
   * handle that removes it. On a call with several outputs the hook raises {@link
   * IllegalStateException}: register a {@link ForwardOutputsHook} there instead.
   */
  public HookHandle registerForwardHook(ForwardHook hook) {
    return registerForwardOutputsHook((m, in, out) -> {
      if (out.size() != 1) {
        throw new IllegalStateException(getClass().getSimpleName() + ": a ForwardHook sees one output but"
            + " forward returned " + out.size() + "; use registerForwardOutputsHook");
      }
      Tensor replaced = hook.apply(m, in, out.get(0));
      return replaced == null ? null : Outputs.of(replaced);
    });
  }

  /**
   * Registers a hook run after every {@code call} that sees (and may replace) all outputs; returns
   * a handle that removes it.
   */
  public HookHandle registerForwardOutputsHook(ForwardOutputsHook hook) {
    return addHook(forwardHooks, hook);
  }

  /**
   * Registers a hook run before every {@code call}'s forward, PyTorch's {@code
   * register_forward_pre_hook}; it may replace the inputs. Returns a handle that removes it.
   */
  public HookHandle registerForwardPreHook(ForwardPreHook hook) {
    return addHook(forwardPreHooks, hook);
  }

  /** Adds {@code hook} to {@code hooks}; the handle removes that one registration, once. */
  private static <H> HookHandle addHook(List<H> hooks, H hook) {
    hooks.add(hook);
    boolean[] removed = {false};
    return () -> {
      if (!removed[0]) {
        removed[0] = true;
        hooks.remove(hook);
      }
    };
  }

  // ---------------------------------------------------------------- registration

  /**
   * Registers {@code tensor} as the parameter {@code name} (a leaf; marked as requiring grad if
   * floating). A null tensor registers an absent parameter (like {@code bias=False}). Returns the
   * tensor.
   *
   * @throws IllegalArgumentException if the name is empty, contains a dot, or is already taken
   */
  protected Tensor registerParameter(String name, Tensor tensor) {
    checkName("registerParameter", name, parameters.containsKey(name));
    if (tensor != null) {
      if (!tensor.isLeaf()) {
        throw new IllegalArgumentException("registerParameter: '" + name + "' must be a leaf tensor"
            + " (detach() it first)");
      }
      if (tensor.dtype().isFloatingPoint() && !tensor.requiresGrad()) {
        tensor.requiresGrad(true);
      }
    }
    parameters.put(name, dev.ember.TensorScope.disown(tensor));
    return tensor;
  }

  /**
   * Registers a buffer: state that is not trained but moves with {@link #to} and, when {@code
   * persistent}, appears in {@link #stateDict()}. A null tensor registers an absent buffer.
   */
  protected Tensor registerBuffer(String name, Tensor tensor, boolean persistent) {
    checkName("registerBuffer", name, buffers.containsKey(name));
    buffers.put(name, dev.ember.TensorScope.disown(tensor));
    if (!persistent) {
      nonPersistent.add(name);
    }
    return tensor;
  }

  /** Registers a persistent buffer; see {@link #registerBuffer(String, Tensor, boolean)}. */
  protected Tensor registerBuffer(String name, Tensor tensor) {
    return registerBuffer(name, tensor, true);
  }

  /** Registers {@code module} as the child {@code name}; returns it. */
  protected <M extends Module> M registerModule(String name, M module) {
    checkName("registerModule", name, children.containsKey(name));
    children.put(name, module);
    return module;
  }

  private void checkName(String op, String name, boolean taken) {
    if (name == null || name.isEmpty() || name.contains(".")) {
      throw new IllegalArgumentException(op + ": name must be non-empty and contain no '.', got '"
          + name + "'");
    }
    if (taken || parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException(op + ": attribute '" + name + "' already exists in "
          + getClass().getSimpleName());
    }
  }

  /** Returns this module's own parameter {@code name} (null if registered as absent). */
  protected Tensor param(String name) {
    if (!parameters.containsKey(name)) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameter '" + name + "'");
    }
    return parameters.get(name);
  }

  /** Returns this module's own buffer {@code name} (null if registered as absent). */
  protected Tensor buffer(String name) {
    if (!buffers.containsKey(name)) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": no buffer '" + name + "'");
    }
    return buffers.get(name);
  }

  /** Replaces the tensor of an existing own buffer (e.g. after an out-of-place update). */
  protected void setBuffer(String name, Tensor tensor) {
    buffer(name);
    buffers.put(name, dev.ember.TensorScope.disown(tensor));
  }

  /**
   * Replaces an existing own parameter, e.g. to tie weights; the tensor must be a leaf. Optimizers
   * created before hold the old tensor.
   */
  public void setParameter(String name, Tensor tensor) {
    param(name);
    if (tensor != null && tensor.dtype().isFloatingPoint() && !tensor.requiresGrad()) {
      tensor.requiresGrad(true);
    }
    parameters.put(name, dev.ember.TensorScope.disown(tensor));
  }

  /**
   * Replaces every child by {@code modules}, named by position {@code "0"}, {@code "1"}, ... (for
   * the list containers' insert).
   */
  void renumberChildren(List<? extends Module> modules) {
    children.clear();
    for (Module m : modules) {
      registerModule(Integer.toString(children.size()), m);
    }
  }

  /** Returns the child {@code name}. */
  protected Module child(String name) {
    Module m = children.get(name);
    if (m == null) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": no child module '" + name + "'");
    }
    return m;
  }

  // ---------------------------------------------------------------- traversal

  /** Returns the trainable parameters of this module and its descendants, each once, in order. */
  public List<Tensor> parameters() {
    return List.copyOf(namedParameters().values());
  }

  /**
   * Returns {@code "fc1.weight" -> tensor} for every parameter, depth first in registration order;
   * a tensor shared by two modules appears once, under its first name.
   */
  public LinkedHashMap<String, Tensor> namedParameters() {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    Map<Tensor, Boolean> seen = new IdentityHashMap<>();
    for (Map.Entry<String, Module> e : namedModules().entrySet()) {
      String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
      for (Map.Entry<String, Tensor> p : e.getValue().parameters.entrySet()) {
        if (p.getValue() != null && seen.put(p.getValue(), Boolean.TRUE) == null) {
          out.put(prefix + p.getKey(), p.getValue());
        }
      }
    }
    return out;
  }

  /** Returns the buffers of this module and its descendants, in order. */
  public List<Tensor> buffers() {
    return List.copyOf(namedBuffers().values());
  }

  /** Returns {@code "bn1.running_mean" -> tensor} for every buffer, persistent or not. */
  public LinkedHashMap<String, Tensor> namedBuffers() {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Module> e : namedModules().entrySet()) {
      String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
      for (Map.Entry<String, Tensor> b : e.getValue().buffers.entrySet()) {
        if (b.getValue() != null) {
          out.put(prefix + b.getKey(), b.getValue());
        }
      }
    }
    return out;
  }

  /** Returns the direct children, in registration order. */
  public List<Module> children() {
    return List.copyOf(children.values());
  }

  /** Returns the direct children by name, in registration order. */
  public Map<String, Module> namedChildren() {
    return Collections.unmodifiableMap(children);
  }

  /**
   * Returns this module (under {@code ""}) and every descendant under its dotted path ({@code
   * "encoder.layers.0"}), depth first; a module reachable twice appears once.
   */
  public LinkedHashMap<String, Module> namedModules() {
    LinkedHashMap<String, Module> out = new LinkedHashMap<>();
    collect("", this, out, new IdentityHashMap<>());
    return out;
  }

  private static void collect(String prefix, Module m, Map<String, Module> out, Map<Module, Boolean> seen) {
    if (seen.put(m, Boolean.TRUE) != null) {
      return;
    }
    out.put(prefix, m);
    for (Map.Entry<String, Module> c : m.children.entrySet()) {
      collect(prefix.isEmpty() ? c.getKey() : prefix + "." + c.getKey(), c.getValue(), out, seen);
    }
  }

  /** Returns this module and all descendants, depth first. */
  public List<Module> modules() {
    return List.copyOf(namedModules().values());
  }

  /**
   * Calls {@code fn} on every descendant (children first) and then on this module; returns this.
   */
  public Module apply(Consumer<Module> fn) {
    for (Module c : children.values()) {
      c.apply(fn);
    }
    fn.accept(this);
    return this;
  }

  // ---------------------------------------------------------------- modes and gradients

  /** Sets training mode on this module and all descendants; returns this. */
  public Module train(boolean mode) {
    training = mode;
    for (Module c : children.values()) {
      c.train(mode);
    }
    return this;
  }

  /** Sets training mode; returns this. */
  public Module train() {
    return train(true);
  }

  /** Sets evaluation mode (Dropout off, BatchNorm uses running statistics); returns this. */
  public Module eval() {
    return train(false);
  }

  /** Returns whether this module is in training mode. */
  public boolean isTraining() {
    return training;
  }

  /** Clears every parameter's gradient (sets it to null, PyTorch's {@code set_to_none=True}). */
  public void zeroGrad() {
    for (Tensor p : parameters()) {
      p.setGrad(null);
    }
  }

  /** Sets {@code requiresGrad} on every parameter (freezing with false); returns this. */
  public Module requiresGrad(boolean flag) {
    for (Tensor p : parameters()) {
      p.requiresGrad(flag);
    }
    return this;
  }

  // ---------------------------------------------------------------- dtype and device

  /**
   * Converts floating parameters, their gradients and floating buffers to {@code dtype}; integer
   * buffers such as {@code num_batches_tracked} keep theirs. Replaces the tensors (see the class
   * comment); returns this.
   */
  public Module to(DType dtype) {
    if (!dtype.isFloatingPoint()) {
      throw new IllegalArgumentException("Module.to: dtype must be floating, got " + dtype);
    }
    return convert(t -> t.dtype().isFloatingPoint() ? t.to(dtype) : t);
  }

  /** Moves parameters, their gradients and buffers to {@code device}; returns this. */
  public Module to(Device device) {
    return convert(t -> t.to(device));
  }

  /** Moves to the device named like PyTorch's ({@code "cuda:0"}); returns this. */
  public Module to(String device) {
    return to(Device.parse(device));
  }

  private Module convert(java.util.function.UnaryOperator<Tensor> fn) {
    try (GradMode off = GradMode.noGrad()) {
      Map<Tensor, Tensor> done = new IdentityHashMap<>();
      for (Module m : modules()) {
        for (Map.Entry<String, Tensor> e : m.parameters.entrySet()) {
          Tensor p = e.getValue();
          if (p != null) {
            e.setValue(done.computeIfAbsent(p, k -> convertLeaf(k, fn)));
          }
        }
        for (Map.Entry<String, Tensor> e : m.buffers.entrySet()) {
          if (e.getValue() != null) {
            e.setValue(done.computeIfAbsent(e.getValue(), fn::apply));
          }
        }
      }
    }
    return this;
  }

  /**
   * Runs {@code body} with every parameter of this module tree replaced by {@code parameter.apply(p)}
   * and every buffer by {@code buffer.apply(b)} (a tensor shared by several modules is replaced
   * once), then puts the originals back, also when {@code body} throws. For {@link DataParallel}'s
   * replicas: the replacements need not be leaves.
   */
  <T> T withTensorsReplaced(java.util.function.UnaryOperator<Tensor> parameter,
      java.util.function.UnaryOperator<Tensor> buffer, java.util.function.Supplier<T> body) {
    Map<Tensor, Tensor> done = new IdentityHashMap<>();
    List<Map.Entry<String, Tensor>> entries = new ArrayList<>();
    List<Tensor> originals = new ArrayList<>();
    try {
      for (Module m : modules()) {
        for (Map.Entry<String, Tensor> e : m.parameters.entrySet()) {
          if (e.getValue() != null) {
            entries.add(e);
            originals.add(e.getValue());
            e.setValue(done.computeIfAbsent(e.getValue(), parameter));
          }
        }
        for (Map.Entry<String, Tensor> e : m.buffers.entrySet()) {
          if (e.getValue() != null) {
            entries.add(e);
            originals.add(e.getValue());
            e.setValue(done.computeIfAbsent(e.getValue(), buffer));
          }
        }
      }
      return body.get();
    } finally {
      for (int i = 0; i < entries.size(); i++) {
        entries.get(i).setValue(originals.get(i));
      }
    }
  }

  private static Tensor convertLeaf(Tensor p, java.util.function.UnaryOperator<Tensor> fn) {
    Tensor moved = fn.apply(p.detach());
    if (moved.strided().storage() == p.strided().storage() && moved.dtype() == p.dtype()) {
      return p;
    }
    Tensor leaf = moved.detach();
    if (p.requiresGrad()) {
      leaf.requiresGrad(true);
    }
    if (p.grad() != null) {
      leaf.setGrad(fn.apply(p.grad()).detach());
    }
    return leaf;
  }

  // ---------------------------------------------------------------- state dict

  /**
   * Returns PyTorch's {@code state_dict}: every parameter and persistent buffer under its dotted
   * name, each module's own parameters then buffers, then its children. The tensors are detached
   * views sharing the module's storage (copy them to snapshot).
   */
  public LinkedHashMap<String, Tensor> stateDict() {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Module> e : namedModules().entrySet()) {
      String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
      Module m = e.getValue();
      m.parameters.forEach((k, v) -> {
        if (v != null) {
          out.put(prefix + k, v.detach());
        }
      });
      m.buffers.forEach((k, v) -> {
        if (v != null && !m.nonPersistent.contains(k)) {
          out.put(prefix + k, v.detach());
        }
      });
    }
    return out;
  }

  /**
   * Copies values from {@code state} into this module's parameters and persistent buffers (converted
   * to each tensor's dtype and device; parameters keep their identity, so optimizers stay valid).
   *
   * @param strict if true, missing or unexpected keys are an error, as in PyTorch
   * @return the keys that were missing or unexpected (both empty after a strict load)
   * @throws StateDictException for a shape mismatch (always), or missing/unexpected keys if strict;
   *     nothing is copied when it throws
   */
  public LoadReport loadStateDict(Map<String, Tensor> state, boolean strict) {
    LinkedHashMap<String, Tensor> own = new LinkedHashMap<>();
    for (Map.Entry<String, Module> e : namedModules().entrySet()) {
      String prefix = e.getKey().isEmpty() ? "" : e.getKey() + ".";
      Module m = e.getValue();
      m.parameters.forEach((k, v) -> {
        if (v != null) {
          own.put(prefix + k, v);
        }
      });
      m.buffers.forEach((k, v) -> {
        if (v != null && !m.nonPersistent.contains(k)) {
          own.put(prefix + k, v);
        }
      });
    }
    List<String> missing = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : own.entrySet()) {
      Tensor src = state.get(e.getKey());
      if (src == null) {
        missing.add(e.getKey());
      } else if (!Arrays.equals(src.shapeArray(), e.getValue().shapeArray())) {
        mismatched.add(e.getKey() + ": checkpoint " + src.shape() + " vs model " + e.getValue().shape());
      }
    }
    List<String> unexpected = new ArrayList<>();
    for (String k : state.keySet()) {
      if (!own.containsKey(k)) {
        unexpected.add(k);
      }
    }
    LoadReport report = new LoadReport(missing, unexpected, mismatched);
    if (!mismatched.isEmpty() || (strict && !report.isClean())) {
      throw new StateDictException(getClass().getSimpleName(), report);
    }
    try (GradMode off = GradMode.noGrad()) {
      for (Map.Entry<String, Tensor> e : own.entrySet()) {
        Tensor src = state.get(e.getKey());
        if (src != null) {
          e.getValue().copyInPlace(src);
        }
      }
    }
    return report;
  }

  /** Loads strictly; see {@link #loadStateDict(Map, boolean)}. */
  public LoadReport loadStateDict(Map<String, Tensor> state) {
    return loadStateDict(state, true);
  }

  // ---------------------------------------------------------------- printing

  /**
   * Returns the constructor arguments PyTorch prints, e.g. {@code in_features=4, ...}; may be
   * empty.
   */
  protected String extraRepr() {
    return "";
  }

  /** Returns the module tree as PyTorch prints it. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(').append(extraRepr());
    if (!children.isEmpty()) {
      sb.append('\n');
      for (Map.Entry<String, Module> c : children.entrySet()) {
        String child = c.getValue().toString().replace("\n", "\n  ");
        sb.append("  (").append(c.getKey()).append("): ").append(child).append('\n');
      }
    }
    return sb.append(')').toString();
  }
}
