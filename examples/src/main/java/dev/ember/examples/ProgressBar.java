package dev.ember.examples;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar for an epoch: steps done, loss, accuracy and throughput. Redraws in place
 * on a terminal; elsewhere (CI logs, pipes) prints only the final line.
 */
final class ProgressBar {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final String label;
  private final int total;
  private final boolean interactive;
  private final long start = System.nanoTime();
  private long lastDraw;

  ProgressBar(PrintStream out, String label, int total) {
    this.out = out;
    this.label = label;
    this.total = total;
    this.interactive = System.console() != null;
  }

  /** Updates the bar after {@code done} steps covering {@code images} images. */
  void update(int done, double loss, double accuracy, long images) {
    long now = System.nanoTime();
    boolean last = done == total;
    if (!last && (!interactive || now - lastDraw < 100_000_000L)) {
      return;
    }
    lastDraw = now;
    double seconds = Math.max(1e-9, (now - start) / 1e9);
    int filled = (int) ((long) WIDTH * done / Math.max(1, total));
    String bar = "=".repeat(filled) + (filled < WIDTH ? ">" : "") + " ".repeat(Math.max(0, WIDTH - filled - 1));
    String line = String.format(Locale.ROOT, "%s [%s] %d/%d loss %.4f acc %5.2f%% %6.0f img/s %5.1fs",
        label, bar, done, total, loss, 100 * accuracy, images / seconds, seconds);
    out.print(interactive ? "\r" + line : line);
    if (last) {
      out.println();
    }
    out.flush();
  }
}
