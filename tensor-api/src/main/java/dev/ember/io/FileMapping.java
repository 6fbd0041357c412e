package dev.ember.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A read-only piece of a file mapped into memory, unmapped at once by {@link #close()} rather than
 * at some later garbage collection, so a loaded file that is then replaced (an atomic re-save) frees
 * its disk space and, on Windows, can be replaced at all.
 *
 * <p>This is the Java 17-21 version: it unmaps through {@code sun.misc.Unsafe.invokeCleaner}
 * (module jdk.unsupported) where present, otherwise leaves it to the collector. The multi-release
 * jar carries a Java 22+ version ({@code src/main/java22}) that maps into a shared {@code Arena}
 * and closes it, so JDK 24+ prints no Unsafe warning (docs/platforms.md).
 */
final class FileMapping implements AutoCloseable {
  private static final java.lang.invoke.MethodHandle INVOKE_CLEANER = findCleaner();
  private final MappedByteBuffer buffer;

  private FileMapping(MappedByteBuffer buffer) {
    this.buffer = buffer;
  }

  /** Maps {@code bytes} bytes of {@code ch} from byte {@code position}, read-only. */
  static FileMapping map(FileChannel ch, long position, long bytes) throws IOException {
    return new FileMapping(ch.map(FileChannel.MapMode.READ_ONLY, position, bytes));
  }

  /** The mapped bytes (big-endian until the caller sets an order); invalid after {@link #close()}. */
  ByteBuffer buffer() {
    return buffer;
  }

  /** Unmaps the piece; nothing may use {@link #buffer()} afterwards. */
  @Override
  public void close() {
    if (INVOKE_CLEANER != null) {
      try {
        INVOKE_CLEANER.invokeExact((ByteBuffer) buffer);
      } catch (Throwable e) {
        // leave it to the collector
      }
    }
  }

  private static java.lang.invoke.MethodHandle findCleaner() {
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      java.lang.reflect.Field f = unsafeClass.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      Object unsafe = f.get(null);
      return java.lang.invoke.MethodHandles.lookup()
          .findVirtual(unsafeClass, "invokeCleaner",
              java.lang.invoke.MethodType.methodType(void.class, ByteBuffer.class))
          .bindTo(unsafe);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
