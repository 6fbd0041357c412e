package dev.ember.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Raw loads and stores on off-heap addresses, the Java 22+ version (in the multi-release jar's
 * {@code META-INF/versions/22}): the same static methods as the Java 17 class of {@code
 * src/main/java}, on the foreign-memory API instead of {@code sun.misc.Unsafe}, so JDK 23+ prints
 * no Unsafe warning and runs under {@code --sun-misc-unsafe-memory-access=deny}.
 *
 * <p>All accesses go through one segment that spans the whole address space ({@link
 * MemorySegment#NULL} reinterpreted to {@code Long.MAX_VALUE} bytes, global scope): its bounds check
 * always passes and its liveness check is constant, so the JIT compiles each access to a plain move,
 * as fast as Unsafe (JMH in docs/platforms.md). {@code reinterpret} is a restricted method: the JVM
 * warns once unless native access is enabled ({@code --enable-native-access=ALL-UNNAMED}, which
 * JavaCPP's native libraries need anyway, or {@code Enable-Native-Access: ALL-UNNAMED} in the
 * manifest of an executable jar). Layouts are unaligned: addresses come from strided views. As in
 * the Java 17 class, addresses come only from {@link CpuStorage}, whose kernels check shapes and
 * offsets before any access.
 */
final class Raw {
  private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
  private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
  private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
  private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

  private Raw() {}

  /** The float at {@code address}. */
  static float getFloat(long address) {
    return ALL.get(F32, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putFloat(long address, float v) {
    ALL.set(F32, address, v);
  }

  /** The double at {@code address}. */
  static double getDouble(long address) {
    return ALL.get(F64, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putDouble(long address, double v) {
    ALL.set(F64, address, v);
  }

  /** The int at {@code address}. */
  static int getInt(long address) {
    return ALL.get(I32, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putInt(long address, int v) {
    ALL.set(I32, address, v);
  }

  /** The long at {@code address}. */
  static long getLong(long address) {
    return ALL.get(I64, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putLong(long address, long v) {
    ALL.set(I64, address, v);
  }

  /** The short at {@code address}. */
  static short getShort(long address) {
    return ALL.get(I16, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putShort(long address, short v) {
    ALL.set(I16, address, v);
  }

  /** The byte at {@code address}. */
  static byte getByte(long address) {
    return ALL.get(I8, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putByte(long address, byte v) {
    ALL.set(I8, address, v);
  }

  /** Copies {@code bytes} bytes from address {@code src} to address {@code dst} (non-overlapping). */
  static void copyMemory(long src, long dst, long bytes) {
    MemorySegment.copy(ALL, src, ALL, dst, bytes);
  }

  /** Sets {@code bytes} bytes from {@code address} on to {@code value}. */
  static void setMemory(long address, long bytes, byte value) {
    ALL.asSlice(address, bytes).fill(value);
  }

  /**
   * Copies {@code bytes} bytes from address {@code src} into {@code dst}, starting {@code dstOffset}
   * bytes into the array (a multiple of 4: element {@code dstOffset / 4}).
   */
  static void copyToArray(long src, float[] dst, long dstOffset, long bytes) {
    MemorySegment.copy(ALL, F32, src, dst, (int) (dstOffset >>> 2), (int) (bytes >>> 2));
  }

  /**
   * Copies {@code bytes} bytes of {@code src}, starting {@code srcOffset} bytes into the array (a
   * multiple of 4), to address {@code dst}.
   */
  static void copyFromArray(float[] src, long srcOffset, long dst, long bytes) {
    MemorySegment.copy(src, (int) (srcOffset >>> 2), ALL, F32, dst, (int) (bytes >>> 2));
  }
}
