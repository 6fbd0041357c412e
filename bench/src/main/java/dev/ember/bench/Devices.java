package dev.ember.bench;

import dev.ember.Device;

/**
 * Prints the devices the benchmarks can run on, for {@code bench/run}: the first line is a
 * comma-separated list ({@code cpu} or {@code cpu,cuda}); when CUDA is missing a second line says why.
 */
public final class Devices {
  private Devices() {}

  /** Prints the list and, without CUDA, the reason. */
  public static void main(String[] args) {
    if (Device.cudaAvailable()) {
      System.out.println("cpu,cuda");
    } else {
      System.out.println("cpu");
      System.out.println("cuda skipped: " + Device.cudaUnavailableReason().replace('\n', ' '));
    }
  }
}
