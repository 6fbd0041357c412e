package dev.ember.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A read-only piece of a file mapped into memory, unmapped at once by {@link #close()}: the Java 22+
 * version (in the multi-release jar's {@code META-INF/versions/22}) of the Java 17 class of {@code
 * src/main/java}. The piece is mapped into its own shared {@link Arena}, and closing the arena
 * unmaps it, with no {@code sun.misc.Unsafe}; a buffer used after that throws instead of reading
 * unmapped memory.
 */
final class FileMapping implements AutoCloseable {
  private final Arena arena;
  private final ByteBuffer buffer;

  private FileMapping(Arena arena, ByteBuffer buffer) {
    this.arena = arena;
    this.buffer = buffer;
  }

  /** Maps {@code bytes} bytes of {@code ch} from byte {@code position}, read-only. */
  static FileMapping map(FileChannel ch, long position, long bytes) throws IOException {
    Arena arena = Arena.ofShared();
    try {
      return new FileMapping(arena, ch.map(FileChannel.MapMode.READ_ONLY, position, bytes, arena).asByteBuffer());
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /** The mapped bytes (big-endian until the caller sets an order); invalid after {@link #close()}. */
  ByteBuffer buffer() {
    return buffer;
  }

  /** Unmaps the piece; nothing may use {@link #buffer()} afterwards. */
  @Override
  public void close() {
    arena.close();
  }
}
