package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link StridedLoop#runPieces}, the split every parallel CPU loop goes through: each piece runs
 * exactly once whoever claims it, a failing piece's exception reaches the caller after the others
 * finished, and a split inside a piece (a parallel kernel called from a parallel one) completes; all of
 * it with and without the calling thread claiming pieces ({@code callerRuns}, the default), and the
 * caller takes part exactly when asked to.
 */
class StridedLoopTest {
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void everyPieceRunsExactlyOnce(boolean callerRuns) {
    for (int pieces : new int[] {0, 1, 2, 3, 64, 1000}) {
      AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(pieces, 1));
      for (int rep = 0; rep < 50; rep++) {
        StridedLoop.runPieces(pieces, runs::incrementAndGet, callerRuns);
      }
      for (int t = 0; t < pieces; t++) {
        assertEquals(50, runs.get(t), "piece " + t + " of " + pieces);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aFailingPieceFailsTheCallAfterTheOthersFinished(boolean callerRuns) {
    AtomicIntegerArray runs = new AtomicIntegerArray(16);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        StridedLoop.runPieces(16, t -> {
          runs.incrementAndGet(t);
          if (t == 5) {
            throw new IllegalArgumentException("piece 5");
          }
        }, callerRuns));
    assertEquals("piece 5", e.getMessage());
    for (int t = 0; t < 16; t++) {
      assertEquals(1, runs.get(t), "piece " + t);
    }
  }

  /** Shares: every piece once, and each share's pieces in order, one after the other, on one thread. */
  @Test
  void sharesRunEveryPieceOnceInContiguousRunsPerThread() {
    for (int pieces : new int[] {0, 1, 2, 3, 16, 1001}) {
      for (int rep = 0; rep < 20; rep++) {
        AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(pieces, 1));
        Thread[] by = new Thread[Math.max(pieces, 1)];
        StridedLoop.runInShares(pieces, t -> {
          runs.incrementAndGet(t);
          by[t] = Thread.currentThread();
        });
        int changes = 0;
        for (int t = 0; t < pieces; t++) {
          assertEquals(1, runs.get(t), "piece " + t + " of " + pieces);
          if (t > 0 && by[t] != by[t - 1]) {
            changes++;
          }
        }
        // one thread per share at most: the thread changes only where a share ends
        assertTrue(changes < Math.max(1, Math.min(pieces, StridedLoop.THREADS)), changes + " changes over " + pieces);
      }
    }
  }

  @Test
  void nestedSplitsComplete() {
    AtomicIntegerArray runs = new AtomicIntegerArray(8 * 8);
    StridedLoop.runPieces(8, outer -> StridedLoop.runPieces(8, inner -> runs.incrementAndGet(outer * 8 + inner)));
    for (int t = 0; t < 64; t++) {
      assertEquals(1, runs.get(t), "piece " + t);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void theCallerClaimsPiecesExactlyWhenAsked(boolean callerRuns) {
    Set<Thread> ran = ConcurrentHashMap.newKeySet();
    // 32 pieces of 1 ms: the caller, if it claims pieces at all, cannot miss them all.
    StridedLoop.runPieces(32, t -> {
      ran.add(Thread.currentThread());
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, callerRuns);
    boolean pooled = StridedLoop.THREADS > 1;
    assertEquals(callerRuns || !pooled, ran.contains(Thread.currentThread()), "threads " + ran);
    assertTrue(ran.size() <= StridedLoop.THREADS, "threads " + ran);
  }

  @Test
  void forRowsCoversEveryRowOnceWithTheCallerTakingRows() {
    long rows = 1001;
    AtomicIntegerArray runs = new AtomicIntegerArray((int) rows);
    StridedLoop.forRows(rows, StridedLoop.PARALLEL_THRESHOLD, (from, to) -> {   // the caller takes rows by default
      for (long r = from; r < to; r++) {
        runs.incrementAndGet((int) r);
      }
    });
    for (int r = 0; r < rows; r++) {
      assertEquals(1, runs.get(r), "row " + r);
    }
  }
}
