package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/pytorch-coverage.md true: every tier-1 and tier-2 PyTorch name of
 * {@code pytorch-usage-tiers.txt} has exactly one row; a mapped row's Ember name resolves by
 * reflection and its test reference exists (and mentions that name); "missing" and "n/a" rows carry
 * no Ember name, and an "n/a" row says why.
 *
 * <p>A row is {@code | api | tier | `name` | Ember | test | note |}. Ember is {@code `Class#method`}
 * (a public method, any arity) or {@code `Class`}, relative to {@code dev.ember} (a nested class with
 * {@code $}), or the word {@code missing} or {@code n/a}. The test is one of {@code
 * `TestClass#method`} (a test class of this module, whose method body names the Ember method or
 * class), {@code `gradcheck:case`} (a case of {@link GradCheckConformanceTest}) or {@code
 * `golden:op`} (a golden case of that op, which its replaying test requires to pass).
 */
class PytorchCoverageTest {
  private static final Pattern ROW = Pattern.compile(
      "^\\|\\s*(Tensor|torch|F|nn)\\s*\\|\\s*([12])\\s*\\|\\s*`([^`]+)`\\s*\\|([^|]*)\\|([^|]*)\\|([^|]*)\\|\\s*$");

  /** One row of the coverage table. */
  record Row(String api, String tier, String name, String ember, String test, String note, int line) {
    String key() {
      return api + " " + tier + " " + name;
    }
  }

  @Test
  void everyTierNameHasExactlyOneRow() throws IOException {
    List<String> tiers = tierNames();
    assertEquals(233, tiers.size(), "pytorch-usage-tiers.txt: 90 + 36 + 40 + 20 + 9 + 10 + 16 + 12 names");
    Map<String, List<Row>> byKey = new LinkedHashMap<>();
    for (Row r : rows()) {
      byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
    }
    List<String> problems = new ArrayList<>();
    for (String name : tiers) {
      int n = byKey.getOrDefault(name, List.of()).size();
      if (n != 1) {
        problems.add(name + ": " + n + " rows");
      }
    }
    Set<String> known = new HashSet<>(tiers);
    for (String key : byKey.keySet()) {
      if (!known.contains(key)) {
        problems.add(key + ": a row for a name that is not in the tier lists");
      }
    }
    assertTrue(problems.isEmpty(), "docs/pytorch-coverage.md:\n  " + String.join("\n  ", problems));
  }

  @Test
  void everyMappedNameResolvesAndHasAnExistingTest() throws IOException {
    Set<String> gradchecks = GradCheckConformanceTest.cases().stream()
        .map(GradCheckConformanceTest.Case::name).collect(Collectors.toSet());
    Set<String> goldenOps = requiredGoldenOps();
    Map<String, Path> testSources = testSources();
    List<String> problems = new ArrayList<>();
    for (Row r : rows()) {
      String where = "line " + r.line() + " (" + r.key() + "): ";
      String ember = unquote(r.ember());
      if (ember.equals("missing") || ember.equals("n/a")) {
        if (!r.test().equals("-")) {
          problems.add(where + ember + " rows take '-' as the test, not " + r.test());
        }
        if (ember.equals("n/a") && r.note().isBlank()) {
          problems.add(where + "an n/a row must say why in its note");
        }
        continue;
      }
      String simpleName;
      try {
        simpleName = resolveEmber(ember);
      } catch (ReflectiveOperationException | IllegalArgumentException e) {
        problems.add(where + "Ember name " + ember + " does not resolve: " + e);
        continue;
      }
      String test = unquote(r.test());
      if (test.startsWith("gradcheck:")) {
        if (!gradchecks.contains(test.substring("gradcheck:".length()))) {
          problems.add(where + "no GradCheckConformanceTest case " + test);
        }
      } else if (test.startsWith("golden:")) {
        if (!goldenOps.contains(test.substring("golden:".length()))) {
          problems.add(where + "no required golden case of " + test);
        }
      } else {
        String problem = checkTestMethod(test, simpleName, testSources);
        if (problem != null) {
          problems.add(where + problem);
        }
      }
    }
    assertTrue(problems.isEmpty(), "docs/pytorch-coverage.md:\n  " + String.join("\n  ", problems));
  }

  @Test
  void aStaleRowIsReported() throws Exception {
    assertTrue(resolveEmber("Tensor#sum").equals("sum"));
    org.junit.jupiter.api.Assertions.assertThrows(NoSuchMethodException.class,
        () -> resolveEmber("Tensor#noSuchMethodAnywhere"));
    org.junit.jupiter.api.Assertions.assertThrows(ClassNotFoundException.class,
        () -> resolveEmber("nn.NoSuchModule"));
    Map<String, Path> sources = testSources();
    assertTrue(checkTestMethod("PytorchCoverageTest#noSuchTest", "sum", sources) != null);
    assertTrue(checkTestMethod("PytorchCoverageTest#aStaleRowIsReported", "sum", sources) == null);
    assertTrue(checkTestMethod("PytorchCoverageTest#aStaleRowIsReported", "nothing" + "Here", sources) != null);
  }

  /** Returns the simple name (method or class) that a test must mention; throws if it does not resolve. */
  static String resolveEmber(String ember) throws ReflectiveOperationException {
    int hash = ember.indexOf('#');
    String className = "dev.ember." + (hash < 0 ? ember : ember.substring(0, hash));
    Class<?> type = Class.forName(className);
    if (hash < 0) {
      return type.getSimpleName();
    }
    String method = ember.substring(hash + 1);
    for (Method m : type.getMethods()) {
      if (m.getName().equals(method) && Modifier.isPublic(m.getModifiers())) {
        return method;
      }
    }
    // A record component's accessor is public on a public record; the loop above finds it.
    throw new NoSuchMethodException(className + "#" + method);
  }

  /** Returns null when {@code Class#method} is a test method whose body names {@code mention}. */
  static String checkTestMethod(String ref, String mention, Map<String, Path> sources) throws IOException {
    int hash = ref.indexOf('#');
    if (hash < 0) {
      return "test reference " + ref + " is not Class#method, gradcheck:case or golden:op";
    }
    Path file = sources.get(ref.substring(0, hash));
    if (file == null) {
      return "no test class " + ref.substring(0, hash) + " in src/test/java";
    }
    String method = ref.substring(hash + 1);
    String src = Files.readString(file, StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("\\n  (?:public |static |final )*(?:void|Stream<[^>]+>) " + Pattern.quote(method)
        + "\\(").matcher(src);
    if (!m.find()) {
      return "no test method " + ref;
    }
    int end = src.indexOf("\n  }\n", m.end());
    String body = src.substring(m.start(), end < 0 ? src.length() : end);
    if (!Pattern.compile("\\b" + Pattern.quote(mention) + "\\b").matcher(body).find()) {
      return ref + " does not mention " + mention;
    }
    return null;
  }

  private static String unquote(String cell) {
    String s = cell.strip();
    return s.startsWith("`") && s.endsWith("`") && s.length() > 1 ? s.substring(1, s.length() - 1) : s;
  }

  private static List<String> tierNames() throws IOException {
    try (InputStream in = PytorchCoverageTest.class.getResourceAsStream("/pytorch-usage-tiers.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toList());
    }
  }

  static List<Row> rows() throws IOException {
    List<String> lines = Files.readAllLines(projectRoot().resolve("docs/pytorch-coverage.md"));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = ROW.matcher(lines.get(i));
      if (m.matches()) {
        rows.add(new Row(m.group(1), m.group(2), m.group(3), m.group(4).strip(), m.group(5).strip(),
            m.group(6).strip(), i + 1));
      }
    }
    return rows;
  }

  /** The ops of golden cases that some test requires to pass on every backend and dtype. */
  private static Set<String> requiredGoldenOps() {
    Set<String> required = new HashSet<>(GoldenOps.OWNED);
    required.addAll(dev.ember.nn.NnGoldenRows.OPS);
    required.addAll(IndexingGoldenConformanceTest.OPS);
    // MathNamesConformanceTest requires every case of its file to pass
    Golden.loadResource(MathNamesConformanceTest.RESOURCE).forEach(c -> required.add(c.op()));
    Set<String> present = new HashSet<>();
    for (String resource : List.of("/golden-cases.json", IndexingGoldenConformanceTest.RESOURCE,
        MathNamesConformanceTest.RESOURCE)) {
      Golden.loadResource(resource).forEach(c -> present.add(c.op()));
    }
    required.retainAll(present);
    return required;
  }

  private static Map<String, Path> testSources() throws IOException {
    Path root = projectRoot().resolve("tests/src/test/java");
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".java"))
          .collect(Collectors.toMap(p -> p.getFileName().toString().replace(".java", ""), p -> p, (a, b) -> a));
    }
  }

  private static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("docs/pytorch-coverage.md"))) {
        return p;
      }
    }
    throw new IllegalStateException("docs/pytorch-coverage.md not found above " + dir
        + " (" + Arrays.toString(dir.toFile().list()) + ")");
  }
}
