package dev.ember;

import java.util.Locale;

/**
 * A device a tensor lives on: a type ({@code "cpu"}, {@code "cuda"}) and an index.
 *
 * <p>Parsed from PyTorch's spelling with {@link #parse}: {@code "cpu"}, {@code "cuda"} (meaning
 * {@code cuda:0}) and {@code "cuda:1"}.
 *
 * @param type the device type, lower case
 * @param index the device index, 0 for the CPU
 */
public record Device(String type, int index) {
  /** The host CPU. */
  public static final Device CPU = new Device("cpu", 0);

  /** Validates the fields. */
  public Device {
    if (type == null || type.isEmpty() || !type.equals(type.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("device: bad device type '" + type + "'");
    }
    if (index < 0) {
      throw new IllegalArgumentException("device: negative index " + index + " for " + type);
    }
  }

  /** Returns the first CUDA device, {@code cuda:0}. */
  public static Device cuda() {
    return new Device("cuda", 0);
  }

  /** Returns the CUDA device with the given index. */
  public static Device cuda(int index) {
    return new Device("cuda", index);
  }

  /**
   * Parses a device name: {@code "cpu"}, {@code "cuda"}, {@code "cuda:N"} (any type name of
   * letters and digits followed by an optional {@code :N}).
   *
   * @throws IllegalArgumentException naming the text when it is not a device name
   */
  public static Device parse(String name) {
    if (name == null) {
      throw new IllegalArgumentException("device: null device name");
    }
    String s = name.trim();
    int colon = s.indexOf(':');
    String type = colon < 0 ? s : s.substring(0, colon);
    if (!type.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("device: cannot parse device '" + name + "'");
    }
    int index = 0;
    if (colon >= 0) {
      try {
        index = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("device: cannot parse device index in '" + name + "'");
      }
      if (index < 0) {
        throw new IllegalArgumentException("device: negative device index in '" + name + "'");
      }
    }
    if (type.equals("cpu")) {
      if (index != 0) {
        throw new IllegalArgumentException("device: cpu has only index 0, got '" + name + "'");
      }
      return CPU;
    }
    return new Device(type, index);
  }

  /** Returns whether CUDA can be used: a CUDA backend is on the class path and opens. */
  public static boolean cudaAvailable() {
    return dev.ember.internal.Backends.isAvailable(cuda());
  }

  /** Returns why CUDA cannot be used, or an empty string when it can. */
  public static String cudaUnavailableReason() {
    return dev.ember.internal.Backends.unavailableReason(cuda());
  }

  /** Returns whether this is the CPU. */
  public boolean isCpu() {
    return type.equals("cpu");
  }

  @Override
  public String toString() {
    return isCpu() ? "cpu" : type + ":" + index;
  }
}
