package dev.ember.bench;

import dev.ember.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one run's measurements into the markdown table of {@code bench/run}: Ember's JMH results, the
 * start-up harness's lines, PyTorch's BENCH_RESULT lines from the same run (or, without them, the figures
 * in {@code reference.md}) and DL4J's figures from {@code reference.md}.
 *
 * <p>Usage: {@code java -cp ... dev.ember.bench.Report --jmh FILE --startup FILE --reference FILE
 * [--pytorch FILE] [--ops-jmh FILE --ops-pytorch FILE] [--skip-workloads true] [--out FILE] [--note
 * TEXT]}. Writes the table to {@code --out} and prints it; with the single-op files it adds the table
 * of {@link OpsTable}; {@code --skip-workloads true} leaves out the W1-W6 table (bench/run --ops-only).
 */
public final class Report {
  private static final Pattern STAT = Pattern.compile("(\\d+(?:\\.\\d+)?) \\((\\d+(?:\\.\\d+)?)-(\\d+(?:\\.\\d+)?)\\)");
  private static final Pattern MIB = Pattern.compile("(\\d+) \\((W\\d)\\)");

  /** Median, minimum and maximum of a set of samples, and how many there were. */
  record Stat(double median, double min, double max, int n) {
    static Stat of(List<Double> xs) {
      double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      if (a.length == 0) {
        return null;
      }
      int m = a.length / 2;
      double med = a.length % 2 == 1 ? a[m] : (a[m - 1] + a[m]) / 2;
      return new Stat(med, a[0], a[a.length - 1], a.length);
    }

    Stat scale(double f) {
      return new Stat(median * f, min * f, max * f, n);
    }

    String format() {
      return String.format(Locale.ROOT, "%s (%s–%s)", num(median), num(min), num(max));
    }
  }

  /** What reference.md says about one framework. */
  static final class Ref {
    final Map<String, Stat> steps = new LinkedHashMap<>();
    final Map<String, Double> w6 = new LinkedHashMap<>();
    final Map<String, Double> rss = new LinkedHashMap<>();
  }

  private Report() {}

  /** Runs the report; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    Map<String, String> opt = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String table = render(opt);
    if (opt.containsKey("out")) {
      Path out = Path.of(opt.get("out"));
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      Files.writeString(out, table);
    }
    System.out.print(table);
  }

  static String render(Map<String, String> opt) throws IOException {
    // Ember: JMH results keyed "w2@cpu", "w6-1024@cpu".
    Map<String, Stat> ember = new LinkedHashMap<>();
    Map<String, String> emberErrors = new LinkedHashMap<>();
    if (opt.containsKey("jmh") && Files.isReadable(Path.of(opt.get("jmh")))) {
      String text = Files.readString(Path.of(opt.get("jmh"))).strip();
      List<?> results = text.isEmpty() ? List.of() : (List<?>) Json.parse(text);
      for (Object o : results) {
        Map<?, ?> r = (Map<?, ?>) o;
        String bench = (String) r.get("benchmark");
        String name = bench.substring(bench.lastIndexOf('.') + 1);
        Map<?, ?> params = r.get("params") == null ? Map.of() : (Map<?, ?>) r.get("params");
        String device = String.valueOf(params.containsKey("device") ? params.get("device") : "cpu");
        if (params.containsKey("n")) {
          name = name + "-" + params.get("n");
        }
        Map<?, ?> pm = (Map<?, ?>) r.get("primaryMetric");
        List<Double> xs = new ArrayList<>();
        for (Object fork : (List<?>) pm.get("rawData")) {
          for (Object v : (List<?>) fork) {
            xs.add(number(v));
          }
        }
        ember.put(name + "@" + device, Stat.of(xs));
      }
    }
    if (opt.containsKey("errors") && Files.isReadable(Path.of(opt.get("errors")))) {
      for (String line : Files.readAllLines(Path.of(opt.get("errors")))) {
        int tab = line.indexOf('\t');
        if (tab > 0) {
          emberErrors.put(line.substring(0, tab), line.substring(tab + 1));
        }
      }
    }

    // Start-up and memory.
    Map<String, List<Double>> ttfs = new LinkedHashMap<>();
    Map<String, List<Double>> hwm = new LinkedHashMap<>();
    if (opt.containsKey("startup") && Files.isReadable(Path.of(opt.get("startup")))) {
      for (String line : Files.readAllLines(Path.of(opt.get("startup")))) {
        if (!line.startsWith("STARTUP ")) {
          continue;
        }
        Map<String, Object> s = parseObject(line.substring(8));
        if (!Boolean.TRUE.equals(s.get("ok"))) {
          continue;
        }
        String w = (String) s.get("workload");
        ttfs.computeIfAbsent(w, k -> new ArrayList<>()).add(number(s.get("first_step_ms_from_launch")) / 1000);
        hwm.computeIfAbsent(w, k -> new ArrayList<>()).add(number(s.get("vm_hwm_mib")));
      }
    }

    // PyTorch from the same run.
    Map<String, Stat> torch = new LinkedHashMap<>();
    Map<String, Double> torchW6 = new LinkedHashMap<>();
    Map<String, Double> torchRss = new LinkedHashMap<>();
    String torchVersion = null;
    if (opt.containsKey("pytorch") && Files.isReadable(Path.of(opt.get("pytorch")))) {
      for (String line : Files.readAllLines(Path.of(opt.get("pytorch")))) {
        int at = line.indexOf("BENCH_RESULT ");
        if (at < 0) {
          continue;
        }
        Map<String, Object> r = parseObject(line.substring(at + 13));
        if (!Boolean.TRUE.equals(r.get("ok"))) {
          continue;
        }
        torchVersion = String.valueOf(r.get("version"));
        String w = (String) r.get("workload");
        if (w.equals("W6")) {
          Map<?, ?> ms = (Map<?, ?>) r.get("w6_ms");
          for (Map.Entry<?, ?> e : ms.entrySet()) {
            torch.put("w6-" + e.getKey(), Stat.of(numbers(e.getValue())));
          }
          Map<?, ?> g = (Map<?, ?>) r.get("w6_gflops_median");
          for (Map.Entry<?, ?> e : g.entrySet()) {
            torchW6.put(String.valueOf(e.getKey()), number(e.getValue()));
          }
          continue;
        }
        Stat st = Stat.of(numbers(r.get("times_ms")));
        // W1 is reported per op; W5f (nn.LSTM) is the row Ember's W5 (nn.LSTM) compares with.
        String key = w.equals("W1") ? "w1" : w.equals("W5f") ? "w5" : w.equals("W5") ? "w5cell" : w.toLowerCase();
        torch.put(key, w.equals("W1") ? st.scale(1000.0 / Workloads.W1_OPS) : st);
        if (r.get("rss_peak_mb") != null) {
          torchRss.put(w, number(r.get("rss_peak_mb")));
        }
      }
    }
    Map<String, Ref> ref = readReference(Path.of(opt.getOrDefault("reference", "bench/reference.md")));
    boolean torchSameRun = !torch.isEmpty();
    if (!torchSameRun) {
      Ref t = ref.get("pytorch");
      for (Map.Entry<String, Stat> e : t.steps.entrySet()) {
        torch.put(e.getKey(), e.getValue());
      }
      for (Map.Entry<String, Double> e : t.w6.entrySet()) {
        torchW6.put(e.getKey(), e.getValue());
        double n = Double.parseDouble(e.getKey());
        double ms = 2 * n * n * n / (e.getValue() * 1e9) * 1e3;
        torch.put("w6-" + e.getKey(), new Stat(ms, Double.NaN, Double.NaN, 0));
      }
      torchRss.putAll(t.rss);
    }
    Ref dl4j = ref.get("dl4j");

    List<String> devices = new ArrayList<>();
    for (String k : ember.keySet()) {
      String d = k.substring(k.indexOf('@') + 1);
      if (!devices.contains(d)) {
        devices.add(d);
      }
    }
    if (devices.isEmpty()) {
      devices.add("cpu");
    }

    StringBuilder b = new StringBuilder();
    b.append("# Ember benchmarks beside PyTorch and DL4J\n\n");
    if (opt.containsKey("note")) {
      b.append(opt.get("note").replace("\\n", "\n")).append("\n\n");
    }
    b.append(String.format(Locale.ROOT,
        "Per step: median (min–max) over single-shot JMH measurements of one step each (W1: µs per op, W2-W5: ms "
            + "per training step, W6: ms per product). PyTorch%s: %s. DL4J 1.0.0-M2.1: from `reference.md` (another "
            + "day, same machine kind). Ratios are time ÷ time: above 1 means Ember is slower. GFLOP/s counts GEMM "
            + "and convolution FLOPs only; %% is of the same framework's best W6 figure in this table. Peak RSS "
            + "(VmHWM after 20 steps) and launch-to-first-step are medians over fresh JVMs.\n\n",
        torchVersion == null ? "" : " " + torchVersion,
        torchSameRun ? "measured in this run (`shared/bench/pytorch/run`)" : "from `reference.md` (no PyTorch run)"));

    for (String device : "true".equals(opt.get("skip-workloads")) ? List.<String>of() : devices) {
      double emberCeil = Math.max(gflops(ember.get("w6-1024@" + device), 1024),
          gflops(ember.get("w6-2048@" + device), 2048));
      double torchCeil = torchW6.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
      if (devices.size() > 1 || !device.equals("cpu")) {
        b.append("### ").append(device).append("\n\n");
      }
      b.append("| workload | Ember | PyTorch | DL4J (ref.) | Ember ÷ PyTorch | Ember ÷ DL4J "
          + "| GFLOP/s Ember (% of W6) | GFLOP/s PyTorch (% of W6) | peak RSS MiB: Ember / PyTorch / DL4J "
          + "| JVM launch → first step, s |\n");
      b.append("|---|---|---|---|---|---|---|---|---|---|\n");
      // Ember's benchmark, the workload (PyTorch's and DL4J's figures, FLOPs), the row's name; the
      // unscoped twins are the same steps written without TensorScope, as a PyTorch user writes them.
      String[][] rows = {
          {"w1", "W1", "W1 op overhead, µs/op"},
          {"w2", "W2", "W2 MLP, ms"},
          {"w2Unscoped", "W2", "W2 without `TensorScope`, ms"},
          {"w3", "W3", "W3 CNN, ms"},
          {"w4", "W4", "W4 tiny GPT, ms"},
          {"w4Unscoped", "W4", "W4 without `TensorScope`, ms"},
          {"w5", "W5", "W5 LSTM (nn.LSTM; PyTorch W5f), ms"}};
      boolean cpu = device.equals("cpu");
      for (String[] row : rows) {
        String key = row[0];
        String w = row[1];
        Stat e = ember.get(key + "@" + device);
        boolean twin = !key.equals(w.toLowerCase(Locale.ROOT));
        if (twin && e == null) {
          continue; // the unscoped twins were not in this run (--only)
        }
        String torchKey = w.toLowerCase(Locale.ROOT);
        Stat t = cpu ? torch.get(torchKey) : null;
        Stat d = cpu ? dl4j.steps.get(torchKey) : null;
        double flops = Workloads.flopsPerStep(w);
        String err = emberErrors.get(key + "@" + device);
        String name = twin ? row[2] + " (" + scopedShare(e, ember.get(torchKey + "@" + device)) + ")" : row[2];
        if (twin) { // memory and start-up belong to the scoped row
          b.append("| ").append(name)
              .append(" | ").append(e.format())
              .append(" | ").append(t == null ? "–" : t.format())
              .append(" | – | ").append(ratio(e, t))
              .append(" | – | ").append(gflopsCell(e, flops, emberCeil))
              .append(" | – | – | – |\n");
          continue;
        }
        b.append("| ").append(name)
            .append(" | ").append(e == null ? (err == null ? "not run" : "failed: " + err) : e.format())
            .append(" | ").append(t == null ? "–" : t.format())
            .append(" | ").append(d == null ? "–" : d.format())
            .append(" | ").append(ratio(e, t))
            .append(" | ").append(ratio(e, d))
            .append(" | ").append(gflopsCell(e, flops, emberCeil))
            .append(" | ").append(gflopsCell(t, flops, torchCeil))
            .append(" | ").append(w.equals("W1") || w.equals("W5") ? "–"
                : String.format(Locale.ROOT, "%s / %s / %s", stat(hwm.get(w)), num(torchRss.get(w)), num(dl4j.rss.get(w))))
            .append(" | ").append(w.equals("W1") || w.equals("W5") ? "–" : statRange(ttfs.get(w)))
            .append(" |\n");
      }
      for (int n : new int[] {1024, 2048}) {
        Stat e = ember.get("w6-" + n + "@" + device);
        Stat t = cpu ? torch.get("w6-" + n) : null;
        Double dg = cpu ? dl4j.w6.get(Integer.toString(n)) : null;
        Stat d = dg == null ? null : new Stat(2.0 * n * n * n / (dg * 1e9) * 1e3, Double.NaN, Double.NaN, 0);
        double flops = 2.0 * n * n * n;
        String err = emberErrors.get("w6-" + n + "@" + device);
        b.append("| W6 matmul ").append(n).append("³, ms")
            .append(" | ").append(e == null ? (err == null ? "not run" : "failed: " + err) : e.format())
            .append(" | ").append(t == null ? "–" : Double.isNaN(t.min()) ? num(t.median()) : t.format())
            .append(" | ").append(d == null ? "–" : num(d.median()) + " (ND4J mmul)")
            .append(" | ").append(ratio(e, t))
            .append(" | ").append(ratio(e, d))
            .append(" | ").append(e == null ? "–" : num(flops / (e.median() * 1e6)))
            .append(" | ").append(t == null ? "–" : num(flops / (t.median() * 1e6)))
            .append(" | – | – |\n");
      }
      b.append("\n");
    }
    b.append(OpsTable.render(opt));
    if (!emberErrors.isEmpty()) {
      b.append("Skipped or failed: ");
      List<String> parts = new ArrayList<>();
      emberErrors.forEach((k, v) -> parts.add(k + " (" + v + ")"));
      b.append(String.join("; ", parts)).append("\n");
    }
    return b.toString();
  }

  /** "+3.1% vs scoped": the unscoped twin's median against the scoped step's, or "scoped not run". */
  static String scopedShare(Stat unscoped, Stat scoped) {
    if (scoped == null) {
      return "scoped not run";
    }
    return String.format(Locale.ROOT, "%+.1f%% vs scoped", 100 * (unscoped.median() / scoped.median() - 1));
  }

  /**
   * Parses one JSON object as Python's json module and {@link FirstStep} write them: the strict {@link
   * Json} after the bare tokens {@code NaN}, {@code Infinity} and {@code -Infinity} outside strings (which
   * JSON lacks) are turned into the strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"};
   * read numbers with {@link #number} or {@link #numbers}, which turn those back into doubles.
   */
  static Map<String, Object> parseObject(String text) {
    StringBuilder b = new StringBuilder(text.length() + 16);
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        b.append(c);
        if (c == '\\' && i + 1 < text.length()) {
          b.append(text.charAt(++i));
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      String token = null;
      for (String t : NON_FINITE) {
        if (text.startsWith(t, i)) {
          token = t;
          break;
        }
      }
      if (token != null) {
        b.append('"').append(token).append('"');
        i += token.length() - 1;
      } else {
        inString = c == '"';
        b.append(c);
      }
    }
    return Json.parseObject(b.toString());
  }

  private static final List<String> NON_FINITE = List.of("NaN", "Infinity", "-Infinity");

  /**
   * Returns a parsed JSON number as a double; also the strings {@code "NaN"}, {@code "Infinity"} and
   * {@code "-Infinity"} that {@link #parseObject} makes of Python's tokens, and {@code "+INF"} and {@code
   * "-INF"} that JMH writes in its JSON.
   */
  static double number(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      switch (s) {
        case "NaN":
          return Double.NaN;
        case "Infinity", "+INF":
          return Double.POSITIVE_INFINITY;
        case "-Infinity", "-INF":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw new IllegalArgumentException("expected a number, got " + Json.typeName(v) + " " + v);
  }

  /** Returns a parsed JSON array as doubles, each element read with {@link #number}. */
  static List<Double> numbers(Object array) {
    if (!(array instanceof List<?> list)) {
      throw new IllegalArgumentException("expected an array, got " + Json.typeName(array));
    }
    List<Double> out = new ArrayList<>(list.size());
    for (Object v : list) {
      out.add(number(v));
    }
    return out;
  }

  /** Reads the per-step, W6 and memory figures of reference.md for "pytorch" and "dl4j". */
  static Map<String, Ref> readReference(Path file) throws IOException {
    Ref torch = new Ref();
    Ref dl4j = new Ref();
    List<String> lines = Files.isReadable(file) ? Files.readAllLines(file) : List.of();
    for (String line : lines) {
      if (line.startsWith("| W")) {
        String[] cells = Arrays.stream(line.split("\\|")).map(String::strip).toArray(String[]::new);
        // cells: "", workload, PyTorch, DJL, DL4J
        String label = cells[1];
        String key = label.startsWith("W5 LSTM, `nn.LSTM`") ? "w5"
            : label.startsWith("W5") ? "w5cell" : label.substring(0, 2).toLowerCase(Locale.ROOT);
        putStat(torch.steps, key, cells.length > 2 ? cells[2] : "");
        putStat(dl4j.steps, key, cells.length > 4 ? cells[4] : "");
      } else if (line.startsWith("| PyTorch") && line.contains("matmul")) {
        putW6(torch.w6, line);
      } else if (line.startsWith("| ND4J")) {
        putW6(dl4j.w6, line);
      }
    }
    // The memory paragraph wraps over several lines: "PyTorch 315 (W2), ...; DL4J 135 (W2), ...".
    String text = String.join(" ", lines);
    int at = text.indexOf("Peak resident memory:");
    if (at >= 0) {
      int end = text.indexOf("JVM launch", at);
      for (String part : text.substring(at + 21, end < 0 ? text.length() : end).split(";")) {
        Ref r = part.strip().startsWith("PyTorch") ? torch : part.strip().startsWith("DL4J") ? dl4j : null;
        if (r == null) {
          continue;
        }
        Matcher m = MIB.matcher(part);
        while (m.find()) {
          r.rss.put(m.group(2), Double.parseDouble(m.group(1)));
        }
      }
    }
    return Map.of("pytorch", torch, "dl4j", dl4j);
  }

  private static void putStat(Map<String, Stat> into, String key, String cell) {
    Matcher m = STAT.matcher(cell);
    if (m.find()) {
      into.put(key, new Stat(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
          Double.parseDouble(m.group(3)), 0));
    }
  }

  private static void putW6(Map<String, Double> into, String line) {
    String[] cells = Arrays.stream(line.split("\\|")).map(String::strip).toArray(String[]::new);
    try {
      into.put("1024", Double.parseDouble(cells[2]));
      into.put("2048", Double.parseDouble(cells[3]));
    } catch (RuntimeException ignored) {
      // a row without both figures ("-") adds nothing
    }
  }

  private static double gflops(Stat s, int n) {
    return s == null ? Double.NaN : 2.0 * n * n * n / (s.median() * 1e6);
  }

  private static String gflopsCell(Stat s, double flops, double ceiling) {
    if (s == null || Double.isNaN(flops)) {
      return "–";
    }
    double g = flops / (s.median() * 1e6);
    return Double.isNaN(ceiling) ? num(g) : String.format(Locale.ROOT, "%s (%.0f%%)", num(g), 100 * g / ceiling);
  }

  private static String ratio(Stat a, Stat b) {
    if (a == null || b == null) {
      return "–";
    }
    return String.format(Locale.ROOT, "%.2f×", a.median() / b.median());
  }

  private static String stat(List<Double> xs) {
    return xs == null ? "–" : num(Stat.of(xs).median());
  }

  private static String statRange(List<Double> xs) {
    if (xs == null) {
      return "–";
    }
    Stat s = Stat.of(xs);
    return s.n() == 1 ? String.format(Locale.ROOT, "%.2f", s.median())
        : String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", s.median(), s.min(), s.max());
  }

  /** Formats with three significant figures, no exponent. */
  static String num(Double v) {
    if (v == null || v.isNaN()) {
      return "–";
    }
    double a = Math.abs(v);
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    return String.format(Locale.ROOT, "%.3f", v);
  }
}
