package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
import org.junit.jupiter.api.Test;

/**
 * oneDNN in the CPU backend (this suite runs on linux-x86_64, where its natives load): it is in use,
 * and its primitives are cached so that a training step at fixed shapes creates none after the first.
 * {@code DnnlFallbackCheck} covers {@code -Dember.cpu.dnnl=false}.
 */
class DnnlTest {
  @Test
  void loadsOnThisMachine() {
    assertNull(CpuBackend.dnnlUnavailableReason());
    assertTrue(CpuBackend.dnnlAvailable());
  }

  @Test
  void aRepeatedStepCreatesNoPrimitives() {
    Tensor w1 = Tensor.randn(8, 1, 5, 5).requiresGrad(true);
    Tensor w2 = Tensor.randn(4, 8, 3, 3).requiresGrad(true);
    Tensor b2 = Tensor.randn(4).requiresGrad(true);
    Tensor x = Tensor.randn(3, 1, 12, 12);
    long fusedBefore = FusedPrimitives.calls();
    step(x, w1, w2, b2);
    long created = CpuBackend.dnnlPrimitivesCreated();
    long fusedPerStep = FusedPrimitives.calls() - fusedBefore;
    step(x, w1, w2, b2);
    step(x, w1, w2, b2);
    assertEquals(created, CpuBackend.dnnlPrimitivesCreated(), "primitives created after the first step");
    // conv 1: forward and weight gradient (one input channel: on the blocked layouts, with reorders);
    // max pool: forward, backward; conv 2: forward, input and weight gradients; ReLU's backward
    // (unaryBackward); average pooling is composed on the CPU
    assertEquals(8, fusedPerStep, "fused calls per step");
  }

  private static void step(Tensor x, Tensor w1, Tensor w2, Tensor b2) {
    try (TensorScope scope = TensorScope.open()) {
      Tensor h = F.maxPool2d(F.relu(F.conv2d(x, w1, null, 1, 2)), 2);
      Tensor y = F.avgPool2d(F.conv2d(h, w2, b2, 1, 1), 2);
      y.sum().backward();
      assertEquals(DType.FLOAT32, w1.grad().dtype());
    }
  }
}
