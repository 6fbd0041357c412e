package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import dev.ember.testing.ForkedJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Saves and loads a 640 MB tensor in a forked JVM with a 256 MB heap: before streaming, a load
 * held four heap copies of the tensor and ran out of memory.
 */
class LargeSafetensorsTest {
  /** The period of the large tensor's values: not a power of two, so pieces start at varied phases. */
  static final int PERIOD = 1_000_003;

  /** float32 elements of the large tensor: 640 MB. */
  static final int NUMEL = 160 * PERIOD;

  @TempDir Path dir;

  @Test
  void aTensorTwiceTheHeapSavesAndLoadsInAForkedSmallHeapJvm() throws Exception {
    Path file = dir.resolve("large.safetensors");
    List<String> cmd = ForkedJvm.javaCommand();
    cmd.add("-Xmx256m");
    cmd.add("-Dember.cpu.memoryBudget=" + (4L << 30));
    // JavaCPP caps off-heap memory at -Xmx by default; the tensors live off-heap.
    cmd.add("-Dorg.bytedeco.javacpp.maxBytes=" + (4L << 30));
    cmd.add("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Child.class.getName());
    cmd.add(file.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out;
    try {
      boolean done = p.waitFor(120, TimeUnit.SECONDS);
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(done, "the child finished in time:\n" + out);
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(file);
    }
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("OK " + NUMEL), out);
    System.out.println(out.strip());
  }

  /** The forked program: saves, checks the file size, loads and compares; prints timings. */
  public static final class Child {
    private Child() {}

    /**
     * Runs the round trip on the file named by {@code args[0]}; {@code args[1]}: elements, a
     * multiple of {@link #PERIOD}.
     */
    public static void main(String[] args) throws IOException {
      Path file = Path.of(args[0]);
      int numel = args.length > 1 ? Integer.parseInt(args[1]) : NUMEL;
      // Random values repeated with a period of PERIOD: cheap to make, and any misplaced piece shows.
      Tensor big = Tensor.rand(PERIOD).expand(numel / PERIOD, PERIOD).contiguous().reshape(numel);
      long t0 = System.nanoTime();
      Safetensors.save(Map.of("big", big), file);
      long t1 = System.nanoTime();
      long size = Files.size(file);
      if (size < 4L * numel) {
        throw new AssertionError("file has " + size + " bytes");
      }
      Tensor back = Safetensors.load(file).get("big");
      long t2 = System.nanoTime();
      double difference = 0;
      for (int at = 0; at < numel; at += 1 << 24) { // in slices, so the temporaries stay small
        int n = Math.min(1 << 24, numel - at);
        difference += big.narrow(0, at, n).sub(back.narrow(0, at, n)).abs().sum().item();
      }
      if (difference != 0) {
        throw new AssertionError("the loaded tensor differs: sum |a - b| = " + difference);
      }
      double mb = size / 1e6;
      System.out.printf("save %.0f MB in %.2f s (%.0f MB/s), load in %.2f s (%.0f MB/s), heap max %d MB%n",
          mb, (t1 - t0) / 1e9, mb / ((t1 - t0) / 1e9), (t2 - t1) / 1e9, mb / ((t2 - t1) / 1e9),
          Runtime.getRuntime().maxMemory() >> 20);
      System.out.println("OK " + numel);
    }
  }
}
