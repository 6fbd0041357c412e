package dev.ember.nn;

import java.util.Map;
import java.util.Set;

/**
 * Holds named modules so their parameters are registered, PyTorch's {@code nn.ModuleDict}; keys
 * keep insertion order and become state-dict prefixes. It has no forward of its own.
 */
public class ModuleDict extends Module {
  /** Creates an empty dict. */
  public ModuleDict() {}

  /** Creates a dict of {@code modules}, in the map's iteration order. */
  public ModuleDict(Map<String, ? extends Module> modules) {
    modules.forEach(this::put);
  }

  /** Adds {@code module} under {@code key} (which must be new and contain no '.'); returns this. */
  public ModuleDict put(String key, Module module) {
    registerModule(key, module);
    return this;
  }

  /** Returns the module under {@code key}. */
  public Module get(String key) {
    return child(key);
  }

  /** Returns whether {@code key} is present. */
  public boolean containsKey(String key) {
    return namedChildren().containsKey(key);
  }

  /** Returns the keys in insertion order. */
  public Set<String> keySet() {
    return namedChildren().keySet();
  }

  /** Returns the number of modules. */
  public int size() {
    return namedChildren().size();
  }
}
