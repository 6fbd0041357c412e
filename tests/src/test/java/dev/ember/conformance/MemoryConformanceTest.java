package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.ops.Linalg;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Off-heap memory stays flat over many small training steps: nothing the graph, the optimizer
 * update or the temporaries allocate may stay reachable. Measured with JavaCPP's counters (the CPU
 * backend allocates through JavaCPP; other backends stage host copies through it).
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class MemoryConformanceTest {
  private static final int STEPS = 2000;
  private static final long SLACK = 16L << 20;

  @Parameter
  Device device;

  private static boolean javacppPresent() {
    try {
      Class.forName("org.bytedeco.javacpp.Pointer");
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Returns {total, physical} bytes after letting the GC and JavaCPP's deallocator run. */
  private static long[] settle() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(30);
    }
    return new long[] {org.bytedeco.javacpp.Pointer.totalBytes(), org.bytedeco.javacpp.Pointer.physicalBytes()};
  }

  @Test
  void manySmallTrainingStepsKeepOffHeapMemoryFlat() throws InterruptedException {
    assumeTrue(javacppPresent(), "JavaCPP not on the class path");
    Random r = new Random(31);
    Tensor x = Tensor.of(Checks.normal(r, 32 * 8), 32, 8).to(device).to(DType.FLOAT32);
    Tensor y = Tensor.of(Checks.normal(r, 32), 32, 1).to(device).to(DType.FLOAT32);
    Tensor w1 = Tensor.of(Checks.normal(r, 16 * 8), 16, 8).to(device).to(DType.FLOAT32).mul(0.3)
        .detach().requiresGrad(true);
    Tensor b1 = Tensor.zeros(Shape.of(16), DType.FLOAT32, device).requiresGrad(true);
    Tensor w2 = Tensor.of(Checks.normal(r, 16), 1, 16).to(device).to(DType.FLOAT32).mul(0.3)
        .detach().requiresGrad(true);
    Tensor b2 = Tensor.zeros(Shape.of(1), DType.FLOAT32, device).requiresGrad(true);
    Tensor[] params = {w1, b1, w2, b2};
    long[] at500 = null;
    double firstLoss = 0;
    double lastLoss = 0;
    for (int step = 1; step <= STEPS; step++) {
      Tensor hidden = Linalg.linear(x, w1, b1).relu();
      Tensor loss = Linalg.linear(hidden, w2, b2).sub(y).square().mean();
      loss.backward();
      try (GradMode off = GradMode.noGrad()) {
        for (Tensor p : params) {
          p.subInPlace(p.grad().mul(0.05));
          p.setGrad(null);
        }
      }
      if (step == 1) {
        firstLoss = loss.item();
      }
      lastLoss = loss.item();
      if (step == 500) {
        at500 = settle();
      }
    }
    long[] at2000 = settle();
    System.out.printf(java.util.Locale.ROOT,
        "[memory %s] off-heap after step 500: total %,d B, physical %,d B; after step %d: total %,d B,"
            + " physical %,d B (loss %.4f -> %.4f)%n",
        device, at500[0], at500[1], STEPS, at2000[0], at2000[1], firstLoss, lastLoss);
    assertTrue(lastLoss < firstLoss, "the tiny MLP should learn: " + firstLoss + " -> " + lastLoss);
    assertTrue(at2000[0] <= at500[0] + SLACK, String.format(java.util.Locale.ROOT,
        "JavaCPP total bytes grew from %,d to %,d between step 500 and step %d", at500[0], at2000[0], STEPS));
    // RSS is noisy (the JIT, GC heap growth); only a gross leak should trip this.
    assertTrue(at2000[1] <= at500[1] + 8 * SLACK, String.format(java.util.Locale.ROOT,
        "physical bytes grew from %,d to %,d", at500[1], at2000[1]));
  }

  /** A small regression: loss of {@code w} on fixed data, backward run. */
  private Tensor[] backwardOnce(Tensor w) {
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).to(device);
    x.matmul(w).square().sum().backward();
    return new Tensor[] {x};
  }

  private Tensor weight() {
    return Tensor.of(new float[] {0.5f, -1f, 0.25f}, 3, 1).to(device).detach().requiresGrad(true);
  }

  /**
   * {@code zeroGrad} frees a gradient that backward made and only library code read (the optimizer's
   * step), as PyTorch's reference count frees it, instead of leaving it to the garbage collector.
   */
  @Test
  void zeroGradFreesGradientsNoUserCodeWasHanded() {
    Tensor w = weight();
    dev.ember.optim.SGD sgd = new dev.ember.optim.SGD(java.util.List.of(w), 0.01);
    backwardOnce(w);
    Tensor made = dev.ember.internal.GradAccess.peek(w);
    sgd.step();
    sgd.zeroGrad();
    org.junit.jupiter.api.Assertions.assertNull(w.grad());
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> made.sum().item(), "the replaced gradient's storage is freed");
    assertTrue(e.getMessage().contains("use after close"), e.getMessage());
  }

  /** A gradient user code was handed ({@code grad()}) stays valid after {@code zeroGrad}, as in PyTorch. */
  @Test
  void gradientsHandedToUserCodeStayValidAfterZeroGrad() {
    Tensor w = weight();
    dev.ember.optim.SGD sgd = new dev.ember.optim.SGD(java.util.List.of(w), 0.01);
    backwardOnce(w);
    Tensor g = w.grad();
    float[] before = g.to(Device.CPU).toFloatArray();
    sgd.step();
    sgd.zeroGrad();
    org.junit.jupiter.api.Assertions.assertArrayEquals(before, g.to(Device.CPU).toFloatArray());
  }

  /**
   * Accumulating into an unseen gradient frees the one it replaces; the sum is right, and a second
   * backward after {@code grad()} keeps the handed-out one.
   */
  @Test
  void accumulationFreesOnlyUnseenGradients() {
    Tensor w = weight();
    backwardOnce(w);
    Tensor first = dev.ember.internal.GradAccess.peek(w);
    float[] once = first.to(Device.CPU).toFloatArray();
    backwardOnce(w);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> first.sum().item(),
        "the replaced gradient's storage is freed");
    Tensor seen = w.grad();
    float[] twice = seen.to(Device.CPU).toFloatArray();
    for (int i = 0; i < once.length; i++) {
      org.junit.jupiter.api.Assertions.assertEquals(2 * once[i], twice[i], 1e-5 * Math.abs(twice[i]));
    }
    backwardOnce(w);
    org.junit.jupiter.api.Assertions.assertArrayEquals(twice, seen.to(Device.CPU).toFloatArray());
    w.setGrad(null);
    org.junit.jupiter.api.Assertions.assertArrayEquals(twice, seen.to(Device.CPU).toFloatArray());
  }
}
