package dev.ember.io;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.internal.Backends;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Moves tensor elements between a file and a backend's storage through one bounded direct buffer
 * of {@link #CHUNK_BYTES} bytes: no heap copy of a whole tensor, so a file of any size loads and
 * saves in a small heap ({@code -Xmx256m} moves a 2 GB tensor).
 */
final class TensorStreams {
  /** The size of the bounce buffer a save or a load uses, in bytes (a multiple of 8). */
  static final int CHUNK_BYTES = 16 << 20;

  private TensorStreams() {}

  /** Returns a direct little-endian buffer of {@link #CHUNK_BYTES} for one save or load. */
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
    for (long at = 0; at < numel; at += perChunk) {
      int n = (int) Math.min(perChunk, numel - at);
      buf.clear();
      backend.copyToHost(s.storage(), s.offset() + at, n, buf);
      buf.limit(n * size);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
  }

  /** Checks one chunk of host bytes before it is copied into a tensor; names the element. */
  interface ChunkCheck {
    void check(ByteBuffer chunk, long firstElement) throws IOException;
  }

  /**
   * Reads a CPU tensor of {@code dtype} and {@code shape} from the channel at byte {@code position},
   * in chunks through {@code buf}, each passed to {@code check} first.
   */
  static Tensor read(Path file, FileChannel ch, long position, DType dtype, int[] shape,
      ByteBuffer buf, ChunkCheck check) throws IOException {
    Backend cpu = Backends.get(Device.CPU);
    Tensor out = Dispatch.empty(cpu, dtype, shape);
    Storage storage = out.strided().storage();
    int size = dtype.byteSize();
    int perChunk = CHUNK_BYTES / size;
    long numel = out.numel();
    for (long at = 0; at < numel; at += perChunk) {
      int n = (int) Math.min(perChunk, numel - at);
      buf.clear().limit(n * size);
      long p = position + at * size;
      while (buf.hasRemaining()) {
        int r = ch.read(buf, p);
        if (r < 0) {
          throw new SafetensorsException(file, "unexpected end of file at byte " + p,
              new EOFException());
        }
        p += r;
      }
      buf.flip();
      check.check(buf, at);
      cpu.copyFromHost(buf, storage, at, n);
    }
    return out;
  }
}
