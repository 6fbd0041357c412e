package dev.ember.memory;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.backend.cpu.CpuBackend;
import dev.ember.nn.Conv2d;
import dev.ember.nn.Flatten;
import dev.ember.nn.Linear;
import dev.ember.nn.MaxPool2d;
import dev.ember.nn.Module;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.optim.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Runs 1,000 training steps of a small CNN with Adam, each step in a {@link TensorScope}, and
 * checks that off-heap memory (the CPU allocator's bytes in use and cached) and the process's
 * resident memory stay flat after warm-up (step 500 against step 1000).
 */
class TrainingMemoryTest {
  private static long residentKiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void thousandStepsKeepMemoryFlat() throws IOException {
    Tensor.manualSeed(3);
    Module model = new Sequential(new Conv2d(1, 8, 3, 1, 1), new ReLU(), new MaxPool2d(2), new Flatten(),
        new Linear(8 * 8 * 8, 10));
    Adam opt = new Adam(model.parameters(), 1e-3);
    Tensor x = Tensor.randn(16, 1, 16, 16);
    Tensor y = Tensor.randint(0, 10, 16);
    long[] offHeap = new long[2];
    long[] rss = new long[2];
    double firstLoss = 0;
    double lastLoss = 0;
    for (int step = 1; step <= 1000; step++) {
      try (TensorScope scope = TensorScope.open()) {
        Tensor loss = model.call(x).crossEntropy(y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        lastLoss = loss.item();
      }
      if (step == 1) {
        firstLoss = lastLoss;
      }
      if (step == 500 || step == 1000) {
        // Collect first, so gradients dropped by zeroGrad are back in the cache and the Java heap
        // holds only live objects: what remains is what the loop really keeps.
        System.gc();
        sleepQuietly(200);
        CpuBackend.MemoryStats m = CpuBackend.memoryStats();
        int i = step == 500 ? 0 : 1;
        offHeap[i] = m.inUseBytes() + m.cachedBytes();
        rss[i] = residentKiB();
        System.out.printf(Locale.ROOT, "[memory] step %d: off-heap in use %.1f MiB, cached %.1f MiB, peak %.1f MiB,"
            + " forced GCs %d, resident %.1f MiB%n", step, m.inUseBytes() / 1048576.0, m.cachedBytes() / 1048576.0,
            m.peakBytes() / 1048576.0, m.forcedCollections(), rss[i] / 1024.0);
      }
    }
    assertTrue(lastLoss < firstLoss, "the model should learn: " + firstLoss + " -> " + lastLoss);
    assertTrue(offHeap[1] <= offHeap[0] + (4L << 20),
        "off-heap grew from " + offHeap[0] + " to " + offHeap[1] + " bytes between steps 500 and 1000");
    assertTrue(rss[1] <= rss[0] + 64 * 1024,
        "resident memory grew from " + rss[0] + " KiB to " + rss[1] + " KiB between steps 500 and 1000");
  }
}
