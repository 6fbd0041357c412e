package dev.ember.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.testing.ForkedJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link ForkedTraining}'s loops in fresh JVMs with little memory: the CPU allocator must size
 * its cache from JavaCPP's real off-heap cap ({@code -Xmx} by default), and a training loop written
 * without {@code TensorScope} must neither grow off-heap memory nor collect garbage per allocation
 * when its live tensors outgrow the memory budget.
 */
class LowMemoryTest {
  private static Map<String, Long> fork(String loop, String... jvmArgs) throws IOException, InterruptedException {
    List<String> cmd = ForkedJvm.javaCommand();
    cmd.addAll(List.of(jvmArgs));
    cmd.add("-Xss4m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ForkedTraining.class.getName());
    cmd.add(loop);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    boolean done = p.waitFor(90, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    System.out.println("[" + loop + "] " + out.replace('\n', ' '));
    assertTrue(done, loop + " did not finish in 90 s: " + out);
    assertEquals(0, p.exitValue(), loop + " failed: " + out);
    Map<String, Long> values = new HashMap<>();
    for (String line : out.split("\n")) {
      String[] kv = line.trim().split("=");
      if (kv.length == 2 && kv[1].matches("-?[0-9]+")) {
        values.put(kv[0], Long.parseLong(kv[1]));
      }
    }
    return values;
  }

  @Test
  void trainingUnderXmx256mAllocatesMoreThanTheCapWithoutOutOfMemory() throws Exception {
    Map<String, Long> v = fork("varying", "-Xmx256m");
    assertEquals(256L << 20, v.get("maxBytes"));
    assertTrue(v.get("allocatedMiB") > 256, "the loop should allocate more than the cap: " + v);
    assertTrue(v.get("cached") <= 64L << 20, "the cache should keep at most a quarter of the cap: " + v);
  }

  @Test
  void trainingWithoutScopesKeepsMemoryFlatWithFewCollections() throws Exception {
    Map<String, Long> v = fork("noscope", "-Dember.cpu.memoryBudget=1048576");
    assertTrue(v.get("inUseAt200") <= v.get("inUseAt50") + (1L << 20),
        "reachable off-heap memory grew from step 50 to 200: " + v);
    assertTrue(v.get("collections") <= 50, "more than one collection per 4 steps: " + v);
  }
}
