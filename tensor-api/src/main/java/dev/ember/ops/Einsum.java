package dev.ember.ops;

import dev.ember.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Einstein summation. Two-operand contractions become one batched matrix product (batch labels,
 * then free labels of each side, contracted labels in the middle); other forms multiply all
 * operands broadcast over every label and sum what the output lacks. Gradients come from the ops
 * used. Labels are single ASCII letters; {@code ...} stands for broadcast leading dims, and a
 * label repeated within one operand takes a diagonal.
 */
final class Einsum {
  private Einsum() {}

  static Tensor evaluate(String equation, Tensor... operands) {
    String eq = equation.replace(" ", "");
    if (eq.split("->", -1)[0].split(",", -1).length != operands.length) {
      throw new IllegalArgumentException("einsum: '" + equation + "' names "
          + eq.split("->", -1)[0].split(",", -1).length + " operands but " + operands.length + " were given");
    }
    operands = operands.clone();
    if (eq.contains(".")) {
      eq = expandEllipsis(equation, eq, operands);
    }
    String[] sides = eq.split("->", -1);
    String[] inputs = sides[0].split(",", -1);
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < inputs.length; i++) {
      String labels = inputs[i];
      if (labels.length() != operands[i].dim()) {
        throw new IllegalArgumentException("einsum: operand " + i + " has " + operands[i].dim()
            + " dims (shape " + operands[i].shape() + ") but '" + labels + "' names " + labels.length());
      }
      for (char c : labels.toCharArray()) {
        if (c > 127 || !Character.isLetter(c)) {
          throw new IllegalArgumentException("einsum: bad label '" + c + "' in '" + equation + "'");
        }
      }
      // A label repeated within one operand takes the diagonal ("ii->i", "ii->" the trace).
      for (int p = 0; p < labels.length(); p++) {
        int q = labels.indexOf(labels.charAt(p), p + 1);
        while (q > 0) {
          if (operands[i].size(p) != operands[i].size(q)) {
            throw new IllegalArgumentException("einsum: repeated label '" + labels.charAt(p) + "' in operand "
                + i + " spans dims of different sizes (shape " + operands[i].shape() + ")");
          }
          operands[i] = diagonal(operands[i], p, q);
          labels = labels.substring(0, q) + labels.substring(q + 1);
          q = labels.indexOf(labels.charAt(p), p + 1);
        }
      }
      inputs[i] = labels;
      for (char c : labels.toCharArray()) {
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

  /** Returns {@code t}'s diagonal over dims {@code p < q} (same size), placed at {@code p}. */
  private static Tensor diagonal(Tensor t, int p, int q) {
    int n = t.size(p);
    int[] maskShape = new int[t.dim()];
    Arrays.fill(maskShape, 1);
    maskShape[p] = n;
    maskShape[q] = n;
    Tensor eye = Tensor.eye(n).to(t.dtype()).to(t.device()).reshape(maskShape);
    return t.mul(eye).sum(q, false);
  }

  /**
   * Rewrites {@code ...} as letters unused in the equation (ellipsis dims broadcast right-aligned,
   * as in PyTorch), expanding size-1 ellipsis dims of {@code operands} in place; returns the
   * explicit equation.
   */
  private static String expandEllipsis(String equation, String eq, Tensor[] operands) {
    String[] sides = eq.split("->", -1);
    String[] inputs = sides[0].split(",", -1);
    StringBuilder pool = new StringBuilder();
    for (char c = 'A'; c <= 'Z'; c++) {
      if (eq.indexOf(c) < 0) {
        pool.append(c);
      }
    }
    int[] ranks = new int[inputs.length];
    int e = 0;
    for (int i = 0; i < inputs.length; i++) {
      ranks[i] = -1;
      if (inputs[i].contains("...")) {
        ranks[i] = operands[i].dim() - (inputs[i].length() - 3);
        if (ranks[i] < 0 || inputs[i].indexOf("...") != inputs[i].lastIndexOf("...")) {
          throw new IllegalArgumentException("einsum: operand " + i + " of shape " + operands[i].shape()
              + " doesn't fit '" + inputs[i] + "' in '" + equation + "'");
        }
        e = Math.max(e, ranks[i]);
      } else if (inputs[i].contains(".")) {
        throw new IllegalArgumentException("einsum: bad ellipsis in '" + equation + "'");
      }
    }
    if (e > pool.length()) {
      throw new IllegalArgumentException("einsum: too many dims under the ellipsis in '" + equation + "'");
    }
    String ell = pool.substring(0, e);
    int[] sizes = new int[e];
    Arrays.fill(sizes, 1);
    for (int i = 0; i < inputs.length; i++) {
      int start = inputs[i].indexOf("...");
      for (int j = 0; j < ranks[i]; j++) {
        int size = operands[i].size(start + j);
        int at = e - ranks[i] + j;
        if (size != 1) {
          if (sizes[at] != 1 && sizes[at] != size) {
            throw new IllegalArgumentException("einsum: ellipsis dims of the operands don't broadcast in '"
                + equation + "' (" + sizes[at] + " vs " + size + ")");
          }
          sizes[at] = size;
        }
      }
    }
    for (int i = 0; i < inputs.length; i++) {
      if (ranks[i] < 0) {
        continue;
      }
      int start = inputs[i].indexOf("...");
      int[] shape = operands[i].shapeArray();
      for (int j = 0; j < ranks[i]; j++) {
        shape[start + j] = sizes[e - ranks[i] + j];
      }
      operands[i] = operands[i].expand(shape);
      inputs[i] = inputs[i].replace("...", ell.substring(e - ranks[i]));
    }
    String output;
    if (sides.length == 2) {
      output = sides[1].replace("...", ell);
    } else {
      String labels = sides[0].replace("...", "").replace(",", "");
      char[] sorted = labels.toCharArray();
      Arrays.sort(sorted);
      StringBuilder o = new StringBuilder(ell);
      for (int k = 0; k < sorted.length; k++) {
        char c = sorted[k];
        if (labels.indexOf(c) == labels.lastIndexOf(c)) {
          o.append(c);
        }
      }
      output = o.toString();
    }
    return String.join(",", inputs) + "->" + output;
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
