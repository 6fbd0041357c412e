package dev.ember.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Raw loads and stores on off-heap addresses, the Java 22+ version (in the multi-release jar's
 * {@code META-INF/versions/22}): the same static methods as the Java 17 class of {@code
 * src/main/java}, on the foreign-memory API instead of {@code sun.misc.Unsafe} unless Unsafe is
 * allowed (below), so JDK 24+ prints no Unsafe warning and runs under {@code
 * --sun-misc-unsafe-memory-access=deny}.
 *
 * <p>All accesses go through one segment that spans the whole address space ({@link
 * MemorySegment#NULL} reinterpreted to {@code Long.MAX_VALUE} bytes, global scope): its bounds check
 * always passes and its liveness check is constant, so the JIT compiles a simple loop to the same
 * code as with Unsafe. {@code reinterpret} is a restricted method: the JVM
 * warns once unless native access is enabled ({@code --enable-native-access=ALL-UNNAMED}, which
 * JavaCPP's native libraries need anyway, or {@code Enable-Native-Access: ALL-UNNAMED} in the
 * manifest of an executable jar). Layouts are unaligned: addresses come from strided views. As in
 * the Java 17 class, addresses come only from {@link CpuStorage}, whose kernels check shapes and
 * offsets before any access.
 *
 * <p>Which path runs is fixed at class initialization ({@code -Dember.cpu.memoryAccess}): {@code
 * foreign} or {@code unsafe} force one; the default, {@code auto}, keeps {@code sun.misc.Unsafe}
 * where it is silently allowed (the JVM was started with {@code
 * --sun-misc-unsafe-memory-access=allow}, as Ember's launchers and tests do for JavaCPP, or the JDK
 * is 22 or 23 with no such option) and takes the foreign path everywhere else (JDK 24+ defaults,
 * {@code warn}, {@code deny}). On JDK 25 the foreign path is slower in some kernels (JMH in
 * docs/platforms.md: a dense two-input loop, add_bias, 1.4-2.4x; most kernels within noise), hence not the
 * default where Unsafe is allowed. The unused path's class is never initialized.
 */
final class Raw {
  private static final boolean UNSAFE = chooseUnsafe();
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
  private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
  private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
  private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
  private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

  private Raw() {}

  /** The segment over the whole address space; initialized only on the foreign path. */
  private static final class Foreign {
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
  }

  /** {@code sun.misc.Unsafe}; initialized only on the Unsafe path. */
  private static final class Direct {
    static final sun.misc.Unsafe U = load();
    static final long FLOAT_BASE = U.arrayBaseOffset(float[].class);

    private static sun.misc.Unsafe load() {
      try {
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return (sun.misc.Unsafe) f.get(null);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }

  private static boolean chooseUnsafe() {
    String mode = System.getProperty("ember.cpu.memoryAccess", "auto");
    switch (mode) {
      case "unsafe":
        return true;
      case "foreign":
        return false;
      case "auto":
        String jdk = System.getProperty("sun.misc.unsafe.memory.access");
        return "allow".equals(jdk) || (jdk == null && Runtime.version().feature() <= 23);
      default:
        throw new IllegalArgumentException(
            "ember.cpu.memoryAccess must be auto, foreign or unsafe, not '" + mode + "'");
    }
  }

  /** Whether accesses go through the foreign-memory API (false: through sun.misc.Unsafe). */
  static boolean usesForeignMemory() {
    return !UNSAFE;
  }

  /** The float at {@code address}. */
  static float getFloat(long address) {
    return UNSAFE ? Direct.U.getFloat(address) : Foreign.ALL.get(F32, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putFloat(long address, float v) {
    if (UNSAFE) {
      Direct.U.putFloat(address, v);
    } else {
      Foreign.ALL.set(F32, address, v);
    }
  }

  /** The double at {@code address}. */
  static double getDouble(long address) {
    return UNSAFE ? Direct.U.getDouble(address) : Foreign.ALL.get(F64, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putDouble(long address, double v) {
    if (UNSAFE) {
      Direct.U.putDouble(address, v);
    } else {
      Foreign.ALL.set(F64, address, v);
    }
  }

  /** The int at {@code address}. */
  static int getInt(long address) {
    return UNSAFE ? Direct.U.getInt(address) : Foreign.ALL.get(I32, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putInt(long address, int v) {
    if (UNSAFE) {
      Direct.U.putInt(address, v);
    } else {
      Foreign.ALL.set(I32, address, v);
    }
  }

  /** The long at {@code address}. */
  static long getLong(long address) {
    return UNSAFE ? Direct.U.getLong(address) : Foreign.ALL.get(I64, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putLong(long address, long v) {
    if (UNSAFE) {
      Direct.U.putLong(address, v);
    } else {
      Foreign.ALL.set(I64, address, v);
    }
  }

  /** The short at {@code address}. */
  static short getShort(long address) {
    return UNSAFE ? Direct.U.getShort(address) : Foreign.ALL.get(I16, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putShort(long address, short v) {
    if (UNSAFE) {
      Direct.U.putShort(address, v);
    } else {
      Foreign.ALL.set(I16, address, v);
    }
  }

  /** The byte at {@code address}. */
  static byte getByte(long address) {
    return UNSAFE ? Direct.U.getByte(address) : Foreign.ALL.get(I8, address);
  }

  /** Stores {@code v} at {@code address}. */
  static void putByte(long address, byte v) {
    if (UNSAFE) {
      Direct.U.putByte(address, v);
    } else {
      Foreign.ALL.set(I8, address, v);
    }
  }

  /** Copies {@code bytes} bytes from address {@code src} to address {@code dst} (non-overlapping). */
  static void copyMemory(long src, long dst, long bytes) {
    if (UNSAFE) {
      Direct.U.copyMemory(src, dst, bytes);
    } else {
      MemorySegment.copy(Foreign.ALL, src, Foreign.ALL, dst, bytes);
    }
  }

  /** Sets {@code bytes} bytes from {@code address} on to {@code value}. */
  static void setMemory(long address, long bytes, byte value) {
    if (UNSAFE) {
      Direct.U.setMemory(address, bytes, value);
    } else {
      Foreign.ALL.asSlice(address, bytes).fill(value);
    }
  }

  /**
   * Copies {@code bytes} bytes from address {@code src} into {@code dst}, starting {@code dstOffset}
   * bytes into the array (a multiple of 4: element {@code dstOffset / 4}).
   */
  static void copyToArray(long src, float[] dst, long dstOffset, long bytes) {
    if (UNSAFE) {
      Direct.U.copyMemory(null, src, dst, Direct.FLOAT_BASE + dstOffset, bytes);
    } else {
      MemorySegment.copy(Foreign.ALL, F32, src, dst, (int) (dstOffset >>> 2), (int) (bytes >>> 2));
    }
  }

  /**
   * Copies {@code bytes} bytes of {@code src}, starting {@code srcOffset} bytes into the array (a
   * multiple of 4), to address {@code dst}.
   */
  static void copyFromArray(float[] src, long srcOffset, long dst, long bytes) {
    if (UNSAFE) {
      Direct.U.copyMemory(src, Direct.FLOAT_BASE + srcOffset, null, dst, bytes);
    } else {
      MemorySegment.copy(src, (int) (srcOffset >>> 2), Foreign.ALL, F32, dst, (int) (bytes >>> 2));
    }
  }
}
