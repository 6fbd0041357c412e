package dev.ember.ops;

import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Einstein summation. Two-operand contractions become one batched matrix product (batch labels,
 * then free labels of each side, contracted labels in the middle); other forms multiply all
 * operands broadcast over every label and sum what the output lacks. Gradients come from the ops
 * used. Labels are single letters; ellipsis and repeated labels within one operand are not
 * supported and raise.
 */
final class Einsum {
  private Einsum() {}

  static Tensor evaluate(String equation, Tensor... operands) {
    String eq = equation.replace(" ", "");
    if (eq.contains(".")) {
      throw new UnsupportedOperationException("einsum: ellipsis is not supported in '" + equation + "'");
    }
    String[] sides = eq.split("->", -1);
    String[] inputs = sides[0].split(",", -1);
    if (inputs.length != operands.length) {
      throw new IllegalArgumentException("einsum: '" + equation + "' names " + inputs.length
          + " operands but " + operands.length + " were given");
    }
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < inputs.length; i++) {
      String labels = inputs[i];
      if (labels.length() != operands[i].dim()) {
        throw new IllegalArgumentException("einsum: operand " + i + " has " + operands[i].dim()
            + " dims (shape " + operands[i].shape() + ") but '" + labels + "' names " + labels.length());
      }
      for (char c : labels.toCharArray()) {
        if (!Character.isLetter(c)) {
          throw new IllegalArgumentException("einsum: bad label '" + c + "' in '" + equation + "'");
        }
        if (labels.indexOf(c) != labels.lastIndexOf(c)) {
          throw new UnsupportedOperationException("einsum: repeated label '" + c + "' in one operand ("
              + labels + ") is not supported");
        }
        if (all.indexOf(String.valueOf(c)) < 0) {
          all.append(c);
        }
      }
    }
    String output;
    if (sides.length == 2) {
      output = sides[1];
    } else {
      // Implicit output: labels that appear exactly once, in alphabetical order.
      StringBuilder o = new StringBuilder();
      char[] sorted = all.toString().toCharArray();
      Arrays.sort(sorted);
      for (char c : sorted) {
        if (sides[0].indexOf(c) == sides[0].lastIndexOf(c)) {
          o.append(c);
        }
      }
      output = o.toString();
    }
    for (char c : output.toCharArray()) {
      if (all.indexOf(String.valueOf(c)) < 0) {
        throw new IllegalArgumentException("einsum: output label '" + c + "' appears in no operand");
      }
    }
    if (operands.length == 2) {
      return contractPair(inputs[0], operands[0], inputs[1], operands[1], output);
    }
    return broadcastProduct(inputs, operands, all.toString(), output);
  }

  /** Sums away labels of one operand that appear neither in the other nor in the output. */
  private static Object[] sumPrivate(String labels, Tensor t, String other, String output) {
    StringBuilder kept = new StringBuilder();
    List<Integer> dims = new ArrayList<>();
    for (int i = 0; i < labels.length(); i++) {
      char c = labels.charAt(i);
      if (other.indexOf(c) < 0 && output.indexOf(c) < 0) {
        dims.add(i);
      } else {
        kept.append(c);
      }
    }
    Tensor r = dims.isEmpty() ? t : t.sum(dims.stream().mapToInt(Integer::intValue).toArray(), false);
    return new Object[] {kept.toString(), r};
  }

  private static Tensor contractPair(String la, Tensor a, String lb, Tensor b, String output) {
    Object[] pa = sumPrivate(la, a, lb, output);
    Object[] pb = sumPrivate(lb, b, la, output);
    la = (String) pa[0];
    a = (Tensor) pa[1];
    lb = (String) pb[0];
    b = (Tensor) pb[1];
    StringBuilder batch = new StringBuilder();
    StringBuilder left = new StringBuilder();
    StringBuilder right = new StringBuilder();
    StringBuilder contracted = new StringBuilder();
    for (char c : la.toCharArray()) {
      boolean inB = lb.indexOf(c) >= 0;
      boolean inOut = output.indexOf(c) >= 0;
      if (inB && inOut) {
        batch.append(c);
      } else if (inB) {
        contracted.append(c);
      } else {
        left.append(c);
      }
    }
    for (char c : lb.toCharArray()) {
      if (la.indexOf(c) < 0) {
        right.append(c);
      }
    }
    int[] sizes = new int[128];
    for (int i = 0; i < la.length(); i++) {
      sizes[la.charAt(i)] = a.size(i);
    }
    for (int i = 0; i < lb.length(); i++) {
      char c = lb.charAt(i);
      if (la.indexOf(c) >= 0 && sizes[c] != b.size(i) && sizes[c] != 1 && b.size(i) != 1) {
        throw new IllegalArgumentException("einsum: label '" + c + "' has size " + sizes[c]
            + " in operand 0 but " + b.size(i) + " in operand 1");
      }
      sizes[c] = Math.max(sizes[c], b.size(i));
    }
    Tensor a3 = arrange(a, la, batch + "" + left + contracted, sizes, batch.length(), left.length());
    Tensor b3 = arrange(b, lb, batch + "" + contracted + right, sizes, batch.length(), contracted.length());
    Tensor r = a3.bmm(b3);
    String resultLabels = batch.toString() + left + right;
    int[] shape = new int[resultLabels.length()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = sizes[resultLabels.charAt(i)];
    }
    r = r.reshape(shape);
    return permuteTo(r, resultLabels, output);
  }

  /** Permutes t to {@code order}, expands to full sizes and folds into [B, X, Y]. */
  private static Tensor arrange(Tensor t, String labels, String order, int[] sizes, int nBatch, int nX) {
    Tensor p = permuteTo(t, labels, order);
    int[] full = new int[order.length()];
    for (int i = 0; i < full.length; i++) {
      full[i] = sizes[order.charAt(i)];
    }
    p = p.expand(full);
    int batch = 1;
    int x = 1;
    int y = 1;
    for (int i = 0; i < full.length; i++) {
      if (i < nBatch) {
        batch *= full[i];
      } else if (i < nBatch + nX) {
        x *= full[i];
      } else {
        y *= full[i];
      }
    }
    return p.reshape(batch, x, y);
  }

  private static Tensor permuteTo(Tensor t, String labels, String order) {
    int[] perm = new int[order.length()];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = labels.indexOf(order.charAt(i));
    }
    return t.permute(perm);
  }

  private static Tensor broadcastProduct(String[] inputs, Tensor[] operands, String all, String output) {
    Tensor product = null;
    for (int i = 0; i < operands.length; i++) {
      Tensor t = operands[i];
      String labels = inputs[i];
      StringBuilder present = new StringBuilder();
      for (char c : all.toCharArray()) {
        if (labels.indexOf(c) >= 0) {
          present.append(c);
        }
      }
      t = permuteTo(t, labels, present.toString());
      int[] shape = new int[all.length()];
      for (int j = 0, k = 0; j < all.length(); j++) {
        shape[j] = labels.indexOf(all.charAt(j)) >= 0 ? t.size(k++) : 1;
      }
      t = t.reshape(shape);
      product = product == null ? t : product.mul(t);
    }
    List<Integer> summed = new ArrayList<>();
    StringBuilder rest = new StringBuilder();
    for (int j = 0; j < all.length(); j++) {
      if (output.indexOf(all.charAt(j)) < 0) {
        summed.add(j);
      } else {
        rest.append(all.charAt(j));
      }
    }
    if (!summed.isEmpty()) {
      product = product.sum(summed.stream().mapToInt(Integer::intValue).toArray(), false);
    }
    return permuteTo(product, rest.toString(), output);
  }
}
