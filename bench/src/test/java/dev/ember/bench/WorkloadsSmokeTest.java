package dev.ember.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Runs one step of every workload on the CPU, so the benchmarks keep compiling and working. */
class WorkloadsSmokeTest {
  @ParameterizedTest
  @ValueSource(strings = {"W1", "W2", "W3", "W4", "W5"})
  void oneStepRunsAndGivesAFiniteLoss(String workload) {
    Workloads.Step step = Workloads.build(workload, Device.CPU);
    double loss = step.run();
    assertTrue(Double.isFinite(loss), workload + " loss " + loss);
  }

  @Test
  void trainingLowersTheMlpLoss() {
    Workloads.Step step = Workloads.build("W2", Device.CPU);
    double first = step.run();
    double last = first;
    for (int i = 0; i < 4; i++) {
      last = step.run();
    }
    assertTrue(last < first, "W2 loss " + first + " -> " + last);
  }

  @Test
  void matmulHasTheRightShapeAndFlops() {
    Workloads.Matmul m = new Workloads.Matmul(64, Device.CPU);
    Tensor c = m.run();
    assertEquals(List.of(64, 64), List.of(c.size(0), c.size(1)));
    assertEquals(2.0 * 64 * 64 * 64, m.flops());
  }

  @Test
  void cudaWithoutABackendSaysWhy() {
    Assumptions.assumeFalse(Device.cudaAvailable());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Workloads.build("W2", Device.cuda()));
    assertTrue(e.getMessage().startsWith("W2: skipped on cuda:0"), e.getMessage());
  }

  @Test
  void referenceFiguresParse() throws Exception {
    Path ref = Path.of("reference.md");
    Assumptions.assumeTrue(Files.isReadable(ref));
    Map<String, Report.Ref> r = Report.readReference(ref);
    assertEquals(10.9, r.get("pytorch").steps.get("w2").median());
    assertEquals(30.6, r.get("pytorch").steps.get("w5").median());
    assertEquals(231.0, r.get("dl4j").steps.get("w3").median());
    assertEquals(133.0, r.get("dl4j").w6.get("2048"));
    assertEquals(135.0, r.get("dl4j").rss.get("W2"));
  }

  @Test
  void jsonReadsJmhAndPythonValues() {
    Map<String, Object> m = Report.parseObject(
        "{\"a\": [1, 2.5e3, NaN, Infinity, -Infinity], \"b\": {\"c\": \"x\\\"y NaN\"}, \"d\": null}");
    assertEquals(List.of(1.0, 2500.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY),
        Report.numbers(m.get("a")));
    assertEquals("x\"y NaN", ((Map<?, ?>) m.get("b")).get("c"));
    assertEquals(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5),
        Report.numbers(Json.parse("[\"NaN\", \"+INF\", \"-INF\", 1.5]")));
    assertThrows(IllegalArgumentException.class, () -> Report.parseObject("{\"a\": 1, \"a\": 2}"));
    assertThrows(IllegalArgumentException.class, () -> Report.parseObject("{\"a\": NaNx}"));
  }
}
