package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CoreDistanceTest {
  @Test
  void aRoundTripIsMeasuredAndTheAnsweringThreadEnds() throws InterruptedException {
    int before = Thread.activeCount();
    double nanos = CoreDistance.roundTripNanos(20);
    // A cache line's round trip between two threads: tens of nanoseconds on one chip, a few hundred
    // across caches or sockets; up to a scheduler time slice (milliseconds) on a machine so busy that
    // the two threads take one core by turns.
    assertTrue(nanos > 1 && nanos < 100_000_000, "round trip " + nanos + " ns");
    assertTrue(Thread.activeCount() <= before, "the answering thread was joined");
  }
}
