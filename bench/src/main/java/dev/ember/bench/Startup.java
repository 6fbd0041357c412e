package dev.ember.bench;

import dev.ember.io.Json;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Time to first step and peak memory, outside JMH: launches a fresh JVM per run of {@link FirstStep},
 * with this JVM's class path and the same native-cache and thread settings, and measures wall time from
 * just before the launch to the end of the child's first step (both read the same wall clock).
 *
 * <p>Usage: {@code java -cp ... dev.ember.bench.Startup [--runs 3] [--steps 20] [--device cpu] W2 W3 W4}.
 * Prints one {@code STARTUP {json}} line per launch: the child's fields plus {@code
 * first_step_ms_from_launch}. The child's {@code vm_hwm_mib} is its peak resident memory after {@code
 * steps} steps.
 */
public final class Startup {
  private Startup() {}

  /** Runs the harness; see the class comment. */
  public static void main(String[] args) throws IOException, InterruptedException {
    int runs = 3;
    int steps = 20;
    String device = "cpu";
    List<String> workloads = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--device" -> device = args[++i];
        default -> workloads.add(args[i]);
      }
    }
    if (workloads.isEmpty()) {
      workloads = List.of("W2", "W3", "W4");
    }
    for (String w : workloads) {
      for (int r = 0; r < runs; r++) {
        String line = launch(w, steps, device);
        System.out.println(line);
        System.out.flush();
      }
    }
  }

  /** Launches one child and returns its STARTUP line with the launch-based time added. */
  static String launch(String workload, int steps, String device) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.add("-Xss4m");
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      cmd.add("--add-modules=jdk.incubator.vector"); // as this JVM: the CPU backend's vector loops
    }
    cmd.add("-cp");
    cmd.add(ManagementFactory.getRuntimeMXBean().getClassPath());
    cmd.add(FirstStep.class.getName());
    cmd.add(workload);
    cmd.add(Integer.toString(steps));
    cmd.add(device);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
    env.putIfAbsent("OMP_NUM_THREADS", "2");
    long launched = System.currentTimeMillis();
    Process p = pb.start();
    String result = null;
    StringBuilder tail = new StringBuilder();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("STARTUP ")) {
          result = line;
        } else if (tail.length() < 4000) {
          tail.append(line).append('\n');
        }
      }
    }
    int rc = p.waitFor();
    if (result == null || rc != 0) {
      return String.format(Locale.ROOT, "STARTUP {\"workload\":\"%s\",\"device\":\"%s\",\"ok\":false,\"reason\":%s}",
          workload, device, Json.write("exit " + rc + ": " + tail.toString().strip()));
    }
    Map<String, Object> child = Report.parseObject(result.substring(8));
    long end = ((Number) child.get("first_step_end_epoch_ms")).longValue();
    return result.substring(0, result.length() - 1)
        + String.format(Locale.ROOT, ",\"ok\":true,\"first_step_ms_from_launch\":%d}", end - launched);
  }

  /** Returns the java launcher of this JVM. */
  private static String javaBinary() {
    return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
  }
}
