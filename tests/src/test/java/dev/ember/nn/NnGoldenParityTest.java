package dev.ember.nn;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.conformance.GoldenOps;
import dev.ember.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch parity of the nn ops: every golden case of an op in {@link NnGoldenRows#OPS} must
 * match, output and every input gradient, in float64 and float32, on every device. Unlike the
 * generic runner (which only counts these ops), this test fails on any mismatch.
 *
 * <p>Tolerances: float64 1e-10 relative (+1e-12 absolute). float32 1e-4 relative plus an absolute
 * term of 1e-4 times the largest expected magnitude: convolution outputs and weight gradients are
 * dot products of up to C * kh * kw (or N * oh * ow) float32 terms, whose rounding error scales with
 * the terms, not with the (possibly cancelling, near-zero) result, so a purely relative bound would
 * reject correct values near zero.
 */
@ParameterizedClass(name = "[{0}, {1}]")
@MethodSource("dev.ember.conformance.Devices#underTestFusedAndComposed")
class NnGoldenParityTest {
  private static List<Map<String, Object>> cases;

  @Parameter(0)
  Device device;

  /** "fused" (backends' fused convolution/pooling primitives) or "composed" (tensor-api's compositions). */
  @Parameter(1)
  String path;

  private boolean fusedBefore;

  @org.junit.jupiter.api.BeforeEach
  void choosePath() {
    fusedBefore = dev.ember.conformance.FusedPath.use(path);
  }

  @org.junit.jupiter.api.AfterEach
  void restorePath() {
    dev.ember.internal.FusedPrimitives.setEnabled(fusedBefore);
  }

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws IOException {
    GoldenOps.lookup("torch.add");   // runs GoldenOps' static block, which registers NnGoldenRows
    NnGoldenRows.registerAll();
    try (InputStream in = NnGoldenParityTest.class.getResourceAsStream("/golden-cases.json")) {
      Map<String, Object> root = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      cases = new ArrayList<>();
      for (Object c : (List<Object>) root.get("cases")) {
        Map<String, Object> m = (Map<String, Object>) c;
        if (NnGoldenRows.OPS.contains((String) m.get("op"))) {
          cases.add(m);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void nnCasesMatchPyTorch(String dtypeName) {
    DType dtype = DType.parse(dtypeName);
    assertFalse(cases.isEmpty(), "no nn golden cases found");
    List<String> failures = new ArrayList<>();
    int passed = 0;
    for (Map<String, Object> c : cases) {
      String problem;
      try {
        problem = runOne(c, dtype);
      } catch (RuntimeException e) {
        problem = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
      if (problem == null) {
        passed++;
      } else {
        failures.add(c.get("name") + ": " + problem);
      }
    }
    System.out.println("nn golden[" + device + "," + dtype + "," + path + "]: " + passed + " passed, " + failures.size()
        + " failed" + (failures.isEmpty() ? "" : "\n  " + String.join("\n  ", failures)));
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  @SuppressWarnings("unchecked")
  private String runOne(Map<String, Object> c, DType dtype) {
    List<Map<String, Object>> inputs = (List<Map<String, Object>>) c.get("inputs");
    List<Map<String, Object>> grads = (List<Map<String, Object>>) c.get("grads");
    Map<String, Object> gradOutput = (Map<String, Object>) c.get("grad_output");
    List<Tensor> xs = new ArrayList<>();
    List<Tensor> diff = new ArrayList<>();
    List<Integer> diffIndex = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      Tensor t = tensor(inputs.get(i), dtype);
      if (gradOutput != null && grads != null && grads.get(i) != null) {
        t.requiresGrad(true);
        diff.add(t);
        diffIndex.add(i);
      }
      xs.add(t);
    }
    GoldenOps.Op op = GoldenOps.lookup((String) c.get("op"));
    Tensor y = op.apply(xs, attrs((Map<String, Object>) c.get("attrs")));
    String problem = compare("output", y, (Map<String, Object>) c.get("output"), dtype);
    if (problem != null || gradOutput == null) {
      return problem;
    }
    Tensor[] g = Autograd.grad(new Tensor[] {y}, diff.toArray(new Tensor[0]),
        new Tensor[] {tensor(gradOutput, dtype)}, false, false, true);
    for (int k = 0; k < g.length; k++) {
      Tensor gk = g[k] == null ? Tensor.zerosLike(diff.get(k)) : g[k];
      problem = compare("grad[" + diffIndex.get(k) + "]", gk, grads.get(diffIndex.get(k)), dtype);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static GoldenOps.Attrs attrs(Map<String, Object> m) {
    try {
      var ctor = GoldenOps.Attrs.class.getDeclaredConstructor(Map.class);
      ctor.setAccessible(true);
      return ctor.newInstance(m);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private Tensor tensor(Map<String, Object> m, DType floating) {
    int[] shape = Json.toIntArray(m.get("shape"));
    double[] v = values(m);
    String dtype = (String) m.get("dtype");
    Tensor t;
    if (dtype.startsWith("float")) {
      t = Tensor.of(v, shape).to(floating);
    } else if (dtype.equals("bool")) {
      boolean[] b = new boolean[v.length];
      for (int i = 0; i < b.length; i++) {
        b[i] = v[i] != 0;
      }
      t = Tensor.of(b, shape);
    } else {
      t = Tensor.of(Arrays.stream(v).mapToLong(d -> (long) d).toArray(), shape);
    }
    return t.to(device);
  }

  @SuppressWarnings("unchecked")
  private static double[] values(Map<String, Object> m) {
    List<Object> data = (List<Object>) m.get("data");
    double[] v = new double[data.size()];
    for (int i = 0; i < v.length; i++) {
      Object x = data.get(i);
      v[i] = x instanceof Boolean b ? (b ? 1 : 0) : ((Number) x).doubleValue();
    }
    return v;
  }

  private static String compare(String what, Tensor actual, Map<String, Object> expected, DType dtype) {
    int[] shape = Json.toIntArray(expected.get("shape"));
    if (!Arrays.equals(actual.shapeArray(), shape)) {
      return what + ": shape " + actual.shape() + ", expected " + Arrays.toString(shape);
    }
    if (actual.dtype() != dtype) {
      return what + ": dtype " + actual.dtype() + ", expected " + dtype;
    }
    double[] a = actual.toDoubleArray();
    double[] e = values(expected);
    double scale = Arrays.stream(e).map(Math::abs).max().orElse(0);
    double rtol = dtype == DType.FLOAT64 ? 1e-10 : 1e-4;
    double atol = dtype == DType.FLOAT64 ? 1e-12 : 1e-4 * Math.max(1, scale);
    for (int i = 0; i < e.length; i++) {
      double err = Math.abs(a[i] - e[i]);
      if (!(err <= atol + rtol * Math.abs(e[i])) && !(Double.isNaN(a[i]) && Double.isNaN(e[i]))) {
        return String.format(Locale.ROOT, "%s: element %d is %.12g, expected %.12g", what, i, a[i], e[i]);
      }
    }
    return null;
  }
}
