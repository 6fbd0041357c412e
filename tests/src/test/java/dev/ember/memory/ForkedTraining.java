package dev.ember.memory;

import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.nn.Linear;
import dev.ember.nn.Module;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.optim.Adam;
import dev.ember.optim.Optimizer;
import java.util.Locale;

/**
 * Training loops that {@link LowMemoryTest} runs in a fresh JVM (with a small {@code -Xmx} or
 * memory budget), printing the allocator's figures as {@code key=value} lines.
 *
 * <ul>
 *   <li>{@code varying}: 48 steps of an MLP on batches of 2,048 to 32,768 rows (activations of
 *       0.5-8 MiB in 16 size classes), each step in a {@link TensorScope}: about 3 GiB allocated in
 *       all, so the cache must stay under the off-heap cap.
 *   <li>{@code noscope}: 300 steps of an MLP with Adam written without any scope, whose parameters,
 *       gradients and optimizer state (8 MiB) outlive the memory budget it runs with; prints the
 *       off-heap bytes reachable at steps 100 and 300.
 * </ul>
 */
public final class ForkedTraining {
  private ForkedTraining() {}

  /** Runs the loop named by {@code args[0]}. */
  public static void main(String[] args) throws InterruptedException {
    Tensor.manualSeed(1);
    switch (args[0]) {
      case "varying" -> varying();
      case "noscope" -> noScope();
      default -> throw new IllegalArgumentException("unknown loop " + args[0]);
    }
  }

  private static void varying() {
    Module model = new Sequential(new Linear(64, 64), new ReLU(), new Linear(64, 64), new ReLU(),
        new Linear(64, 10));
    Optimizer opt = new Adam(model.parameters(), 1e-3);
    double allocated = 0;
    for (int step = 0; step < 32; step++) {
      int batch = 1024 * (1 + step % 16);
      try (TensorScope scope = TensorScope.open()) {
        Tensor x = Tensor.randn(batch, 64);
        Tensor y = Tensor.randint(0, 10, batch);
        opt.zeroGrad();
        Tensor loss = model.call(x).crossEntropy(y);
        loss.backward();
        opt.step();
        loss.item();
      }
      allocated += batch * 256.0 * 10;
    }
    print("allocatedMiB", (long) (allocated / 1048576));
    stats();
  }

  private static void noScope() throws InterruptedException {
    Module model = new Sequential(new Linear(256, 256), new ReLU(), new Linear(256, 256), new ReLU(),
        new Linear(256, 10));
    Optimizer opt = new Adam(model.parameters(), 1e-3);
    Tensor dataset = Tensor.randn(2048, 1024);
    Tensor x = dataset.narrow(0, 0, 32).narrow(1, 0, 256);
    Tensor y = Tensor.randint(0, 10, 32);
    for (int step = 1; step <= 200; step++) {
      opt.zeroGrad();
      Tensor loss = model.call(x).crossEntropy(y);
      loss.backward();
      opt.step();
      loss.item();
      if (step == 50 || step == 200) {
        System.gc();
        Thread.sleep(200);
        CpuBackend.MemoryStats m = CpuBackend.memoryStats();
        print("inUseAt" + step, m.inUseBytes());
      }
    }
    stats();
  }

  private static void stats() {
    CpuBackend.MemoryStats m = CpuBackend.memoryStats();
    print("peak", m.peakBytes());
    print("cached", m.cachedBytes());
    print("collections", m.forcedCollections());
    print("maxBytes", org.bytedeco.javacpp.Pointer.maxBytes());
  }

  private static void print(String key, long value) {
    System.out.println(String.format(Locale.ROOT, "%s=%d", key, value));
  }
}
