package dev.ember.backend.cuda;

/**
 * A snapshot of one device's caching allocator.
 *
 * @param allocatedBytes bytes held by live storages (rounded up to the allocator's size classes)
 * @param reservedBytes bytes obtained from the driver: allocated plus cached for reuse
 * @param peakBytes the highest {@code allocatedBytes} seen since the backend opened
 */
public record MemoryStats(long allocatedBytes, long reservedBytes, long peakBytes) {
  /** Returns the bytes cached for reuse and not held by any storage. */
  public long cachedBytes() {
    return reservedBytes - allocatedBytes;
  }

  @Override
  public String toString() {
    return String.format(
        "allocated %.1f MiB, reserved %.1f MiB, peak %.1f MiB",
        allocatedBytes / 1048576.0, reservedBytes / 1048576.0, peakBytes / 1048576.0);
  }
}
