package dev.ember.backend.cpu;

import dev.ember.spi.Storage;
import dev.ember.spi.Strided;

/**
 * The storages of one kernel's operands, {@linkplain CpuStorage#pin pinned} for the length of a
 * try-with-resources block, so no other thread's {@code close()} frees memory the kernel is
 * reading or writing. Each distinct storage is pinned once (an in-place op's input and output
 * share one).
 *
 * <pre>{@code
 * try (Pinned p = Pinned.of("add", a.storage(), b.storage(), out.storage())) {
 *   Elementwise.binary(op, a, b, out);
 * }
 * }</pre>
 */
final class Pinned implements AutoCloseable {
  private final CpuStorage s0;
  private final CpuStorage s1;
  private final CpuStorage s2;
  private final CpuStorage s3;

  private Pinned(CpuStorage s0, CpuStorage s1, CpuStorage s2, CpuStorage s3) {
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** Pins one operand's storage. */
  static Pinned of(Object op, Strided a) {
    return of(op, a.storage(), null, null, null);
  }

  /** Pins two operands' storages. */
  static Pinned of(Object op, Strided a, Strided b) {
    return of(op, a.storage(), b.storage(), null, null);
  }

  /** Pins three operands' storages. */
  static Pinned of(Object op, Strided a, Strided b, Strided c) {
    return of(op, a.storage(), b.storage(), c.storage(), null);
  }

  /** Pins four operands' storages. */
  static Pinned of(Object op, Strided a, Strided b, Strided c, Strided d) {
    return of(op, a.storage(), b.storage(), c.storage(), d.storage());
  }

  /**
   * Pins the distinct storages among up to four (null entries are skipped). {@code op} (a name or
   * an op enum) is only read for the error message, so naming costs nothing per call.
   *
   * @throws IllegalStateException naming {@code op} when one is already closed; none stays pinned
   */
  static Pinned of(Object op, Storage a, Storage b, Storage c, Storage d) {
    CpuStorage p0 = pinFirst(op, a);
    CpuStorage p1 = null;
    CpuStorage p2 = null;
    CpuStorage p3 = null;
    try {
      p1 = b == a ? null : pinFirst(op, b);
      p2 = c == a || c == b ? null : pinFirst(op, c);
      p3 = d == a || d == b || d == c ? null : pinFirst(op, d);
    } catch (RuntimeException e) {
      new Pinned(p0, p1, p2, p3).close();
      throw e;
    }
    return new Pinned(p0, p1, p2, p3);
  }

  private static CpuStorage pinFirst(Object op, Storage s) {
    if (s == null) {
      return null;
    }
    CpuStorage c = (CpuStorage) s;
    c.pin(op);
    return c;
  }

  /** Unpins every pinned storage, freeing any that was closed meanwhile. */
  @Override
  public void close() {
    if (s0 != null) {
      s0.unpin();
    }
    if (s1 != null) {
      s1.unpin();
    }
    if (s2 != null) {
      s2.unpin();
    }
    if (s3 != null) {
      s3.unpin();
    }
  }
}
