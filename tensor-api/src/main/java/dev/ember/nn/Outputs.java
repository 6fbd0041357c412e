package dev.ember.nn;

import dev.ember.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * The outputs of a module whose forward returns several tensors, PyTorch's returned tuple: minGPT's
 * {@code logits, loss = model(idx, targets)} is {@code Outputs out = model.call(idx, targets);
 * out.get(0); out.get(1)}. Entries may be null (a loss that was not computed, PyTorch's {@code
 * None}). Immutable.
 */
public final class Outputs implements Iterable<Tensor> {
  private final List<Tensor> tensors;

  private Outputs(Tensor[] tensors) {
    this.tensors = Collections.unmodifiableList(Arrays.asList(tensors.clone()));
  }

  /** Returns the outputs {@code tensors}, in order (null entries allowed). */
  public static Outputs of(Tensor... tensors) {
    return new Outputs(tensors);
  }

  /** Returns the outputs in {@code tensors}, in order (null entries allowed). */
  public static Outputs of(List<Tensor> tensors) {
    return new Outputs(tensors.toArray(new Tensor[0]));
  }

  /** Returns output {@code index} (negative counts from the end); may be null. */
  public Tensor get(int index) {
    int n = tensors.size();
    if (index < -n || index >= n) {
      throw new IndexOutOfBoundsException("Outputs: index " + index + " is out of range for " + n + " outputs");
    }
    return tensors.get(index < 0 ? index + n : index);
  }

  /** Returns how many outputs there are. */
  public int size() {
    return tensors.size();
  }

  /** Returns the outputs as an unmodifiable list (null entries kept). */
  public List<Tensor> asList() {
    return tensors;
  }

  /**
   * Returns the only output.
   *
   * @throws IllegalStateException naming {@code who} if there is not exactly one output
   */
  public Tensor single(String who) {
    if (tensors.size() != 1) {
      throw new IllegalStateException(who + ": forward returned " + tensors.size() + " outputs where one"
          + " tensor was expected; call it with call(Tensor...) and read the Outputs");
    }
    return tensors.get(0);
  }

  /** Iterates the outputs in order. */
  @Override
  public Iterator<Tensor> iterator() {
    return tensors.iterator();
  }

  /** Returns {@code Outputs[...]} with each output's shape (or null). */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Outputs[");
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      sb.append(i == 0 ? "" : ", ").append(t == null ? "null" : t.shape().toString());
    }
    return sb.append(']').toString();
  }
}
