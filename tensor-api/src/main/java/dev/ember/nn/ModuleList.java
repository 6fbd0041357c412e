package dev.ember.nn;

import java.util.Iterator;
import java.util.List;

/**
 * Holds modules in a list so their parameters are registered, PyTorch's {@code nn.ModuleList};
 * children are named {@code "0"}, {@code "1"}, .... It has no forward of its own.
 */
public class ModuleList extends Module implements Iterable<Module> {
  /** Creates a list of {@code modules}. */
  public ModuleList(Module... modules) {
    for (Module m : modules) {
      add(m);
    }
  }

  /** Creates a list of {@code modules}. */
  public ModuleList(List<? extends Module> modules) {
    modules.forEach(this::add);
  }

  /** Appends {@code module}; returns this. */
  public ModuleList add(Module module) {
    registerModule(Integer.toString(size()), module);
    return this;
  }

  /** Appends every module of {@code modules}, PyTorch's {@code extend}; returns this. */
  public ModuleList extend(Iterable<? extends Module> modules) {
    modules.forEach(this::add);
    return this;
  }

  /**
   * Inserts {@code module} before position {@code index} (negative counts from the end, as in
   * Python's {@code list.insert}); later modules move up one name. Returns this.
   */
  public ModuleList insert(int index, Module module) {
    java.util.List<Module> list = new java.util.ArrayList<>(children());
    list.add(ListIndex.forInsert(index, list.size()), module);
    renumberChildren(list);
    return this;
  }

  /** Returns the module at {@code index} (negative counts from the end). */
  public Module get(int index) {
    int n = size();
    if (index < -n || index >= n) {
      throw new IndexOutOfBoundsException("ModuleList: index " + index + " is out of range for " + n
          + " modules");
    }
    return children().get(index < 0 ? index + n : index);
  }

  /** Returns the number of modules. */
  public int size() {
    return namedChildren().size();
  }

  /** Iterates the modules in order. */
  @Override
  public Iterator<Module> iterator() {
    return children().iterator();
  }
}
