package dev.ember.bench;

import dev.ember.Device;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Attributes the time of a training step to ops: runs steps of a workload under a JFR recording
 * (execution samples every millisecond, Java and native) and counts each sample against the innermost
 * Ember op method on its stack ({@code dev.ember.ops}, {@code nn}, {@code optim}, or the autograd
 * engine), split by phase: forward, backward (under {@code Autograd.backward}) and optimizer step.
 *
 * <p>Usage: {@code java -XX:ActiveProcessorCount=1 -cp ... dev.ember.bench.StepProfile W2 [warm-up=30]
 * [steps=200] [top=30]}; {@code top=0} skips the recording and prints only the timings. With one processor the CPU backend's loops stay on the calling thread, so every
 * sample keeps its op (samples on worker threads are listed as such). Prints the median wall time,
 * main-thread CPU time and mean process CPU time (all threads: OpenBLAS/OpenMP workers, GC) per step, the wall
 * time's 10th and 90th percentiles, minor page faults per step and the collectors' time, then the table of sample shares, also converted to milliseconds of a
 * median step, then the innermost frames (the loops themselves).
 */
public final class StepProfile {
  private StepProfile() {}

  /** Runs the profile; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    String workload = args.length > 0 ? args[0] : "W2";
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int top = args.length > 3 ? Integer.parseInt(args[3]) : 30;
    boolean noJfr = top == 0;
    Workloads.Step step = Workloads.build(workload, Device.parse("cpu"));
    // JFR is set up before the warm-up, and only when it records: setting it up (even a recording never
    // started) made HotSpot discard about 2,000 compiled methods at once, so the steps after it ran while
    // C2 compiled them again (W2: tier-4 code for the ReLU loops only ~40 s later, C2 busy meanwhile).
    Recording rec = noJfr ? null : new Recording();
    if (rec != null) {
      rec.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1)).withStackTrace();
      rec.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(1)).withStackTrace();
    }
    for (int i = 0; i < warmup; i++) {
      step.run();
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    double[] wall = new double[steps];
    double[] cpu = new double[steps];
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double processCpuMean;
    long faults0;
    long gc0;
    Path file = Files.createTempFile("ember-profile", ".jfr");
    try {
      if (rec != null) {
        rec.start();
      }
      long processStart = os.getProcessCpuTime();
      faults0 = minorFaults();
      gc0 = gcMillis();
      for (int i = 0; i < steps; i++) {
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        step.run();
        wall[i] = (System.nanoTime() - t0) / 1e6;
        cpu[i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
      }
      processCpuMean = (os.getProcessCpuTime() - processStart) / 1e6 / steps;
      faults0 = minorFaults() - faults0;
      gc0 = gcMillis() - gc0;
      if (rec == null) {
        Files.deleteIfExists(file);
      } else {
        rec.stop();
        rec.dump(file);
      }
    } finally {
      if (rec != null) {
        rec.close();
      }
    }
    double wallMedian = median(wall);
    System.out.printf(Locale.ROOT, "%s: %d steps, median wall %.2f ms (min %.2f), main-thread CPU median %.2f ms"
        + " (min %.2f), process CPU mean %.2f ms%n", workload, steps, wallMedian, min(wall),
        median(cpu), min(cpu), processCpuMean);
    double[] sorted = wall.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "  wall p10 %.2f, p90 %.2f ms; %.1f minor page faults per step; %d ms of GC in %d steps%n",
        sorted[steps / 10], sorted[steps * 9 / 10], (double) faults0 / steps, gc0, steps);
    if (noJfr) {
      return;
    }
    Map<String, Integer> byOp = new HashMap<>();
    Map<String, Integer> byLeaf = new HashMap<>();
    int total = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      RecordedStackTrace st = e.getStackTrace();
      if (st == null) {
        continue;
      }
      boolean isNative = e.getEventType().getName().equals("jdk.NativeMethodSample");
      total++;
      List<RecordedFrame> frames = st.getFrames();
      byOp.merge(opKey(frames) + (isNative ? " [native]" : ""), 1, Integer::sum);
      if (!frames.isEmpty()) {
        byLeaf.merge(frameName(frames.get(0)) + (isNative ? " [native]" : ""), 1, Integer::sum);
      }
    }
    Files.deleteIfExists(file);
    System.out.printf(Locale.ROOT, "%d samples; ms = share x median wall step%n", total);
    print("phase / innermost Ember op frame", byOp, total, wallMedian, top);
    print("innermost frame", byLeaf, total, wallMedian, top);
  }

  /** Phase (fwd, bwd, opt, other) and the innermost op frame of one sample's stack. */
  private static String opKey(List<RecordedFrame> frames) {
    String phase = "other";
    for (RecordedFrame f : frames) {
      String c = f.getMethod().getType().getName();
      String m = f.getMethod().getName();
      if (c.equals("dev.ember.Autograd") && (m.equals("backward") || m.equals("grad"))) {
        phase = "bwd";
        break;
      }
      if (c.startsWith("dev.ember.optim.") && (m.equals("step") || m.equals("zeroGrad"))) {
        phase = "opt";
        break;
      }
      if (c.startsWith("dev.ember.nn.") || c.startsWith("dev.ember.ops.Losses")) {
        phase = "fwd";
      }
    }
    for (RecordedFrame f : frames) {
      String c = f.getMethod().getType().getName();
      if (c.startsWith("dev.ember.ops.") || c.startsWith("dev.ember.optim.") || c.startsWith("dev.ember.nn.")
          || c.equals("dev.ember.Autograd") || c.equals("dev.ember.Tensor") && frameName(f).contains("Grad")) {
        return phase + " " + frameName(f);
      }
    }
    return phase + " " + (frames.isEmpty() ? "?" : "(no op) " + frameName(frames.get(frames.size() - 1)));
  }

  private static String frameName(RecordedFrame f) {
    String c = f.getMethod().getType().getName();
    return c.substring(c.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
  }

  private static void print(String title, Map<String, Integer> counts, int total, double stepMs, int top) {
    System.out.printf(Locale.ROOT, "%n| %s | samples | share | ms/step |%n|---|---|---|---|%n", title);
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
        .forEach(en -> System.out.printf(Locale.ROOT, "| %s | %d | %.1f%% | %.2f |%n", en.getKey(), en.getValue(),
            100.0 * en.getValue() / total, stepMs * en.getValue() / total));
  }

  /** The process's minor page faults so far (field 10 of /proc/self/stat), or 0 where it cannot be read. */
  private static long minorFaults() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Milliseconds the garbage collectors report so far. */
  private static long gcMillis() {
    long sum = 0;
    for (var b : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, b.getCollectionTime());
    }
    return sum;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }
}
