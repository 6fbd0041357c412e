package dev.ember.conformance;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads golden cases (the format of {@code golden-cases.json}, see tests/README.md) and replays them
 * through {@link GoldenOps} on one device and dtype: the output and, when the case has a {@code
 * grad_output}, every input gradient.
 */
final class Golden {
  /** One serialized tensor. */
  record Data(int[] shape, String dtype, double[] values) {
    Tensor toTensor(DType floating, Device device) {
      Tensor t = switch (dtype) {
        case "float64", "float32", "float16", "bfloat16" -> Tensor.of(values, shape).to(floating);
        case "bool" -> {
          boolean[] b = new boolean[values.length];
          for (int i = 0; i < b.length; i++) {
            b[i] = values[i] != 0;
          }
          yield Tensor.of(b, shape);
        }
        case "int64", "int32" -> {
          long[] l = new long[values.length];
          for (int i = 0; i < l.length; i++) {
            l[i] = (long) values[i];
          }
          Tensor x = Tensor.of(l, shape);
          yield dtype.equals("int32") ? x.to(DType.INT32) : x;
        }
        default -> throw new IllegalArgumentException("golden: unsupported dtype " + dtype);
      };
      return t.to(device);
    }

    boolean isFloating() {
      return dtype.startsWith("float") || dtype.equals("bfloat16");
    }
  }

  /** One case: an op applied to inputs, with PyTorch's output and gradients. */
  record Case(String name, String op, GoldenOps.Attrs attrs, List<Data> inputs, Data output,
      Data gradOutput, List<Data> grads) {}

  /** The outcome of one case. */
  record Outcome(Case c, Status status, String detail) {}

  enum Status { PASSED, FAILED, NOT_IMPLEMENTED }

  /**
   * Tolerances: {@code |actual - expected| <= atol + rtol * |expected|}.
   *
   * @param rtol relative tolerance
   * @param atol absolute tolerance
   */
  record Tolerance(double rtol, double atol) {
    static Tolerance of(DType dtype) {
      // float64: the same math as PyTorch up to summation order, so ~1e-10 relative (the atol only
      // absorbs round-off around values that are exactly 0 in PyTorch's result).
      // float32: inputs are rounded to 24 bits before the op and every intermediate is float32,
      // so errors of a few ulps (~1e-7 rel) get amplified by the op's condition number: pow with
      // large exponents, softmax of logits in the hundreds (an absolute input error of 3e-5 at
      // |x| ~ 600), reductions over 24 elements. 1e-4 rel + 1e-5 abs covers those with margin
      // while still catching a wrong formula.
      // float16 / bfloat16: PyTorch's own assert_close defaults for them (1e-3 and 1.6e-2 relative,
      // about one unit in the last place of a 10- and a 7-bit mantissa), see HalfPrecisionConformanceTest.
      if (dtype == DType.FLOAT16) {
        return new Tolerance(1e-3, 1e-5);
      }
      if (dtype == DType.BFLOAT16) {
        return new Tolerance(1.6e-2, 1e-5);
      }
      return dtype == DType.FLOAT64 ? new Tolerance(1e-10, 1e-12) : new Tolerance(1e-4, 1e-5);
    }
  }

  private Golden() {}

  static List<Case> loadResource(String resource) {
    try (InputStream in = Golden.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("golden: resource " + resource + " not found on the class path");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("golden: cannot read " + resource, e);
    }
  }

  static List<Case> loadFile(Path path) {
    try {
      return parse(Files.readString(path));
    } catch (IOException e) {
      throw new IllegalStateException("golden: cannot read " + path, e);
    }
  }

  @SuppressWarnings("unchecked")
  static List<Case> parse(String json) {
    Map<String, Object> root = Json.parseObject(json);
    List<Case> cases = new ArrayList<>();
    for (Object o : (List<Object>) root.get("cases")) {
      Map<String, Object> c = (Map<String, Object>) o;
      List<Data> inputs = new ArrayList<>();
      for (Object i : (List<Object>) c.get("inputs")) {
        inputs.add(data(i));
      }
      List<Data> grads = new ArrayList<>();
      if (c.get("grads") != null) {
        for (Object g : (List<Object>) c.get("grads")) {
          grads.add(data(g));
        }
      }
      cases.add(new Case((String) c.get("name"), (String) c.get("op"),
          new GoldenOps.Attrs((Map<String, Object>) c.get("attrs")), inputs, data(c.get("output")),
          data(c.get("grad_output")), grads));
    }
    return cases;
  }

  @SuppressWarnings("unchecked")
  private static Data data(Object o) {
    if (o == null) {
      return null;
    }
    Map<String, Object> m = (Map<String, Object>) o;
    int[] s = Json.toIntArray(m.get("shape"));
    List<Object> values = (List<Object>) m.get("data");
    double[] v = new double[values.size()];
    for (int i = 0; i < v.length; i++) {
      Object x = values.get(i);
      // JSON has no NaN or infinities: generators write them as the strings "NaN", "Infinity", "-Infinity".
      v[i] = x instanceof Boolean b ? (b ? 1 : 0) : x instanceof String text ? Double.parseDouble(text)
          : ((Number) x).doubleValue();
    }
    return new Data(s, (String) m.get("dtype"), v);
  }

  /** Returns one line per outcome that did not pass: the case's name, its status and the detail. */
  static List<String> failures(List<Outcome> outcomes) {
    List<String> failed = new ArrayList<>();
    for (Outcome o : outcomes) {
      if (o.status() != Status.PASSED) {
        failed.add(o.c().name() + " (" + o.status() + ": " + o.detail() + ")");
      }
    }
    return failed;
  }

  /** Runs every case on {@code device} with floating inputs converted to {@code dtype}. */
  static List<Outcome> run(List<Case> cases, Device device, DType dtype) {
    List<Outcome> out = new ArrayList<>();
    for (Case c : cases) {
      GoldenOps.Op op = GoldenOps.lookup(c.op());
      if (op == null) {
        out.add(new Outcome(c, Status.NOT_IMPLEMENTED, "no row in GoldenOps"));
        continue;
      }
      String failure;
      try {
        failure = runOne(c, op, device, dtype);
      } catch (RuntimeException | AssertionError | StackOverflowError e) {
        failure = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
      out.add(new Outcome(c, failure == null ? Status.PASSED : Status.FAILED, failure));
    }
    return out;
  }

  private static String runOne(Case c, GoldenOps.Op op, Device device, DType dtype) {
    Tolerance tol = Tolerance.of(dtype);
    List<Tensor> inputs = new ArrayList<>();
    List<Tensor> diff = new ArrayList<>();
    List<Integer> diffIndex = new ArrayList<>();
    boolean wantGrads = c.gradOutput() != null;
    for (int i = 0; i < c.inputs().size(); i++) {
      Data d = c.inputs().get(i);
      Tensor t = d.toTensor(dtype, device);
      boolean hasGrad = wantGrads && i < c.grads().size() && c.grads().get(i) != null;
      if (hasGrad) {
        t.requiresGrad(true);
        diff.add(t);
        diffIndex.add(i);
      }
      inputs.add(t);
    }
    Tensor y = op.apply(inputs, c.attrs());
    if (!y.device().equals(device)) {
      return "output is on " + y.device() + ", expected " + device;
    }
    String problem = compare("output", y, c.output(), dtype, tol);
    if (problem != null || !wantGrads) {
      return problem;
    }
    if (!y.requiresGrad()) {
      return "output does not require grad";
    }
    Tensor go = c.gradOutput().toTensor(y.dtype(), device);
    Tensor[] grads = Autograd.grad(new Tensor[] {y}, diff.toArray(new Tensor[0]), new Tensor[] {go}, false,
        false, true);
    for (int k = 0; k < grads.length; k++) {
      int i = diffIndex.get(k);
      Tensor g = grads[k] == null ? Tensor.zerosLike(diff.get(k)) : grads[k];
      problem = compare("grad[" + i + "]", g, c.grads().get(i), dtype, tol);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String compare(String what, Tensor actual, Data expected, DType dtype, Tolerance tol) {
    if (!Arrays.equals(actual.shapeArray(), expected.shape())) {
      return what + ": shape " + actual.shape() + ", expected " + Arrays.toString(expected.shape());
    }
    if (expected.isFloating() && actual.dtype() != dtype) {
      return what + ": dtype " + actual.dtype() + ", expected " + dtype;
    }
    if (!expected.isFloating() && actual.dtype().isFloatingPoint()) {
      return what + ": dtype " + actual.dtype() + ", expected " + expected.dtype();
    }
    double[] a = actual.toDoubleArray();
    double[] e = expected.values();
    // Half-precision gradients are sums whose terms cancel, and PyTorch's backward formulas round
    // their intermediates in half at other points than Ember's (div, tanh, conv), so they agree to
    // a few units in the last place of the gradient's scale, not of each (possibly cancelled)
    // element: the relative tolerance also applies to the largest |expected|. Outputs stay strict.
    double scale = dtype.isHalf() && what.startsWith("grad") ? maxAbs(e) : 0;
    int worst = -1;
    double worstExcess = 0;
    for (int i = 0; i < e.length; i++) {
      double allowed = tol.atol() + tol.rtol() * (Math.abs(e[i]) + scale);
      double err = Math.abs(a[i] - e[i]);
      boolean same = a[i] == e[i] || (Double.isNaN(a[i]) && Double.isNaN(e[i]));
      if (!same && !(err <= allowed)) {
        double excess = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / allowed;
        if (worst < 0 || excess > worstExcess) {
          worst = i;
          worstExcess = excess;
        }
      }
    }
    if (worst < 0) {
      return null;
    }
    return String.format(Locale.ROOT, "%s: element %d is %.12g, expected %.12g (abs err %.3g, allowed %.3g)",
        what, worst, a[worst], e[worst], Math.abs(a[worst] - e[worst]),
        tol.atol() + tol.rtol() * (Math.abs(e[worst]) + scale));
  }

  private static double maxAbs(double[] values) {
    double m = 0;
    for (double v : values) {
      m = Double.isFinite(v) ? Math.max(m, Math.abs(v)) : m;
    }
    return m;
  }
}
