package dev.ember.backend.cpu;

import java.lang.reflect.Field;
import sun.misc.Unsafe;

/**
 * Raw loads and stores on off-heap addresses. Direct NIO buffers bounds-check and scope-check
 * every access (about 5 ns per element here); these compile to plain moves (about 1 ns), which is
 * what makes Java loops competitive for elementwise work. Addresses come only from {@link
 * CpuStorage}, whose kernels check shapes and offsets before any access.
 *
 * <p>This is the Java 17-21 version, on {@code sun.misc.Unsafe}. The multi-release jar carries a
 * Java 22+ version of this class with the same static methods ({@code src/main/java22}, in {@code
 * META-INF/versions/22}) on the foreign-memory API, so JDK 24+ prints no Unsafe warning and runs
 * under {@code --sun-misc-unsafe-memory-access=deny} (docs/platforms.md). Every method is a
 * one-line static delegation that the JIT inlines.
 */
final class Raw {
  private static final Unsafe U = load();
  private static final long FLOAT_BASE = U.arrayBaseOffset(float[].class);

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

  /** Whether accesses go through the foreign-memory API: never in this Java 17 version. */
  static boolean usesForeignMemory() {
    return false;
  }

  /** The float at {@code address}. */
  static float getFloat(long address) {
    return U.getFloat(address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putFloat(long address, float v) {
    U.putFloat(address, v);
  }

  /** The double at {@code address}. */
  static double getDouble(long address) {
    return U.getDouble(address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putDouble(long address, double v) {
    U.putDouble(address, v);
  }

  /** The int at {@code address}. */
  static int getInt(long address) {
    return U.getInt(address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putInt(long address, int v) {
    U.putInt(address, v);
  }

  /** The long at {@code address}. */
  static long getLong(long address) {
    return U.getLong(address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putLong(long address, long v) {
    U.putLong(address, v);
  }

  /** The short at {@code address}. */
  static short getShort(long address) {
    return U.getShort(address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putShort(long address, short v) {
    U.putShort(address, v);
  }

  /** The byte at {@code address}. */
  static byte getByte(long address) {
    return U.getByte(address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putByte(long address, byte v) {
    U.putByte(address, v);
  }

  /** Copies {@code bytes} bytes from address {@code src} to address {@code dst} (non-overlapping). */
  static void copyMemory(long src, long dst, long bytes) {
    U.copyMemory(src, dst, bytes);
  }

  /** Sets {@code bytes} bytes from {@code address} on to {@code value}. */
  static void setMemory(long address, long bytes, byte value) {
    U.setMemory(address, bytes, value);
  }

  /**
   * Copies {@code bytes} bytes from address {@code src} into {@code dst}, starting {@code dstOffset}
   * bytes into the array (a multiple of 4: element {@code dstOffset / 4}).
   */
  static void copyToArray(long src, float[] dst, long dstOffset, long bytes) {
    U.copyMemory(null, src, dst, FLOAT_BASE + dstOffset, bytes);
  }

  /**
   * Copies {@code bytes} bytes of {@code src}, starting {@code srcOffset} bytes into the array (a
   * multiple of 4), to address {@code dst}.
   */
  static void copyFromArray(float[] src, long srcOffset, long dst, long bytes) {
    U.copyMemory(src, FLOAT_BASE + srcOffset, null, dst, bytes);
  }
}
