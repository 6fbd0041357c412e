package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;

/** The caching allocator's budgets: the cache and the collection threshold follow the cap and the live set. */
class CpuMemoryTest {
  private static final long MIB = 1L << 20;

  @Test
  void theCacheAndThresholdAreSizedFromTheCap() {
    CpuMemory m = new CpuMemory(512 * MIB, 256 * MIB);
    assertEquals(64 * MIB, m.cacheBudgetBytes(), "a quarter of the cap");
    assertEquals(128 * MIB, m.thresholdBytes(), "half the cap");
    CpuMemory large = new CpuMemory(512 * MIB, 8192 * MIB);
    assertEquals(512 * MIB, large.cacheBudgetBytes(), "the budget when the cap is large");
  }

  @Test
  void releasedBlocksPastTheCacheBudgetAreFreed() {
    CpuMemory m = new CpuMemory(MIB, Long.MAX_VALUE);
    List<BytePointer> blocks = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      blocks.add(m.acquire(MIB / 2));
    }
    for (BytePointer p : blocks) {
      m.release(p, MIB / 2);
    }
    assertEquals(0, m.inUseBytes());
    assertEquals(MIB, m.cachedBytes(), "the cache keeps its budget and frees the rest");
    m.emptyCache();
    assertEquals(0, m.cachedBytes());
  }

  @Test
  void aLiveSetPastTheBudgetGrowsTheThresholdInsteadOfCollectingPerAllocation() throws InterruptedException {
    CpuMemory m = new CpuMemory(MIB, Long.MAX_VALUE);
    List<BytePointer> live = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      live.add(m.acquire(MIB));
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (m.collecting() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(m.collections() >= 1, "passing the budget should have started a background collection");
    m.collect();
    assertEquals(16 * MIB, m.thresholdBytes(), "the threshold should be twice the live 8 MiB");
    long collections = m.collections();
    while (m.inUseBytes() + MIB <= 16 * MIB) {
      live.add(m.acquire(MIB));
    }
    assertEquals(collections, m.collections(), "allocations under the grown threshold collected again");
    for (BytePointer p : live) {
      m.release(p, MIB);
    }
    m.emptyCache();
  }
}
