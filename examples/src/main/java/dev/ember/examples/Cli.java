package dev.ember.examples;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Parses {@code --name value} and {@code --flag} arguments against a set of known names. */
final class Cli {
  private final Map<String, String> values = new HashMap<>();

  Cli(String[] args, Set<String> options, Set<String> flags) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (flags.contains(name)) {
        values.put(name, value == null ? "true" : value);
      } else if (options.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("--" + name + " needs a value");
          }
          value = args[++i];
        }
        values.put(name, value);
      } else {
        throw new IllegalArgumentException("unknown option --" + name + " (known: " + options + " " + flags + ")");
      }
    }
  }

  String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /**
   * Returns option {@code name} as an int of at least {@code min}, or {@code fallback} if absent.
   *
   * @throws IllegalArgumentException naming the option and the value if it is not such an integer
   */
  int getInt(String name, int fallback, int min) {
    long v = getLong(name, fallback);
    if (v < min || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--" + name + " must be an integer "
          + (min == 1 ? "of at least 1" : "in [" + min + ", " + Integer.MAX_VALUE + "]") + ", got '"
          + values.get(name) + "'");
    }
    return (int) v;
  }

  /**
   * Returns option {@code name} as a long (any 64-bit integer), or {@code fallback} if absent.
   *
   * @throws IllegalArgumentException naming the option and the value if it is not an integer
   */
  long getLong(String name, long fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs an integer, got '" + v + "'");
    }
  }

  /**
   * Returns option {@code name} as a finite positive number, or {@code fallback} if absent.
   *
   * @throws IllegalArgumentException naming the option and the value otherwise
   */
  double getPositive(String name, double fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    double d;
    try {
      d = Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a number, got '" + v + "'");
    }
    if (!(d > 0) || Double.isInfinite(d)) {
      throw new IllegalArgumentException("--" + name + " must be a finite positive number, got '" + v + "'");
    }
    return d;
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.getOrDefault(name, "false"));
  }
}
