package dev.ember.backend.cpu;

import java.util.Locale;

/**
 * What the OpenMP runtime of the native libraries (oneDNN's and ND4J's libgomp) reads from the
 * environment: the threads it starts ({@link #threads}), and its wait policy, which {@link
 * #ensurePassive} makes {@code PASSIVE} (idle threads sleep instead of spin) in a process whose
 * environment does not choose, by setting the variable in the process's own environment before the
 * first library that uses OpenMP loads (libgomp reads it once, when it loads).
 *
 * <p>Why passive: oneDNN's and ND4J's OpenMP threads and Ember's own workers share the cores. Left to
 * libgomp's default, an OpenMP thread spins for about 3 ms after every oneDNN call ({@code GOMP_SPINCOUNT}
 * 300,000) on the core the next Java loop's worker needs: tanh of 1M floats forward + backward took
 * 2.3-3.2 ms that way against 1.3-1.6 ms passive (2 vCPUs, Zen 2; docs/benchmarks.md, "ninth round").
 * {@code ./ember} and {@code bench/run} always set it; this makes a program that only has Ember on its
 * class path as fast.
 *
 * <p>An {@code OMP_WAIT_POLICY} in the environment is kept, and {@code -Dember.cpu.ompPassive=false}
 * leaves the environment alone. Uses libc's {@code setenv} through JavaCPP's {@code org.bytedeco:systems}
 * preset on Linux and macOS; elsewhere (Windows, or a platform without its natives) nothing is set.
 */
final class OpenMpEnvironment {
  /** libgomp's threads per parallel region (see {@link #threads}). */
  private static final int THREADS = threads(System.getenv("OMP_NUM_THREADS"));

  /** The variable libgomp reads. */
  static final String VARIABLE = "OMP_WAIT_POLICY";

  /** The system property that leaves the environment alone ({@code -Dember.cpu.ompPassive=false}). */
  static final String PROPERTY = "ember.cpu.ompPassive";

  /** Whether {@link #ensurePassive} has run. Guarded by the class. */
  private static boolean ensured;

  private OpenMpEnvironment() {}

  /**
   * Sets {@code OMP_WAIT_POLICY=PASSIVE} in this process's environment if it should (see the class
   * comment), at most once; call it before loading any native library.
   */
  static synchronized void ensurePassive() {
    if (!ensured) {
      ensured = true;
      apply(System.getenv(VARIABLE), System.getProperty(PROPERTY), System.getProperty("os.name", ""));
    }
  }

  /** The threads libgomp runs a parallel region on in this process: {@code OMP_NUM_THREADS} or the processors. */
  static int threads() {
    return THREADS;
  }

  /**
   * The threads for {@code OMP_NUM_THREADS} value {@code variable}: its first number (a list gives one
   * per nesting level), or the processors where unset or unreadable (libgomp ignores what it cannot read).
   */
  static int threads(String variable) {
    try {
      if (variable != null && !variable.isBlank()) {
        return Math.max(1, Integer.parseInt(variable.split(",")[0].trim()));
      }
    } catch (NumberFormatException e) {
      // fall through to the processors, as libgomp does
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /**
   * The decision, apart from the process: returns the value to set, or null to set nothing, for the
   * variable's current value {@code current} and the property's value {@code property} (both may be null).
   */
  static String valueToSet(String current, String property) {
    if (current != null || "false".equalsIgnoreCase(property)) {
      return null;
    }
    return "PASSIVE";
  }

  /** Sets the variable where {@link #valueToSet} says so and libc's {@code setenv} is at hand (Linux, macOS). */
  private static void apply(String current, String property, String osName) {
    String value = valueToSet(current, property);
    if (value == null) {
      return;
    }
    String os = osName.toLowerCase(Locale.ROOT);
    try {
      if (os.contains("linux")) {
        org.bytedeco.systems.global.linux.setenv(VARIABLE, value, 0);
      } else if (os.contains("mac")) {
        org.bytedeco.systems.global.macosx.setenv(VARIABLE, value, 0);
      }
    } catch (LinkageError e) {
      // No natives of org.bytedeco:systems for this platform: OpenMP keeps its default.
    }
  }
}
