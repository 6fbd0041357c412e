package dev.ember.io;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.internal.Backends;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Moves tensor elements between a file and a backend's storage without a heap copy of a whole
 * tensor, so a file of any size loads and saves in a small heap ({@code -Xmx512m} moves a 2 GB
 * tensor): saving goes through one direct buffer of {@link #CHUNK_BYTES}, loading copies from the
 * memory-mapped file {@link #MAP_BYTES} at a time.
 */
final class TensorStreams {
  /** The size of the direct buffer a save streams through, in bytes (a multiple of 8). */
  static final int CHUNK_BYTES = 16 << 20;

  /** The most bytes of a file mapped at once when loading (1 GiB, a multiple of 8). */
  static final int MAP_BYTES = 1 << 30;

  /** The mapping size in force: {@link #MAP_BYTES}; tests lower it to cross piece boundaries. */
  static volatile int mapBytes = MAP_BYTES;

  private TensorStreams() {}

  /** Returns a direct little-endian buffer of {@link #CHUNK_BYTES} for one save. */
  static ByteBuffer buffer() {
    return ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Writes the elements of {@code t} (any device, any strides), row-major little-endian, at the
   * channel's position, in chunks through {@code buf}.
   */
  static void write(FileChannel ch, Tensor t, ByteBuffer buf) throws IOException {
    if (t.numel() == 0) {
      return;
    }
    Tensor c = t.detach().contiguous();
    Strided s = c.strided();
    Backend backend = c.backend();
    int size = t.dtype().byteSize();
    int perChunk = CHUNK_BYTES / size;
    long numel = t.numel();
    try {
      for (long at = 0; at < numel; at += perChunk) {
        int n = (int) Math.min(perChunk, numel - at);
        buf.clear();
        backend.copyToHost(s.storage(), s.offset() + at, n, buf);
        buf.limit(n * size);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
    } finally {
      if (s.storage() != t.strided().storage()) {
        c.close(); // the contiguous copy of a strided view: free it now, not at some GC
      }
    }
  }

  /** Checks one chunk of host bytes before it is copied into a tensor; names the element. */
  interface ChunkCheck {
    void check(ByteBuffer chunk, long firstElement) throws IOException;
  }

  /**
   * Reads a CPU tensor of {@code dtype} and {@code shape} from the channel at byte {@code position}:
   * the file is memory-mapped {@link #MAP_BYTES} at a time and each piece, passed to {@code check}
   * first, is copied straight from the page cache into the tensor's storage, then unmapped.
   */
  static Tensor read(Path file, FileChannel ch, long position, DType dtype, int[] shape, ChunkCheck check)
      throws IOException {
    Backend cpu = Backends.get(Device.CPU);
    Tensor out = Dispatch.empty(cpu, dtype, shape);
    Storage storage = out.strided().storage();
    int size = dtype.byteSize();
    int perChunk = mapBytes / size;
    long numel = out.numel();
    for (long at = 0; at < numel; at += perChunk) {
      int n = (int) Math.min(perChunk, numel - at);
      try (FileMapping mapping = FileMapping.map(ch, position + at * size, (long) n * size)) {
        ByteBuffer piece = mapping.buffer().order(ByteOrder.LITTLE_ENDIAN);
        check.check(piece, at);
        cpu.copyFromHost(piece, storage, at, n);
      } catch (InternalError e) {
        // A fault in the mapped pages: the file shrank after its header was checked.
        throw new SafetensorsException(file, "the file changed while it was being read", e);
      }
    }
    return out;
  }
}
