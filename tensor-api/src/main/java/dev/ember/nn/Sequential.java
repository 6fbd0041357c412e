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

  /**
   * Returns a Sequential of the children at positions {@code [from, to)}, the same module objects
   * under the same names, PyTorch's {@code seq[from:to]}. Negative positions count from the end and
   * out-of-range ones are clamped, as in a Python slice.
   */
  public Sequential slice(int from, int to) {
    int n = size();
    int a = clampSlice(from, n);
    int b = clampSlice(to, n);
    java.util.LinkedHashMap<String, Module> picked = new java.util.LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, Module> e : namedChildren().entrySet()) {
      if (i >= a && i < b) {
        picked.put(e.getKey(), e.getValue());
      }
      i++;
    }
    return new Sequential(picked);
  }

  private static int clampSlice(int index, int n) {
    int i = index < 0 ? index + n : index;
    return Math.max(0, Math.min(n, i));
  }

  /** Inserts {@code module} before position {@code index} (negative counts from the end); returns this. */
  public Sequential insert(int index, Module module) {
    java.util.List<Module> list = new java.util.ArrayList<>(children());
    list.add(ListIndex.forInsert(index, list.size()), module);
    renumberChildren(list);
    return this;
  }

  /** Appends every module of {@code modules}; returns this. */
  public Sequential extend(Iterable<? extends Module> modules) {
    modules.forEach(this::add);
    return this;
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
