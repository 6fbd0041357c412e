package dev.ember.testing;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The start of a command line for a test that forks a JVM: this JVM's {@code java} launcher, then
 * the JDK-version options this JVM was started with (surefire passes {@code
 * --enable-native-access=ALL-UNNAMED} on JDK 22+ and {@code --sun-misc-unsafe-memory-access=allow}
 * on JDK 23+), so the child prints none of the JDK's native-access or Unsafe warnings either.
 */
public final class ForkedJvm {
  private ForkedJvm() {}

  /** Returns a new, mutable list: the java executable followed by the inherited JDK options. */
  public static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc-unsafe-memory-access")) {
        cmd.add(arg);
      }
    }
    return cmd;
  }
}
