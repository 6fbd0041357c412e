package dev.ember.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.ember.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A JVM forked with {@link ForkedJvm#javaCommand()} loads the CPU backend's natives and runs its
 * raw-memory loops without a JDK warning (JDK 22+ warns about System.load, JDK 24+ about
 * sun.misc.Unsafe, unless the options are inherited).
 */
class ForkedJvmTest {
  /** Runs one op on the CPU backend and prints its result. */
  public static void main(String[] args) {
    System.out.println("sum=" + Tensor.ones(1000).mul(2).sum().item());
  }

  @Test
  void aForkedJvmLoadsTheCpuBackendWithoutJdkWarnings() throws Exception {
    List<String> cmd = ForkedJvm.javaCommand();
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ForkedJvmTest.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertFalse(out.contains("WARNING:"), "the forked JVM printed JDK warnings:\n" + out);
    assertEquals(true, out.contains("sum=2000.0"), out);
  }
}
