package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/** Small helpers shared by the conformance tests: seeded inputs and value assertions. */
final class Checks {
  private Checks() {}

  /** Returns {@code n} standard normal values. */
  static double[] normal(Random r, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
    }
    return v;
  }

  /**
   * Returns a tensor of {@code shape} with {@link #normal} values from {@code r} in row-major order,
   * converted to {@code dtype} on the host and then moved to {@code device}.
   */
  static Tensor randn(Random r, DType dtype, Device device, int... shape) {
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    return Tensor.of(normal(r, n), shape).to(dtype).to(device);
  }

  /** Returns {@code n} values uniform in [lo, hi). */
  static double[] uniform(Random r, int n, double lo, double hi) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = lo + (hi - lo) * r.nextDouble();
    }
    return v;
  }

  /** Returns a float64 tensor of standard normal values on {@code device}. */
  static Tensor randn(Random r, Device device, int... shape) {
    return Tensor.of(normal(r, (int) dev.ember.Shape.numel(shape)), shape).to(device);
  }

  /** Returns the row-major values, contiguous, as doubles. */
  static double[] values(Tensor t) {
    return t.toDoubleArray();
  }

  /** Asserts shape and values (|a - e| <= tol * (1 + |e|)), naming the worst element. */
  static void assertClose(double[] expected, int[] shape, Tensor actual, double tol) {
    if (!Arrays.equals(shape, actual.shapeArray())) {
      fail("shape " + actual.shape() + " (" + actual.dtype() + ", " + actual.device() + "), expected "
          + Arrays.toString(shape));
    }
    assertClose(expected, actual.toDoubleArray(), tol, actual.toString());
  }

  /** Asserts values elementwise: |a - e| <= tol * (1 + |e|), naming the worst element. */
  static void assertClose(double[] expected, double[] actual, double tol, String what) {
    if (expected.length != actual.length) {
      fail(what + ": " + actual.length + " values, expected " + expected.length);
    }
    int worst = -1;
    double worstErr = 0;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(expected[i] - actual[i]) / (1 + Math.abs(expected[i]));
      boolean bothNan = Double.isNaN(expected[i]) && Double.isNaN(actual[i]);
      if (!bothNan && !(err <= tol) && (worst < 0 || err > worstErr || Double.isNaN(err))) {
        worst = i;
        worstErr = err;
      }
    }
    if (worst >= 0) {
      fail(String.format(Locale.ROOT, "%s: element %d is %.10g, expected %.10g (max rel err %.3g > %.3g)",
          abbreviate(what), worst, actual[worst], expected[worst], worstErr, tol));
    }
  }

  /** Returns the same tensor data as float64 on the CPU: the reference for other devices. */
  static Tensor onCpu(Tensor t) {
    return t.detach().to(Device.CPU).to(DType.FLOAT64);
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
