package dev.ember.optim;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.internal.GradAccess;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The base of every optimizer, PyTorch's {@code torch.optim.Optimizer}: parameter groups with their
 * own hyper-parameters, per-parameter state, {@link #step()}, {@link #zeroGrad()} and state dicts.
 *
 * <p>Updates run under {@link GradMode#noGrad()} as in-place ops on the parameters, so the
 * parameter tensors keep their identity. Create an optimizer after {@code module.to(...)}: moving a
 * module replaces its parameter tensors.
 *
 * <p>Subclasses implement {@link #update}, called once per parameter that has a gradient.
 */
public abstract class Optimizer {
  private final LinkedHashMap<String, Object> defaults;
  private final List<ParamGroup> groups = new ArrayList<>();
  private final Map<Tensor, LinkedHashMap<String, Object>> state = new IdentityHashMap<>();

  /**
   * Creates an optimizer over {@code groups}, filling each group's unset options from {@code
   * defaults} (PyTorch's option names and values).
   */
  protected Optimizer(List<ParamGroup> groups, Map<String, Object> defaults) {
    this.defaults = new LinkedHashMap<>(defaults);
    if (groups.isEmpty()) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": optimizer got an empty parameter list");
    }
    for (ParamGroup g : groups) {
      addParamGroup(g);
    }
  }

  /**
   * Updates {@code param} in place from its gradient. Runs with grad mode off.
   *
   * @param group the parameter's group, holding its hyper-parameters
   * @param param the parameter
   * @param grad its gradient (never null; don't modify it in place)
   * @param state this parameter's state, empty on its first update; put tensors and Doubles in it
   */
  protected abstract void update(ParamGroup group, Tensor param, Tensor grad, Map<String, Object> state);

  /**
   * Checks a group's options once they are complete (e.g. non-negative lr); throws
   * IllegalArgumentException. The default accepts everything.
   */
  protected void validate(ParamGroup group) {}

  /**
   * Adds a group, filling its unset options from the defaults; PyTorch's {@code add_param_group}.
   *
   * @throws IllegalArgumentException for an unknown option or a parameter already in another group
   */
  public void addParamGroup(ParamGroup group) {
    for (String k : group.keys()) {
      if (!defaults.containsKey(k) && !k.equals("initial_lr")) {
        throw new IllegalArgumentException(getClass().getSimpleName() + ": unknown option '" + k
            + "' (known: " + defaults.keySet() + ")");
      }
    }
    defaults.forEach((k, v) -> {
      if (!group.has(k)) {
        group.set(k, v);
      }
    });
    for (Tensor p : group.params()) {
      if (!p.isLeaf()) {
        throw new IllegalArgumentException(getClass().getSimpleName() + ": can't optimize a non-leaf tensor "
            + p.shape());
      }
      for (ParamGroup other : groups) {
        for (Tensor q : other.params()) {
          if (q == p) {
            throw new IllegalArgumentException(getClass().getSimpleName()
                + ": some parameters appear in more than one parameter group");
          }
        }
      }
    }
    validate(group);
    groups.add(group);
  }

  /** Returns the parameter groups (the list is read-only; the groups are live). */
  public List<ParamGroup> paramGroups() {
    return Collections.unmodifiableList(groups);
  }

  /** Returns the default options, PyTorch's {@code optimizer.defaults}. */
  public Map<String, Object> defaults() {
    return Collections.unmodifiableMap(defaults);
  }

  /** Returns the state of {@code param} (live; empty before its first update). */
  public Map<String, Object> state(Tensor param) {
    return state.computeIfAbsent(param, k -> new LinkedHashMap<>());
  }

  /**
   * Clears every parameter's gradient (sets it to null, PyTorch's default {@code set_to_none}); a gradient
   * no user code was handed ({@link Tensor#grad()}) is freed at once, as PyTorch frees it.
   */
  public void zeroGrad() {
    for (ParamGroup g : groups) {
      for (Tensor p : g.params()) {
        p.setGrad(null);
      }
    }
  }

  /** Performs one optimization step on every parameter that has a gradient. */
  public void step() {
    // Temporaries of the update are freed at once; the state it creates outlives every scope.
    try (GradMode off = GradMode.noGrad(); TensorScope temporaries = TensorScope.open()) {
      for (ParamGroup g : groups) {
        for (Tensor p : g.params()) {
          Tensor grad = GradAccess.peek(p);   // used in this step only: zeroGrad may free it
          if (grad != null) {
            Map<String, Object> s = state(p);
            update(g, p, grad, s);
            for (Object v : s.values()) {
              if (v instanceof Tensor t) {
                temporaries.escape(t);
              }
            }
          }
        }
      }
    }
  }

  /**
   * Re-evaluates the model with {@code closure} (grad mode on; it should clear gradients, compute
   * the loss and call backward), then steps; returns the closure's loss.
   */
  public Tensor step(Supplier<Tensor> closure) {
    Tensor loss;
    try (GradMode on = GradMode.enableGrad()) {
      loss = closure.get();
    }
    step();
    return loss;
  }

  // ---------------------------------------------------------------- state dict

  /**
   * Returns a snapshot in PyTorch's layout: {@code "state"} maps each parameter's index (counted
   * across groups in order) to its state (tensors copied, numbers as Double), and {@code
   * "param_groups"} lists each group's options with {@code "params"}: its parameters' indices.
   */
  public LinkedHashMap<String, Object> stateDict() {
    LinkedHashMap<Integer, Map<String, Object>> packedState = new LinkedHashMap<>();
    List<Map<String, Object>> packedGroups = new ArrayList<>();
    int index = 0;
    for (ParamGroup g : groups) {
      LinkedHashMap<String, Object> opts = g.copyOptions();
      List<Integer> ids = new ArrayList<>();
      for (Tensor p : g.params()) {
        LinkedHashMap<String, Object> s = state.get(p);
        if (s != null && !s.isEmpty()) {
          LinkedHashMap<String, Object> copy = new LinkedHashMap<>();
          try (GradMode off = GradMode.noGrad()) {
            s.forEach((k, v) -> copy.put(k, v instanceof Tensor t ? t.detach().clone() : v));
          }
          packedState.put(index, copy);
        }
        ids.add(index++);
      }
      opts.put("params", List.copyOf(ids));
      packedGroups.add(opts);
    }
    LinkedHashMap<String, Object> out = new LinkedHashMap<>();
    out.put("state", packedState);
    out.put("param_groups", packedGroups);
    return out;
  }

  /**
   * Restores a {@link #stateDict()}: group options and per-parameter state (tensors copied to each
   * parameter's device, floating ones to its dtype). The groups must have the saved sizes.
   *
   * @throws IllegalArgumentException if the number or sizes of the groups differ, or a state tensor
   *     does not have its parameter's shape (naming the parameter's index and both shapes); the
   *     optimizer is then left unchanged
   */
  @SuppressWarnings("unchecked")
  public void loadStateDict(Map<String, Object> stateDict) {
    List<Map<String, Object>> savedGroups = (List<Map<String, Object>>) stateDict.get("param_groups");
    Map<Integer, Map<String, Object>> savedState = (Map<Integer, Map<String, Object>>) stateDict.get("state");
    if (savedGroups == null || savedState == null) {
      throw new IllegalArgumentException("loadStateDict: expected keys 'state' and 'param_groups', got "
          + stateDict.keySet());
    }
    if (savedGroups.size() != groups.size()) {
      throw new IllegalArgumentException("loadStateDict: loaded state dict has " + savedGroups.size()
          + " parameter groups, the optimizer has " + groups.size());
    }
    List<Tensor> byIndex = new ArrayList<>();
    for (int i = 0; i < groups.size(); i++) {
      List<?> ids = (List<?>) savedGroups.get(i).get("params");
      if (ids == null || ids.size() != groups.get(i).params().size()) {
        throw new IllegalArgumentException("loadStateDict: loaded state dict contains a parameter group that"
            + " doesn't match the size of optimizer's group " + i);
      }
      byIndex.addAll(groups.get(i).params());
    }
    checkStateShapes(savedState, byIndex);
    for (int i = 0; i < groups.size(); i++) {
      ParamGroup g = groups.get(i);
      savedGroups.get(i).forEach((k, v) -> {
        if (!k.equals("params")) {
          g.set(k, v);
        }
      });
    }
    state.clear();
    try (GradMode off = GradMode.noGrad()) {
      for (Map.Entry<Integer, Map<String, Object>> e : savedState.entrySet()) {
        Tensor p = byIndex.get(e.getKey());
        LinkedHashMap<String, Object> s = new LinkedHashMap<>();
        e.getValue().forEach((k, v) -> {
          if (v instanceof Tensor t) {
            Tensor moved = t.to(p.device());
            if (moved.dtype().isFloatingPoint() && moved.dtype() != p.dtype()) {
              moved = moved.to(p.dtype());
            }
            s.put(k, moved.detach().clone());
          } else {
            s.put(k, v);
          }
        });
        state.put(p, s);
      }
    }
  }

  /**
   * Checks, before anything is changed, that every saved state entry belongs to a parameter of
   * this optimizer and that its tensors have that parameter's shape (every optimizer's state
   * tensors do), so a mismatched checkpoint fails on load, not at the first step.
   */
  private static void checkStateShapes(Map<Integer, Map<String, Object>> savedState, List<Tensor> byIndex) {
    for (Map.Entry<Integer, Map<String, Object>> e : savedState.entrySet()) {
      int index = e.getKey();
      if (index < 0 || index >= byIndex.size()) {
        throw new IllegalArgumentException("loadStateDict: loaded state dict has state for parameter " + index
            + ", but the optimizer has " + byIndex.size() + " parameters");
      }
      Tensor p = byIndex.get(index);
      for (Map.Entry<String, Object> kv : e.getValue().entrySet()) {
        if (kv.getValue() instanceof Tensor t && !t.shape().equals(p.shape())) {
          throw new IllegalArgumentException("loadStateDict: state '" + kv.getKey() + "' of parameter " + index
              + " has shape " + t.shape() + ", but the parameter has shape " + p.shape());
        }
      }
    }
  }

  /**
   * Returns the tensors of {@link #stateDict()} under flat keys {@code state.<index>.<name>}, for
   * checkpoint formats that hold tensors and string scalars separately ({@code dev.ember.io}).
   */
  public LinkedHashMap<String, Tensor> stateTensors() {
    return FlatState.tensors(stateDict());
  }

  /**
   * Returns the non-tensor part of {@link #stateDict()} as strings: {@code state.<index>.step},
   * {@code param_groups.<group>.<option>} (arrays as {@code [0.9,0.999]}, parameter indices as
   * {@code {0,1}}); numbers round-trip exactly.
   */
  public LinkedHashMap<String, String> stateScalars() {
    return FlatState.scalars(stateDict());
  }

  /** Restores a state saved as {@link #stateTensors()} and {@link #stateScalars()}. */
  public void loadStateDict(Map<String, Tensor> tensors, Map<String, String> scalars) {
    loadStateDict(FlatState.unflatten(tensors, scalars));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append(" (");
    for (int i = 0; i < groups.size(); i++) {
      sb.append("\nParameter Group ").append(i);
      groups.get(i).options().forEach((k, v) -> sb.append("\n    ").append(k).append(": ")
          .append(v instanceof double[] a ? java.util.Arrays.toString(a) : v));
    }
    return sb.append("\n)").toString();
  }
}
