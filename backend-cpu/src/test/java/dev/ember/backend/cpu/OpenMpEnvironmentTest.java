package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link OpenMpEnvironment}: the thread count it reads, the wait-policy decision, and, in a fresh JVM
 * started without {@code OMP_WAIT_POLICY}, that oneDNN's libgomp really runs passive (libgomp prints its
 * settings with {@code OMP_DISPLAY_ENV=VERBOSE}: spin count 0 when passive, 300,000 by default).
 */
class OpenMpEnvironmentTest {
  @Test
  void setsPassiveOnlyWhenNothingChose() {
    assertEquals("PASSIVE", OpenMpEnvironment.valueToSet(null, null));
    assertEquals("PASSIVE", OpenMpEnvironment.valueToSet(null, "true"));
    assertNull(OpenMpEnvironment.valueToSet("ACTIVE", null), "the user's choice is kept");
    assertNull(OpenMpEnvironment.valueToSet(null, "false"), "-Dember.cpu.ompPassive=false sets nothing");
  }

  @Test
  void threadsAreTheFirstValueOrTheProcessors() {
    int processors = Runtime.getRuntime().availableProcessors();
    assertEquals(4, OpenMpEnvironment.threads("4"));
    assertEquals(8, OpenMpEnvironment.threads(" 8,2"), "a list gives the outermost level first");
    assertEquals(processors, OpenMpEnvironment.threads(null));
    assertEquals(processors, OpenMpEnvironment.threads("many"));
    assertEquals(1, OpenMpEnvironment.threads("0"));
  }

  @Test
  void oneDnnThreadsSleepInAProgramStartedWithoutTheVariable() throws Exception {
    assumeTrue(System.getProperty("os.name", "").toLowerCase().contains("linux") && Dnnl.available(),
        "libgomp's OMP_DISPLAY_ENV check runs where oneDNN loads on Linux");
    assertTrue(child(List.of()).contains("GOMP_SPINCOUNT = '0'"), "passive by default");
    String off = child(List.of("-D" + OpenMpEnvironment.PROPERTY + "=false"));
    assertTrue(off.contains("GOMP_SPINCOUNT = '300000'"), "libgomp's default when switched off:\n" + off);
  }

  /** Runs {@link Child} in a new JVM whose environment has no OMP_WAIT_POLICY; returns its output. */
  private static String child(List<String> options) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(options);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.remove(OpenMpEnvironment.VARIABLE);
    env.remove("GOMP_SPINCOUNT");
    env.put("OMP_DISPLAY_ENV", "VERBOSE");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "child JVM " + options + " failed:\n" + out);
    assertTrue(out.contains("conv2d ok"), out);
    return out;
  }

  /** A program that only uses Ember: one convolution, which runs on oneDNN. */
  static final class Child {
    private Child() {}

    /** Convolves a [1, 1, 8, 8] image of ones with a 3x3 kernel of ones, padding 1; prints {@code conv2d ok}. */
    public static void main(String[] args) {
      Device cpu = Device.parse("cpu");
      Tensor x = Tensor.ones(Shape.of(1, 1, 8, 8), DType.FLOAT32, cpu);
      Tensor w = Tensor.ones(Shape.of(1, 1, 3, 3), DType.FLOAT32, cpu);
      Tensor y = dev.ember.nn.functional.F.conv2d(x, w, null, 1, 1);
      // Each output sums the 2 or 3 rows times 2 or 3 columns that lie inside: (2 + 6 * 3 + 2)^2.
      if (y.sum().item() != 484) {
        throw new AssertionError("conv2d summed to " + y.sum().item());
      }
      System.out.println("conv2d ok");
    }
  }
}
