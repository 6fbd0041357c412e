package dev.ember.bench;

import dev.ember.Device;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The child process of {@link Startup}: builds one workload, runs its first step, prints when that step
 * ended, runs more steps and prints the peak resident memory ({@code VmHWM}).
 *
 * <p>Usage: {@code java -cp ... dev.ember.bench.FirstStep W2 [steps=20] [device=cpu]}. Prints one line
 * {@code STARTUP {json}} with {@code first_step_end_epoch_ms} (wall clock, comparable with the parent's
 * launch time), {@code first_step_ms_from_jvm_start} (from the JVM's own start time), {@code build_ms},
 * {@code first_step_ms}, {@code steps}, {@code step_ms_last}, {@code vm_hwm_mib} and {@code heap_alloc_mib_per_step} (Java heap allocated per step over the second half of the steps).
 */
public final class FirstStep {
  private FirstStep() {}

  /** Runs the child; see the class comment for the arguments and the output line. */
  public static void main(String[] args) throws IOException {
    String workload = args.length > 0 ? args[0] : "W2";
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    Device device = Device.parse(args.length > 2 ? args[2] : "cpu");
    long t0 = System.nanoTime();
    Workloads.Step step = Workloads.build(workload, device);
    long t1 = System.nanoTime();
    double loss = step.run();
    long t2 = System.nanoTime();
    long firstEnd = System.currentTimeMillis();
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    double lastMs = Double.NaN;
    int half = steps / 2;
    long allocatedAtHalf = 0;
    for (int i = 1; i < steps; i++) {
      if (i == half) {
        allocatedAtHalf = heapAllocatedBytes();
      }
      long s = System.nanoTime();
      loss = step.run();
      lastMs = (System.nanoTime() - s) / 1e6;
    }
    double allocPerStepMib = half >= 1 ? (heapAllocatedBytes() - allocatedAtHalf) / 1048576.0 / (steps - half)
        : Double.NaN;
    System.out.printf(Locale.ROOT,
        "STARTUP {\"workload\":\"%s\",\"device\":\"%s\",\"first_step_end_epoch_ms\":%d,"
            + "\"first_step_ms_from_jvm_start\":%d,\"build_ms\":%.1f,\"first_step_ms\":%.1f,\"steps\":%d,"
            + "\"step_ms_last\":%.2f,\"loss_last\":%.5f,\"vm_hwm_mib\":%.1f,\"heap_alloc_mib_per_step\":%.2f}%n",
        workload, device, firstEnd, firstEnd - jvmStart, (t1 - t0) / 1e6, (t2 - t1) / 1e6, steps, lastMs, loss,
        peakRssMib(), allocPerStepMib);
  }

  /**
   * Returns the Java heap bytes every live thread has allocated so far (HotSpot's per-thread counters):
   * over the second half of the steps, a steady step that boxes vectors or builds garbage shows here.
   */
  static long heapAllocatedBytes() {
    if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)) {
      return 0;
    }
    long total = 0;
    for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      total += Math.max(0, bytes);
    }
    return total;
  }

  /** Returns VmHWM, the peak resident set of this process, in MiB; NaN where /proc is missing. */
  static double peakRssMib() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return Double.NaN;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmHWM:")) {
        String[] parts = line.substring(6).trim().split("\\s+");
        return Long.parseLong(parts[0]) / 1024.0;
      }
    }
    return Double.NaN;
  }
}
