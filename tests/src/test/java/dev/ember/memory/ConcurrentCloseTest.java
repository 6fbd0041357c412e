package dev.ember.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import dev.ember.backend.cpu.CpuBackend;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Closes a tensor on one thread while another sums it, for about three seconds. After each close
 * the closing thread either reuses the freed block (a new tensor of 2s) or frees the allocator's
 * cache (so a block freed under the reader is unmapped). The reader must see the right sum or an
 * {@link IllegalStateException}: never a sum of reused memory, never a JVM crash.
 */
class ConcurrentCloseTest {
  private static final int N = 1 << 20; // 4 MiB of float32: freeing it unmaps it

  @Test
  void closeWhileAnotherThreadSumsRaisesOrGivesTheRightSum() throws InterruptedException {
    AtomicInteger right = new AtomicInteger();
    AtomicInteger wrong = new AtomicInteger();
    AtomicInteger closedErrors = new AtomicInteger();
    AtomicReference<Throwable> other = new AtomicReference<>();
    long end = System.nanoTime() + 3_000_000_000L;
    int rounds = 0;
    while (System.nanoTime() < end && other.get() == null) {
      rounds++;
      Tensor t = Tensor.ones(N);
      Object started = new Object();
      AtomicInteger sums = new AtomicInteger();
      Thread reader = new Thread(() -> {
        try {
          while (true) {
            sums.incrementAndGet();
            double s = t.sum().item();
            if (s == N) {
              right.incrementAndGet();
            } else {
              wrong.incrementAndGet();
            }
          }
        } catch (IllegalStateException e) {
          if (e.getMessage().contains("use after close")) {
            closedErrors.incrementAndGet();
          } else {
            other.set(e);
          }
        } catch (Throwable e) {
          other.set(e);
        }
      }, "reader");
      reader.start();
      while (sums.get() == 0) {
        Thread.onSpinWait();
      }
      LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1_000_000));
      t.close();
      if (rounds % 2 == 0) {
        Tensor.full(2.0, N).close();
        Tensor.full(3.0, N).close();
      } else {
        CpuBackend.emptyCache();
      }
      reader.join(10_000);
      assertTrue(!reader.isAlive(), "the reader never saw the close");
    }
    if (other.get() != null) {
      throw new AssertionError("the reader failed with something else than use after close", other.get());
    }
    System.out.printf("[concurrent close] %d rounds: %d right sums, %d use-after-close errors, %d wrong sums%n",
        rounds, right.get(), closedErrors.get(), wrong.get());
    assertEquals(0, wrong.get(), "sums of freed or reused memory");
    assertEquals(rounds, closedErrors.get(), "every round should end in a use-after-close error");
  }
}
