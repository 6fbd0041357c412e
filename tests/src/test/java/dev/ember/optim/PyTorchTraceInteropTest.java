package dev.ember.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.Tensor;
import dev.ember.io.Json;
import dev.ember.optim.lr.CosineAnnealingLR;
import dev.ember.optim.lr.ExponentialLR;
import dev.ember.optim.lr.LRScheduler;
import dev.ember.optim.lr.LinearLR;
import dev.ember.optim.lr.MultiStepLR;
import dev.ember.optim.lr.OneCycleLR;
import dev.ember.optim.lr.StepLR;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays PyTorch's optimizer trajectories and learning-rate traces from {@code
 * interop/optim.json} (PyTorch 2.13, float64) step by step.
 */
class PyTorchTraceInteropTest {
  private static final double TOL = 1e-10;

  private static Map<String, Object> data() {
    try (InputStream in = PyTorchTraceInteropTest.class.getResourceAsStream("/interop/optim.json")) {
      if (in == null) {
        throw new IllegalStateException("no resource /interop/optim.json");
      }
      return Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Stream<Arguments> optimizers() {
    return ((List<Map<String, Object>>) data().get("optimizers")).stream()
        .map(o -> Arguments.of(o.get("optimizer"), o));
  }

  @SuppressWarnings("unchecked")
  static Stream<Arguments> schedulers() {
    return ((List<Map<String, Object>>) data().get("schedulers")).stream()
        .map(o -> Arguments.of(o.get("scheduler"), o));
  }

  static Tensor tensor(Object spec) {
    Map<?, ?> m = (Map<?, ?>) spec;
    return Tensor.of(Json.toDoubleArray(m.get("data")), Json.toIntArray(m.get("shape")));
  }

  /** Parses {@code Name(k=v, k=(a, b), k=True)} into the name and its keyword arguments. */
  static Map.Entry<String, Map<String, Object>> parseCall(String call) {
    String name = call.substring(0, call.indexOf('('));
    String inner = call.substring(call.indexOf('(') + 1, call.lastIndexOf(')'));
    Map<String, Object> kwargs = new LinkedHashMap<>();
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < inner.length(); i++) {
      char c = inner.charAt(i);
      depth += c == '(' || c == '[' ? 1 : c == ')' || c == ']' ? -1 : 0;
      if (c == ',' && depth == 0) {
        parts.add(inner.substring(start, i));
        start = i + 1;
      }
    }
    if (!inner.isBlank()) {
      parts.add(inner.substring(start));
    }
    for (String p : parts) {
      String k = p.substring(0, p.indexOf('=')).trim();
      String v = p.substring(p.indexOf('=') + 1).trim();
      Object value;
      if (v.equals("True") || v.equals("False")) {
        value = v.equals("True");
      } else if (v.startsWith("(") || v.startsWith("[")) {
        String[] items = v.substring(1, v.length() - 1).split(",");
        value = Stream.of(items).map(String::trim).filter(s -> !s.isEmpty()).mapToDouble(Double::parseDouble)
            .toArray();
      } else {
        value = Double.parseDouble(v);
      }
      kwargs.put(k, value);
    }
    return Map.entry(name, kwargs);
  }

  /** Builds the optimizer: typed defaults for the lr, every other argument as a group option. */
  static Optimizer build(String name, Map<String, Object> kwargs, List<Tensor> params) {
    double lr = (Double) kwargs.get("lr");
    ParamGroup group = ParamGroup.of(params);
    kwargs.forEach((k, v) -> {
      if (!k.equals("lr")) {
        group.set(k, v);
      }
    });
    return switch (name) {
      case "SGD" -> new SGD(SGD.options(lr), List.of(group));
      case "Adam" -> new Adam(Adam.options(lr), List.of(group));
      case "AdamW" -> new AdamW(AdamW.options(lr), List.of(group));
      case "RMSprop" -> new RMSprop(RMSprop.options(lr), List.of(group));
      case "Adagrad" -> new Adagrad(Adagrad.options(lr), List.of(group));
      default -> throw new IllegalArgumentException("unknown optimizer " + name);
    };
  }

  static Tensor loss(Tensor x, Tensor y, Tensor w, Tensor b) {
    return x.matmul(w).add(b).sub(y).square().mean();
  }

  static void assertClose(double[] expected, double[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs(expected[i] - actual[i]);
      if (diff > tol * Math.max(1, Math.abs(expected[i]))) {
        throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]
            + " (diff " + diff + ")");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  @SuppressWarnings("unchecked")
  void reproducesPyTorchTrajectory(String config, Map<String, Object> run) {
    List<Object> start = (List<Object>) run.get("start");
    Tensor w = tensor(start.get(0)).requiresGrad(true);
    Tensor b = tensor(start.get(1)).requiresGrad(true);
    Tensor x = tensor(run.get("x"));
    Tensor y = tensor(run.get("y"));
    var call = parseCall(config);
    Optimizer opt = build(call.getKey(), call.getValue(), List.of(w, b));
    List<Map<String, Object>> steps = (List<Map<String, Object>>) run.get("steps");
    for (int s = 0; s < steps.size(); s++) {
      Map<String, Object> expected = steps.get(s);
      opt.zeroGrad();
      Tensor l = loss(x, y, w, b);
      assertEquals(((Number) expected.get("loss_before_step")).doubleValue(), l.item(), TOL,
          config + " loss before step " + s);
      l.backward();
      opt.step();
      List<Object> params = (List<Object>) expected.get("params");
      assertClose(tensor(params.get(0)).toDoubleArray(), w.toDoubleArray(), TOL, config + " w after step " + s);
      assertClose(tensor(params.get(1)).toDoubleArray(), b.toDoubleArray(), TOL, config + " b after step " + s);
    }
  }

  /** Builds a scheduler from PyTorch's constructor text. */
  static LRScheduler schedule(String name, Map<String, Object> a, Optimizer opt) {
    return switch (name) {
      case "StepLR" -> new StepLR(opt, ((Double) a.get("step_size")).intValue(), (Double) a.get("gamma"));
      case "MultiStepLR" -> new MultiStepLR(opt, java.util.Arrays.stream((double[]) a.get("milestones"))
          .mapToInt(d -> (int) d).toArray(), (Double) a.get("gamma"));
      case "ExponentialLR" -> new ExponentialLR(opt, (Double) a.get("gamma"));
      case "CosineAnnealingLR" -> new CosineAnnealingLR(opt, ((Double) a.get("T_max")).intValue(),
          (Double) a.getOrDefault("eta_min", 0.0));
      case "OneCycleLR" -> new OneCycleLR(opt, (Double) a.get("max_lr"), ((Double) a.get("total_steps")).intValue());
      case "LinearLR" -> new LinearLR(opt, (Double) a.getOrDefault("start_factor", 1.0 / 3),
          (Double) a.getOrDefault("end_factor", 1.0), ((Double) a.getOrDefault("total_iters", 5.0)).intValue());
      default -> throw new IllegalArgumentException("unknown scheduler " + name);
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("schedulers")
  @SuppressWarnings("unchecked")
  void reproducesPyTorchLearningRates(String config, Map<String, Object> run) {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
    SGD opt = new SGD(List.of(w), SGD.options(((Number) run.get("base_lr")).doubleValue()));
    var call = parseCall(config);
    LRScheduler sched = schedule(call.getKey(), call.getValue(), opt);
    double[] expected = Json.toDoubleArray(run.get("lr_after_each_step"));
    for (int s = 0; s < expected.length; s++) {
      w.square().sum().backward();
      opt.step();
      opt.zeroGrad();
      sched.step();
      assertEquals(expected[s], sched.getLastLr()[0], TOL, config + " lr after step " + (s + 1));
      assertEquals(expected[s], opt.paramGroups().get(0).lr(), TOL, config + " group lr after step " + (s + 1));
    }
  }
}
