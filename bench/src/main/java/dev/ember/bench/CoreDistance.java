package dev.ember.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures how far apart two threads run: the round trip of one cache line between them (one thread
 * writes a counter, the other answers, many times), as nanoseconds per round trip. On the 2-vCPU
 * virtual machines the benchmarks run on this is 60-70 ns when the host keeps both vCPUs on cores that
 * share a cache and 360-480 ns when it does not, and it changes every few seconds to minutes; every op
 * that hands data from one thread to another (a parallel GEMM, then an update on other threads) is
 * slower in the second placement (docs/benchmarks.md, "eighth round"). {@code bench/run} prints it at
 * its start and end so a table can be read with the placement it ran in.
 *
 * <p>Usage: {@code java dev.ember.bench.CoreDistance [probes [millis]]} prints one line: the median of
 * {@code probes} probes (default 5) of {@code millis} each (default 200), and their range.
 */
public final class CoreDistance {
  private CoreDistance() {}

  /**
   * Runs the probes and prints {@code "cache-line round trip between two threads: M ns (L-H over N
   * probes)"}.
   *
   * @param args optional probe count and milliseconds per probe
   * @throws InterruptedException if interrupted while joining the answering thread
   */
  public static void main(String[] args) throws InterruptedException {
    int probes = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    long millis = args.length > 1 ? Long.parseLong(args[1]) : 200;
    double[] ns = new double[probes];
    for (int p = 0; p < probes; p++) {
      ns[p] = roundTripNanos(millis);
    }
    double[] sorted = ns.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "cache-line round trip between two threads: %.0f ns (%.0f-%.0f over %d probes)%n",
        sorted[probes / 2], sorted[0], sorted[probes - 1], probes);
  }

  /**
   * Returns the mean round trip, in nanoseconds, of a counter passed back and forth between this
   * thread and a second one for about {@code millis} milliseconds.
   */
  static double roundTripNanos(long millis) throws InterruptedException {
    AtomicLong line = new AtomicLong();
    long deadline = System.nanoTime() + millis * 1_000_000L;
    Thread answer = new Thread(() -> {
      for (long v = 1; v > 0; v += 2) {
        long seen;
        while ((seen = line.get()) != v && seen >= 0) {
          Thread.onSpinWait();
        }
        if (seen < 0) {
          return;
        }
        line.set(v + 1);
      }
    }, "core-distance");
    answer.setDaemon(true);
    answer.start();
    long trips = 0;
    long v = 0;
    long start = System.nanoTime();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < 256; i++) {
        line.set(v + 1);
        while (line.get() != v + 2) {
          Thread.onSpinWait();
        }
        v += 2;
      }
      trips += 256;
    }
    double nanos = (System.nanoTime() - start) / (double) trips;
    line.set(-1);
    answer.join();
    return nanos;
  }
}
