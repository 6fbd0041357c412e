package dev.ember.backend.cpu;

import java.lang.reflect.Field;
import sun.misc.Unsafe;

/**
 * Raw loads and stores on off-heap addresses. Direct NIO buffers bounds-check and scope-check
 * every access (about 5 ns per element here); these compile to plain moves (about 1 ns), which is
 * what makes Java loops competitive for elementwise work. Addresses come only from {@link
 * CpuStorage}, whose kernels check shapes and offsets before any access.
 */
final class Raw {
  static final Unsafe U = load();

  private Raw() {}

  private static Unsafe load() {
    try {
      Field f = Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      return (Unsafe) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
