package dev.ember;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A leaf takes the gradient its backward made as its {@code grad} without a copy (as PyTorch's
 * AccumulateGrad steals an unshared gradient), and only where nothing else can see that tensor: two
 * leaves handed one gradient, a gradient a hook saw, a gradient the caller passed in, a leaf that
 * already has a grad, a slice of a larger buffer, and {@code createGraph} all keep their own copies.
 * In the package of {@link Tensor} to compare storages.
 */
class GradTakeoverTest {
  private static final double[] ONES = {1, 1, 1};

  /** Doubles its input; its backward returns a fresh tensor and remembers it. */
  private static final class Double extends Function {
    final List<Tensor> returned = new ArrayList<>();

    @Override
    protected Tensor forward(Context ctx, Tensor... in) {
      return in[0].mul(2);
    }

    @Override
    protected Tensor[] backward(Context ctx, Tensor grad) {
      Tensor g = grad.mul(2);
      returned.add(g);
      return new Tensor[] {g};
    }
  }

  private static Tensor leaf() {
    return Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
  }

  private static double[] values(Tensor t) {
    return t.toDoubleArray();
  }

  @Test
  void leafTakesTheGradientBackwardMadeWithoutACopy() {
    Tensor x = leaf();
    Double op = new Double();
    op.apply(x).sum().backward();
    assertSame(op.returned.get(0).storageIdentity(), x.grad().storageIdentity());
    assertArrayEquals(new double[] {2, 2, 2}, values(x.grad()));
  }

  @Test
  void twoLeavesHandedOneGradientGetSeparateGrads() {
    Tensor x = leaf();
    Tensor y = leaf();
    x.mul(3).add(y).sum().backward();
    assertNotSame(x.grad().storageIdentity(), y.grad().storageIdentity());
    try (GradMode off = GradMode.noGrad()) {
      y.grad().mulInPlace(10);
    }
    assertArrayEquals(new double[] {3, 3, 3}, values(x.grad()));
    assertArrayEquals(new double[] {10, 10, 10}, values(y.grad()));
  }

  @Test
  void oneTensorAsBothInputsOfAddIsAccumulated() {
    Tensor x = leaf();
    Tensor h = x.mul(1);
    h.add(h).sum().backward();
    assertArrayEquals(new double[] {2, 2, 2}, values(x.grad()));
  }

  @Test
  void gradientAHookSawIsCopied() {
    Tensor x = leaf();
    Tensor[] seen = new Tensor[1];
    x.registerHook(g -> {
      seen[0] = g;
      return null;
    });
    x.mul(2).sum().backward();
    assertNotSame(seen[0].storageIdentity(), x.grad().storageIdentity());
    try (GradMode off = GradMode.noGrad()) {
      x.grad().mulInPlace(0);
    }
    assertArrayEquals(new double[] {2, 2, 2}, values(seen[0]));
  }

  @Test
  void gradientTheCallerPassedIsCopied() {
    Tensor x = leaf();
    Tensor g = Tensor.of(new double[] {4, 5, 6});
    x.reshape(3, 1).backward(g.reshape(3, 1));
    assertNotSame(g.storageIdentity(), x.grad().storageIdentity());
    try (GradMode off = GradMode.noGrad()) {
      x.grad().mulInPlace(0);
    }
    assertArrayEquals(new double[] {4, 5, 6}, values(g));
  }

  @Test
  void existingGradAccumulates() {
    Tensor x = leaf();
    Tensor loss = x.mul(2).sum();
    loss.backward(null, true, false);
    Tensor first = x.grad();
    loss.backward();
    assertArrayEquals(new double[] {4, 4, 4}, values(x.grad()));
    assertArrayEquals(new double[] {2, 2, 2}, values(first));
  }

  @Test
  void sliceOfALargerGradientIsCopied() {
    Tensor x = leaf();
    Tensor y = leaf();
    dev.ember.ops.Shaping.cat(List.of(x, y), 0).mul(Tensor.of(new double[] {1, 2, 3, 4, 5, 6})).sum().backward();
    assertArrayEquals(new double[] {1, 2, 3}, values(x.grad()));
    assertArrayEquals(new double[] {4, 5, 6}, values(y.grad()));
    assertNotSame(x.grad().storageIdentity(), y.grad().storageIdentity());
  }

  @Test
  void createGraphKeepsTheDifferentiableGradient() {
    Tensor x = leaf();
    x.pow(2).sum().backward(null, false, true);
    assertArrayEquals(new double[] {2, 4, 6}, values(x.grad()));
    x.grad().sum().backward();
    assertArrayEquals(new double[] {4, 6, 8}, values(x.grad()));
  }

  @Test
  void gradientsInsideAScopeOutliveIt() {
    Tensor x = leaf();
    try (TensorScope scope = TensorScope.open()) {
      x.mul(ONES.length).sum().backward();
    }
    assertArrayEquals(new double[] {3, 3, 3}, values(x.grad()));
  }
}
