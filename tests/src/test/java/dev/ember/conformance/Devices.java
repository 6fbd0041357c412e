package dev.ember.conformance;

import dev.ember.Device;
import dev.ember.internal.Backends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * The devices the conformance suite runs on: the CPU plus every backend whose provider is on the
 * class path and opens. Providers that fail to open are skipped with one line saying why, unless
 * {@code -Dember.test.devices=cpu,cuda} lists them: then an unavailable device fails the run, so a
 * GPU CI job cannot pass on the CPU alone.
 */
public final class Devices {
  /** The system property naming the devices that must be tested. */
  public static final String PROPERTY = "ember.test.devices";

  private static volatile List<Device> resolved;

  private Devices() {}

  /** Returns the devices under test; the argument source of every {@code @ParameterizedClass}. */
  public static Stream<Device> underTest() {
    return resolve().stream();
  }

  /**
   * Returns each device under test twice, with the second argument {@code "fused"} (backends' fused
   * primitives on, the default) and {@code "composed"} (off: tensor-api's compositions); the argument
   * source of the suites that must pass both ways (see {@link FusedPath}).
   */
  public static Stream<org.junit.jupiter.params.provider.Arguments> underTestFusedAndComposed() {
    return resolve().stream().flatMap(d -> Stream.of(org.junit.jupiter.params.provider.Arguments.of(d, "fused"),
        org.junit.jupiter.params.provider.Arguments.of(d, "composed")));
  }

  /** Returns the devices under test, resolved (and any skip lines printed) once per JVM. */
  public static synchronized List<Device> resolve() {
    if (resolved == null) {
      resolved = List.copyOf(discover(System.getProperty(PROPERTY, "")));
    }
    return resolved;
  }

  static List<Device> discover(String requested) {
    List<Device> out = new ArrayList<>();
    if (!requested.isBlank()) {
      List<String> failures = new ArrayList<>();
      for (String name : requested.split(",")) {
        Device d = Device.parse(name.trim());
        if (Backends.isAvailable(d)) {
          out.add(d);
        } else {
          failures.add(d + ": " + Backends.unavailableReason(d));
        }
      }
      if (!failures.isEmpty()) {
        throw new IllegalStateException("conformance: -D" + PROPERTY + "=" + requested
            + " lists devices that are not available: " + failures);
      }
      return out;
    }
    out.add(Device.CPU);
    // CUDA is always reported, so a log shows why it did not run even without backend-cuda.
    java.util.Set<String> types = new java.util.TreeSet<>(Backends.providerTypes());
    types.add("cuda");
    for (String type : types) {
      if (type.equals("cpu")) {
        continue;
      }
      Device d = Device.parse(type);
      if (Backends.isAvailable(d)) {
        out.add(d);
      } else {
        System.out.println("[conformance] " + type + " skipped: " + Backends.unavailableReason(d));
      }
    }
    System.out.println("[conformance] devices under test: " + Arrays.toString(out.toArray()));
    return out;
  }
}
