package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * {@link StridedLoop#runPieces}, the split every parallel CPU loop goes through: each piece runs
 * exactly once whoever claims it, a failing piece's exception reaches the caller after the others
 * finished, and a split inside a piece (a parallel kernel called from a parallel one) completes.
 */
class StridedLoopTest {
  @Test
  void everyPieceRunsExactlyOnce() {
    for (int pieces : new int[] {0, 1, 2, 3, 64, 1000}) {
      AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(pieces, 1));
      for (int rep = 0; rep < 50; rep++) {
        StridedLoop.runPieces(pieces, runs::incrementAndGet);
      }
      for (int t = 0; t < pieces; t++) {
        assertEquals(50, runs.get(t), "piece " + t + " of " + pieces);
      }
    }
  }

  @Test
  void aFailingPieceFailsTheCallAfterTheOthersFinished() {
    AtomicIntegerArray runs = new AtomicIntegerArray(16);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        StridedLoop.runPieces(16, t -> {
          runs.incrementAndGet(t);
          if (t == 5) {
            throw new IllegalArgumentException("piece 5");
          }
        }));
    assertEquals("piece 5", e.getMessage());
    for (int t = 0; t < 16; t++) {
      assertEquals(1, runs.get(t), "piece " + t);
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
}
