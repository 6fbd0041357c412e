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
    Map<String, Times> ember = readJmh(Files.readString(Path.of(jmh)));
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
    b.append("Ember: JMH average time per call, median over iterations; PyTorch ").append(torchVersion)
        .append(": `shared/bench/pytorch/run ops` in the same run, median of 200 calls. Forward alone under "
            + "no-grad; forward + backward of `out.sum()`. Ratios are Ember ÷ PyTorch (above 1: Ember slower).\n\n");
    b.append("| op | shape | Ember fwd | PyTorch fwd | ratio | Ember fwd+bwd | PyTorch fwd+bwd | ratio |\n");
    b.append("|---|---|---|---|---|---|---|---|\n");
    rows.forEach(r -> b.append(r).append('\n'));
    b.append(String.format(Locale.ROOT, "\nGeometric mean of the ratios: forward %s, forward + backward %s.\n\n",
        geomean(fwdRatios), geomean(bwdRatios)));
    return b.toString();
  }

  /** Reads the JMH JSON into case to times, for results with an {@code op} parameter. */
  static Map<String, Times> readJmh(String text) {
    Map<String, double[]> acc = new LinkedHashMap<>();
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
      List<Double> xs = new ArrayList<>();
      for (Object fork : (List<?>) pm.get("rawData")) {
        xs.addAll(Report.numbers(fork));
      }
      Report.Stat st = Report.Stat.of(xs);
      if (st == null) {
        continue;
      }
      double[] t = acc.computeIfAbsent(String.valueOf(params.get("op")), k -> new double[] {Double.NaN, Double.NaN});
      if (method.equals("fwd")) {
        t[0] = st.median();
      } else if (method.equals("fwdbwd")) {
        t[1] = st.median();
      }
    }
    Map<String, Times> out = new LinkedHashMap<>();
    acc.forEach((k, v) -> out.put(k, new Times(v[0], v[1])));
    return out;
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
