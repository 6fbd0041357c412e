package dev.ember.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Launches {@link DistributedChecks} under {@code mpirun -np N} (2 and 4 ranks on localhost,
 * oversubscribed) and asserts on the exit code and output. Skipped, with the reason printed, where
 * {@code mpirun} or libmpi is missing.
 */
class DistributedLaunchTest {
  private static String mpirun;

  @BeforeAll
  static void findMpi() {
    String why = Distributed.unavailableReason();
    mpirun = findOnPath("mpirun");
    if (why == null && mpirun == null) {
      why = "mpirun is not on the PATH";
    }
    if (why != null) {
      System.out.println("DistributedLaunchTest skipped: " + why);
    }
    Assumptions.assumeTrue(why == null, why);
  }

  private static String findOnPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  /** The output and exit code of one launch, and how long it took. */
  record Result(int exitCode, String output, double seconds) {}

  static Result launch(int ranks, String mode, Map<String, String> env, int timeoutSeconds)
      throws IOException, InterruptedException {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    // By name: Open MPI derives its prefix from how it was called (/bin/mpirun would mean prefix /).
    List<String> cmd = new ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe",
        "--bind-to", "none", "-np", String.valueOf(ranks)));
    for (String name : env.keySet()) {
      cmd.add("-x");
      cmd.add(name);
    }
    // Through env: mpirun rewrites the class path and library path of a program named java.
    cmd.addAll(List.of("env", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xss4m", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
    // The JDK-version options this JVM got from surefire (native access on JDK 22+, JavaCPP's Unsafe
    // on 23+), so the ranks print none of the JDK's restricted-method or Unsafe warnings either.
    for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc-unsafe-memory-access")) {
        cmd.add(arg);
      }
    }
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
    }
    cmd.addAll(List.of("-cp", classPath, DistributedChecks.class.getName(), mode));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    // Shared memory only: no network probing in containers; no CMA (ptrace may be forbidden).
    pb.environment().put("OMPI_MCA_btl", "self,vader");
    pb.environment().put("OMPI_MCA_btl_vader_single_copy_mechanism", "none");
    pb.environment().put("OMP_NUM_THREADS", "1");
    long start = System.nanoTime();
    Process p = pb.start();
    byte[][] out = new byte[1][];
    Thread reader = new Thread(() -> {
      try {
        out[0] = p.getInputStream().readAllBytes();
      } catch (IOException e) {
        out[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
      }
    });
    reader.start();
    boolean finished = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!finished) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    reader.join(10_000);
    String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println("---- mpirun -np " + ranks + " " + mode + " (" + String.format("%.1f", seconds)
        + " s, exit " + (finished ? p.exitValue() : "timeout") + ")\n" + text);
    assertTrue(finished, "mpirun -np " + ranks + " " + mode + " did not finish within "
        + timeoutSeconds + " s:\n" + text);
    return new Result(p.exitValue(), text, seconds);
  }

  @Test
  void collectivesAndDdpOnTwoRanks() throws Exception {
    Result r = launch(2, "all", Map.of(), 240);
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("OK collectives"), r.output());
    assertTrue(r.output().contains("OK ddp: 2 ranks"), r.output());
    assertTrue(r.output().contains("steps, MLP SGD-momentum"), r.output());
    assertTrue(r.output().contains("steps, CNN Adam"), r.output());
    assertFalse(r.output().contains("FAIL"), r.output());
  }

  @Test
  void collectivesAndDdpOnFourRanks() throws Exception {
    Result r = launch(4, "all", Map.of(), 300);
    assertEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("OK collectives"), r.output());
    assertTrue(r.output().contains("OK ddp: 4 ranks"), r.output());
    assertTrue(r.output().contains("steps, MLP SGD-momentum"), r.output());
    assertTrue(r.output().contains("steps, CNN Adam"), r.output());
    assertFalse(r.output().contains("FAIL"), r.output());
  }

  @Test
  void aRankThatThrowsEndsTheJobNamingTheRank() throws Exception {
    // A long collective timeout: the job must end through the abort, not the watchdog.
    Result r = launch(2, "fault-throw", Map.of("EMBER_DIST_TIMEOUT", "600"), 120);
    assertNotEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("rank 1 of 2: uncaught IllegalStateException"), r.output());
    assertTrue(r.output().contains("injected failure on purpose"), r.output());
    assertFalse(r.output().contains("finished although"), r.output());
  }

  @Test
  void aRankKilledMidCollectiveEndsTheJobOnTwoRanks() throws Exception {
    assertKilledRankEndsTheJob(2);
  }

  @Test
  void aRankKilledMidCollectiveEndsTheJobOnFourRanks() throws Exception {
    assertKilledRankEndsTheJob(4);
  }

  /**
   * Rank 1 dies by SIGKILL during all-reduces: Open MPI's launcher sees it die and ends the job, and
   * mpirun names the rank and the signal. The collective timeout is 600 s, and the launch must end
   * within 90 s: the others neither hang nor wait for the watchdog.
   */
  private static void assertKilledRankEndsTheJob(int ranks) throws Exception {
    Result r = launch(ranks, "fault-kill", Map.of("EMBER_DIST_TIMEOUT", "600"), 90);
    assertNotEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().matches("(?s).*process rank 1 with PID \\d+ on node \\S+ exited on signal 9.*"),
        r.output());
    assertFalse(r.output().contains("finished although"), r.output());
    assertFalse(r.output().contains("could not kill"), r.output());
  }

  @Test
  void aRankThatNeverJoinsTimesOutNamingTheOperation() throws Exception {
    Result r = launch(2, "fault-hang", Map.of("EMBER_DIST_TIMEOUT", "5"), 100);
    assertNotEquals(0, r.exitCode(), r.output());
    assertTrue(r.output().contains("rank 0 of 2: allReduce(SUM) of float32[4] did not complete within 5.0 s"),
        r.output());
    assertFalse(r.output().contains("finished although"), r.output());
  }
}
