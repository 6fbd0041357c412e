package dev.ember.bench;

import dev.ember.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The single-op table of {@code bench/run}: Ember's JMH results of every benchmark class with an
 * {@code op} parameter ({@code "exp:73728"}, see {@link OpsBenchmark}) and methods {@code fwd} and
 * {@code fwdbwd}, beside the {@code BENCH_OP} lines of {@code shared/bench/pytorch/run ops} from the
 * same run. A row is printed for every case present on both sides, in PyTorch's order, so a new
 * benchmark class (convolutions, pooling) joins the table by following the same conventions.
 */
final class OpsTable {
  private OpsTable() {}

  /** One case's medians in microseconds (NaN where not measured). */
  record Times(double fwd, double fwdbwd) {}

  /** One JMH result: the median call and the mean call, microseconds. */
  record Sample(double median, double mean) {}

  /**
   * Returns the markdown table, or "" when {@code --ops-jmh} or {@code --ops-pytorch} is missing or
   * unreadable.
   */
  static String render(Map<String, String> opt) throws IOException {
    String jmh = opt.get("ops-jmh");
    String torch = opt.get("ops-pytorch");
    if (jmh == null || torch == null || !Files.isReadable(Path.of(jmh)) || !Files.isReadable(Path.of(torch))) {
      return "";
    }
    Map<String, Sample[]> samples = readJmh(Files.readString(Path.of(jmh)));
    Map<String, Times> ember = new LinkedHashMap<>();
    samples.forEach((k, v) -> ember.put(k, new Times(median(v[0]), median(v[1]))));
    Map<String, Times> pytorch = new LinkedHashMap<>();
    String torchVersion = "";
    for (String line : Files.readAllLines(Path.of(torch))) {
      int at = line.indexOf("BENCH_OP ");
      if (at < 0) {
        continue;
      }
      Map<String, Object> r = Report.parseObject(line.substring(at + 9));
      if (!"cpu".equals(r.getOrDefault("device", "cpu"))) {
        continue;
      }
      torchVersion = String.valueOf(r.get("torch"));
      StringBuilder key = new StringBuilder((String) r.get("op")).append(':');
      List<Double> shape = Report.numbers(r.get("shape"));
      for (int i = 0; i < shape.size(); i++) {
        key.append(i == 0 ? "" : "x").append(shape.get(i).longValue());
      }
      pytorch.put(key.toString(), new Times(Report.number(r.get("fwd_us")), Report.number(r.get("fwdbwd_us"))));
    }
    List<String> rows = new ArrayList<>();
    List<Double> fwdRatios = new ArrayList<>();
    List<Double> bwdRatios = new ArrayList<>();
    for (Map.Entry<String, Times> e : pytorch.entrySet()) {
      Times em = ember.get(e.getKey());
      if (em == null) {
        continue;
      }
      Times pt = e.getValue();
      String[] parts = e.getKey().split(":", 2);
      rows.add(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |", parts[0], parts[1].replace("x", "×"),
          Report.num(em.fwd()), Report.num(pt.fwd()), ratio(em.fwd(), pt.fwd(), fwdRatios),
          Report.num(em.fwdbwd()), Report.num(pt.fwdbwd()), ratio(em.fwdbwd(), pt.fwdbwd(), bwdRatios)));
    }
    if (rows.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    b.append("### Single ops (cpu, float32, µs per call)\n\n");
    b.append("Ember: JMH, median call (sample mode: every call timed); PyTorch ").append(torchVersion)
        .append(": `shared/bench/pytorch/run ops` in the same run, median of 200 calls. Forward alone under "
            + "no-grad; forward + backward of `out.sum()`. Ratios are Ember ÷ PyTorch (above 1: Ember slower).\n\n");
    b.append("| op | shape | Ember fwd | PyTorch fwd | ratio | Ember fwd+bwd | PyTorch fwd+bwd | ratio |\n");
    b.append("|---|---|---|---|---|---|---|---|\n");
    rows.forEach(r -> b.append(r).append('\n'));
    b.append(String.format(Locale.ROOT, "\nGeometric mean of the ratios: forward %s, forward + backward %s.\n",
        geomean(fwdRatios), geomean(bwdRatios)));
    b.append(tails(samples, pytorch.keySet()));
    return b.toString() + "\n";
  }

  /**
   * The cases whose mean call is over 1.25x their median (slow calls in the tail: a collection, a
   * descheduled thread), as one sentence naming them, or "" when there are none.
   */
  private static String tails(Map<String, Sample[]> samples, Iterable<String> order) {
    List<String> slow = new ArrayList<>();
    for (String key : order) {
      Sample[] v = samples.get(key);
      for (int i = 0; v != null && i < 2; i++) {
        if (v[i] != null && v[i].mean() > 1.25 * v[i].median()) {
          String[] parts = key.split(":", 2);
          slow.add(String.format(Locale.ROOT, "%s %s %s (median %s, mean %s)", parts[0], parts[1].replace("x", "×"),
              i == 0 ? "fwd" : "fwd+bwd", Report.num(v[i].median()), Report.num(v[i].mean())));
        }
      }
    }
    return slow.isEmpty() ? "" : "Ember's mean call is over 1.25x its median in: " + String.join("; ", slow) + ".\n";
  }

  private static double median(Sample s) {
    return s == null ? Double.NaN : s.median();
  }

  /**
   * Reads the JMH JSON into case to {fwd, fwdbwd} results, for results with an {@code op} parameter.
   * Sample mode ({@code "sample"}) gives the median call directly; average-time results (older runs) give
   * the median iteration's average as the median and the mean of iterations as the mean.
   */
  static Map<String, Sample[]> readJmh(String text) {
    Map<String, Sample[]> acc = new LinkedHashMap<>();
    String body = text.strip();
    List<?> results = body.isEmpty() ? List.of() : (List<?>) Json.parse(body);
    for (Object o : results) {
      Map<?, ?> r = (Map<?, ?>) o;
      Map<?, ?> params = r.get("params") == null ? Map.of() : (Map<?, ?>) r.get("params");
      if (!params.containsKey("op") || (params.containsKey("device") && !"cpu".equals(String.valueOf(params.get("device"))))) {
        continue;
      }
      String bench = (String) r.get("benchmark");
      String method = bench.substring(bench.lastIndexOf('.') + 1);
      Map<?, ?> pm = (Map<?, ?>) r.get("primaryMetric");
      Sample sample;
      if ("sample".equals(r.get("mode"))) {
        Map<?, ?> pct = (Map<?, ?>) pm.get("scorePercentiles");
        sample = new Sample(Report.number(pct.get("50.0")), Report.number(pm.get("score")));
      } else {
        List<Double> xs = new ArrayList<>();
        for (Object fork : (List<?>) pm.get("rawData")) {
          xs.addAll(Report.numbers(fork));
        }
        Report.Stat st = Report.Stat.of(xs);
        if (st == null) {
          continue;
        }
        sample = new Sample(st.median(), xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN));
      }
      Sample[] t = acc.computeIfAbsent(String.valueOf(params.get("op")), k -> new Sample[2]);
      if (method.equals("fwd")) {
        t[0] = sample;
      } else if (method.equals("fwdbwd")) {
        t[1] = sample;
      }
    }
    return acc;
  }

  private static String ratio(double ember, double torch, List<Double> into) {
    if (Double.isNaN(ember) || Double.isNaN(torch) || torch <= 0) {
      return "–";
    }
    double r = ember / torch;
    into.add(r);
    return String.format(Locale.ROOT, "%.2f×", r);
  }

  private static String geomean(List<Double> xs) {
    if (xs.isEmpty()) {
      return "–";
    }
    double s = 0;
    for (double x : xs) {
      s += Math.log(x);
    }
    return String.format(Locale.ROOT, "%.2f×", Math.exp(s / xs.size()));
  }
}
