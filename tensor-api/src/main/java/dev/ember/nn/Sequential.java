package dev.ember.nn;

import dev.ember.Tensor;
import java.util.Map;

/**
 * Runs its children in order, each output feeding the next, PyTorch's {@code nn.Sequential}.
 * Children are named {@code "0"}, {@code "1"}, ... unless given names, so a state dict reads {@code
 * "0.weight"} as in PyTorch.
 */
public class Sequential extends Module {
  /** Creates a container of {@code modules}, named by position. */
  public Sequential(Module... modules) {
    for (Module m : modules) {
      add(m);
    }
  }

  /** Creates a container of named modules, in the map's iteration order. */
  public Sequential(Map<String, ? extends Module> modules) {
    modules.forEach(this::registerModule);
  }

  /** Appends {@code module} under the next position as name; returns this. */
  public Sequential add(Module module) {
    registerModule(Integer.toString(namedChildren().size()), module);
    return this;
  }

  /** Returns the child at {@code index} (negative counts from the end). */
  public Module get(int index) {
    int n = size();
    if (index < -n || index >= n) {
      throw new IndexOutOfBoundsException("Sequential: index " + index + " is out of range for " + n + " modules");
    }
    return children().get(index < 0 ? index + n : index);
  }

  /** Returns the number of children. */
  public int size() {
    return namedChildren().size();
  }

  /** Feeds {@code input} through every child's {@link Module#call}. */
  @Override
  public Tensor forward(Tensor input) {
    Tensor x = input;
    for (Module m : children()) {
      x = m.call(x);
    }
    return x;
  }
}
