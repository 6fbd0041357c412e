package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@link TensorScope} whose {@code close()} fails (out of order, or from another thread) leaves
 * the thread's scope stack consistent: what the thread allocates afterwards is still owned by an
 * open scope and freed when it closes.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class TensorScopeConformanceTest {
  @Parameter
  Device device;

  private Tensor alloc() {
    return Tensor.ones(Shape.of(4), DType.FLOAT32, device);
  }

  private static void assertFreed(Tensor t, String what) {
    assertThrows(IllegalStateException.class, t::toDoubleArray, what + " should have been freed");
  }

  @Test
  void closingAnOuterScopeFirstClosesTheInnerOnesAndLeavesTheThreadInTheEnclosingScope() {
    Tensor afterFailure;
    try (TensorScope guard = TensorScope.open()) {
      TensorScope outer = TensorScope.open();
      Tensor inOuter = alloc();
      TensorScope inner = TensorScope.open();
      Tensor inInner = alloc();
      IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
      assertTrue(e.getMessage().contains("reverse order") && e.getMessage().contains("1 scope(s)"), e.getMessage());
      assertFreed(inInner, "the inner scope's tensor");
      assertFreed(inOuter, "the outer scope's tensor");
      inner.close();
      outer.close();
      afterFailure = alloc();
      assertArrayEquals(new double[] {1, 1, 1, 1}, afterFailure.toDoubleArray(), 0);
    }
    assertFreed(afterFailure, "a tensor allocated after the failed close (owned by the enclosing scope)");
  }

  @Test
  void closingFromAnotherThreadRaisesAndChangesNothing() throws InterruptedException {
    TensorScope scope = TensorScope.open();
    Tensor before = alloc();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread other = new Thread(() -> {
      try {
        scope.close();
      } catch (Throwable t) {
        thrown.set(t);
      }
    }, "other-thread");
    other.start();
    other.join();
    assertTrue(thrown.get() instanceof IllegalStateException, "got " + thrown.get());
    assertTrue(thrown.get().getMessage().contains("other-thread")
        && thrown.get().getMessage().contains("thread that opened it"), thrown.get().getMessage());
    Tensor after = alloc();
    assertArrayEquals(new double[] {1, 1, 1, 1}, before.toDoubleArray(), 0);
    scope.close();
    assertFreed(before, "a tensor of the scope");
    assertFreed(after, "a tensor allocated after the failed close");
  }
}
