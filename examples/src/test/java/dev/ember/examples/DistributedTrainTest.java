package dev.ember.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.distributed.Distributed;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mpirun -np 2 ... train --distributed}: both ranks train, rank 0 alone prints and writes the
 * chart and checkpoint. Skipped, with the reason printed, where Open MPI is missing.
 */
class DistributedTrainTest {
  @TempDir Path tmp;

  @Test
  void twoRanksTrainAndOnlyRankZeroPrintsAndWrites() throws Exception {
    String why = Distributed.unavailableReason();
    String mpirun = null;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, "mpirun"))) {
        mpirun = Path.of(dir, "mpirun").toString();
      }
    }
    if (why == null && mpirun == null) {
      why = "mpirun is not on the PATH";
    }
    if (why != null) {
      System.out.println("DistributedTrainTest skipped: " + why);
    }
    Assumptions.assumeTrue(why == null, why);
    Path out = tmp.resolve("run");
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    // Through env: mpirun rewrites the class path of a program named java.
    // By name: Open MPI derives its prefix from how it was called (/bin/mpirun would mean prefix /).
    List<String> cmd = new java.util.ArrayList<>(List.of("mpirun", "--allow-run-as-root", "--oversubscribe",
        "--bind-to", "none", "-np", "2", "env", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xss8m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
        "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir", ".cache/javacpp")));
    // The JDK-version options this JVM got from surefire (native access on JDK 22+, JavaCPP's Unsafe
    // on 23+), so the ranks print none of the JDK's restricted-method or Unsafe warnings either.
    for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc-unsafe-memory-access")) {
        cmd.add(arg);
      }
    }
    cmd.addAll(List.of("-cp", classPath, Main.class.getName(), "train", "--distributed", "--epochs", "1",
        "--train-size", "512", "--test-size", "128", "--batch-size", "32", "--out", out.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMPI_MCA_btl", "self,vader");
    pb.environment().put("OMPI_MCA_btl_vader_single_copy_mechanism", "none");
    pb.environment().put("OMP_NUM_THREADS", "1");
    Path log = tmp.resolve("mpirun.log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    boolean finished = p.waitFor(240, TimeUnit.SECONDS);
    if (!finished) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(text);
    assertTrue(finished, "did not finish in 240 s:\n" + text);
    assertEquals(0, p.exitValue(), text);
    assertEquals(1, text.split("final test accuracy", -1).length - 1, "rank 0 alone prints:\n" + text);
    assertTrue(text.contains("on cpu x 2 ranks"), text);
    assertTrue(text.contains("rank 0 of 2"), text);
    assertTrue(Files.isRegularFile(out.resolve("checkpoint.safetensors")), text);
    assertTrue(Files.isRegularFile(out.resolve("curves.png")), text);
  }
}
