package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.DType;
import dev.ember.Device;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays PyTorch's vectors (golden-cases.json) on every device, in float64 and float32: outputs and
 * every input gradient. Prints {@code golden[cpu,float64]: N passed, M failed, K not implemented}
 * and the failures; fails if any case of an op in {@link GoldenOps#OWNED} fails. With {@code
 * -Dember.golden=/path/cases.json} it also replays that file, requiring every case with a row in
 * {@link GoldenOps} to pass.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class GoldenParityTest {
  private static List<Golden.Case> cases;

  @Parameter
  Device device;

  @BeforeAll
  static void load() {
    if (cases == null) {
      cases = Golden.loadResource("/golden-cases.json");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void bundledCasesMatchPyTorch(String dtypeName) {
    DType dtype = DType.parse(dtypeName);
    List<Golden.Outcome> outcomes = Golden.run(cases, device, dtype);
    report("golden[" + device + "," + dtype + "]", outcomes);
    List<String> ownedFailures = outcomes.stream()
        .filter(o -> o.status() != Golden.Status.PASSED && GoldenOps.OWNED.contains(o.c().op()))
        .map(o -> o.c().name() + " (" + o.detail() + ")")
        .collect(Collectors.toList());
    assertTrue(ownedFailures.isEmpty(), "golden[" + device + "," + dtype + "]: owned cases failed: "
        + String.join("\n  ", ownedFailures));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void extraCasesFromSystemProperty(String dtypeName) {
    String path = System.getProperty("ember.golden", "");
    assumeTrue(!path.isBlank(), "set -Dember.golden=/path/cases.json to replay another file");
    DType dtype = DType.parse(dtypeName);
    List<Golden.Outcome> outcomes = Golden.run(Golden.loadFile(Path.of(path)), device, dtype);
    report("golden[" + device + "," + dtype + "," + Path.of(path).getFileName() + "]", outcomes);
    List<String> failures = outcomes.stream().filter(o -> o.status() == Golden.Status.FAILED)
        .map(o -> o.c().name() + " (" + o.detail() + ")").collect(Collectors.toList());
    assertTrue(failures.isEmpty(), path + ": cases failed:\n  " + String.join("\n  ", failures));
  }

  @org.junit.jupiter.api.Test
  void runnerDetectsAWrongValue() {
    Golden.Case c = cases.stream().filter(k -> k.op().equals("torch.mul")).findFirst().orElseThrow();
    double[] bumped = c.output().values().clone();
    bumped[0] *= 1 + 1e-8;
    Golden.Case wrong = new Golden.Case(c.name(), c.op(), c.attrs(), c.inputs(),
        new Golden.Data(c.output().shape(), c.output().dtype(), bumped), c.gradOutput(), c.grads());
    List<Golden.Outcome> o = Golden.run(List.of(c, wrong), device, DType.FLOAT64);
    assertTrue(o.get(0).status() == Golden.Status.PASSED, String.valueOf(o.get(0).detail()));
    assertTrue(o.get(1).status() == Golden.Status.FAILED && o.get(1).detail().startsWith("output: element 0"),
        String.valueOf(o.get(1).detail()));
  }

  private static void report(String label, List<Golden.Outcome> outcomes) {
    long passed = outcomes.stream().filter(o -> o.status() == Golden.Status.PASSED).count();
    long failed = outcomes.stream().filter(o -> o.status() == Golden.Status.FAILED).count();
    long missing = outcomes.stream().filter(o -> o.status() == Golden.Status.NOT_IMPLEMENTED).count();
    StringBuilder sb = new StringBuilder();
    sb.append(label).append(": ").append(passed).append(" passed, ").append(failed).append(" failed, ")
        .append(missing).append(" not implemented");
    for (Golden.Outcome o : outcomes) {
      if (o.status() == Golden.Status.FAILED) {
        sb.append("\n  FAILED ").append(o.c().name()).append(": ").append(o.detail());
      }
    }
    if (missing > 0) {
      sb.append("\n  not implemented: ").append(outcomes.stream()
          .filter(o -> o.status() == Golden.Status.NOT_IMPLEMENTED).map(o -> o.c().op()).distinct()
          .sorted().collect(Collectors.joining(", ")));
    }
    System.out.println(sb);
  }

}
