package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The two paths of ops that have optional fused backend primitives (convolution, pooling, linear): suites
 * parameterized by {@link Devices#underTestFusedAndComposed} switch between them with {@link #use}; suites
 * that compare the two run an op on each with {@link #outputAndGrads} and compare with {@link #assertClose}.
 */
public final class FusedPath {
  private FusedPath() {}

  /**
   * Switches to {@code "fused"} (backends' fused primitives) or {@code "composed"} (tensor-api's
   * compositions); returns the previous setting for {@link FusedPrimitives#setEnabled}.
   */
  public static boolean use(String path) {
    if (!path.equals("fused") && !path.equals("composed")) {
      throw new IllegalArgumentException("path must be 'fused' or 'composed', got " + path);
    }
    return FusedPrimitives.setEnabled(path.equals("fused"));
  }

  /**
   * Returns {@code f}'s output and every input's gradient (of {@code y} weighted by {@code v}, or by ones
   * where {@code v} is null) on fresh leaf copies of {@code inputs}, with the fused primitives on or off;
   * switches them back on afterwards.
   */
  public static List<Tensor> outputAndGrads(Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor v, boolean fused) {
    FusedPrimitives.setEnabled(fused);
    try (GradMode on = GradMode.enableGrad()) {
      Tensor[] leaves = new Tensor[inputs.length];
      for (int i = 0; i < inputs.length; i++) {
        leaves[i] = inputs[i].detach().clone().requiresGrad(true);
      }
      Tensor y = f.apply(leaves);
      y.backward(v == null ? Tensor.onesLike(y) : v);
      List<Tensor> out = new ArrayList<>();
      out.add(y.detach());
      for (Tensor l : leaves) {
        out.add(l.grad());
      }
      return out;
    } finally {
      FusedPrimitives.setEnabled(true);
    }
  }

  /**
   * Asserts that the fused path's {@code actual} has the composed {@code expected}'s shape and every
   * element within {@code tol} times the largest magnitude of {@code expected} (at least 1); two absent
   * gradients agree, one absent gradient fails.
   */
  public static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
    if (expected == null || actual == null) {
      assertTrue(expected == actual, what + ": one path has no gradient, the other has");
      return;
    }
    assertEquals(expected.shape(), actual.shape(), what + ": shape");
    double[] e = expected.toDoubleArray();
    double[] a = actual.toDoubleArray();
    double scale = 1;
    for (double x : e) {
      scale = Math.max(scale, Math.abs(x));
    }
    for (int i = 0; i < e.length; i++) {
      assertTrue(Math.abs(a[i] - e[i]) <= tol * scale, what + ": element " + i + " is " + a[i] + ", composed "
          + e[i]);
    }
  }
}
