package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Report}'s workload table: the unscoped twins' rows, beside the scoped step and PyTorch's. */
class ReportTest {
  private static String result(String method, double... ms) {
    StringBuilder xs = new StringBuilder();
    for (double m : ms) {
      xs.append(xs.length() == 0 ? "" : ", ").append(m);
    }
    return "{\"benchmark\": \"dev.ember.bench.TrainingBenchmarks." + method + "\", \"params\": {\"device\": \"cpu\"},"
        + " \"primaryMetric\": {\"rawData\": [[" + xs + "]]}}";
  }

  @Test
  void anUnscopedTwinGetsItsOwnRowWithItsShareOfTheScopedStep(@TempDir Path dir) throws Exception {
    Path jmh = dir.resolve("jmh.json");
    Files.writeString(jmh, "[" + result("w2", 5.0, 4.0, 6.0) + ", " + result("w2Unscoped", 5.5, 5.5, 5.6) + "]");
    String table = Report.render(Map.of("jmh", jmh.toString(), "reference", "reference.md"));
    assertTrue(table.contains("| W2 MLP, ms | 5.00 (4.00–6.00) |"), table);
    assertTrue(table.contains("| W2 without `TensorScope`, ms (+10.0% vs scoped) | 5.50 (5.50–5.60) |"), table);
    assertFalse(table.contains("W4 without"), "a twin that did not run gets no row:\n" + table);
  }

  @Test
  void theShareOfTheScopedStepIsSignedAndSaysWhenTheScopedStepIsMissing() {
    Report.Stat scoped = new Report.Stat(4.0, 3.0, 5.0, 3);
    assertEquals("-25.0% vs scoped", Report.scopedShare(new Report.Stat(3.0, 3.0, 3.0, 1), scoped));
    assertEquals("+0.0% vs scoped", Report.scopedShare(scoped, scoped));
    assertEquals("scoped not run", Report.scopedShare(scoped, null));
  }
}
