package dev.ember.data;

import dev.ember.Tensor;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-style data in the IDX format ({@code train-images-idx3-ubyte}, {@code
 * t10k-labels-idx1-ubyte}, plain or gzip-compressed; gzip is recognised by its magic bytes, not by
 * the file name). Fashion-MNIST and KMNIST use the same format.
 *
 * <pre>{@code
 * TensorDataset train = Mnist.read(dir.resolve("train-images-idx3-ubyte.gz"),
 *     dir.resolve("train-labels-idx1-ubyte.gz"));
 * Tensor images = train.tensor(0);   // [60000, 1, 28, 28] float32 in [0, 1]
 * Tensor labels = train.tensor(1);   // [60000] int64
 * }</pre>
 *
 * <p>IDX: a big-endian magic number {@code 0x0000TTDD} (type {@code TT = 0x08}, unsigned bytes;
 * {@code DD} dimensions), {@code DD} big-endian 32-bit sizes, then the bytes. Images must be
 * {@code 0x00000803} and labels {@code 0x00000801}; a wrong magic, a truncated or over-long file,
 * a corrupt gzip stream or image and label files of different lengths throw a {@link
 * DataFileException} naming the file.
 *
 * @since 0.1
 */
public final class Mnist {
  /** The magic number of an IDX file of unsigned-byte images (3 dims). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** The magic number of an IDX file of unsigned-byte labels (1 dim). */
  public static final int LABELS_MAGIC = 0x00000801;

  private static final String READER = "mnist";

  private Mnist() {}

  /**
   * Reads images and labels into a dataset of {@code {images, labels}}: images {@code [N, 1, rows,
   * cols]} float32 scaled to [0, 1] (byte / 255), labels {@code [N]} int64.
   *
   * @throws DataFileException if a file is not valid IDX or the counts differ
   * @throws IOException if a file cannot be read
   */
  public static TensorDataset read(Path imagesPath, Path labelsPath) throws IOException {
    Tensor images = readImages(imagesPath);
    Tensor labels = readLabels(labelsPath);
    if (images.size(0) != labels.size(0)) {
      throw new DataFileException(READER, labelsPath, "has " + labels.size(0) + " labels but "
          + imagesPath + " has " + images.size(0) + " images");
    }
    return new TensorDataset(images, labels);
  }

  /**
   * Reads an IDX image file into a float32 tensor {@code [N, 1, rows, cols]} scaled to [0, 1].
   *
   * @throws DataFileException if the file is not a valid IDX image file
   * @throws IOException if it cannot be read
   */
  public static Tensor readImages(Path path) throws IOException {
    Idx idx = readIdx(path, IMAGES_MAGIC, "images");
    int n = idx.dims[0];
    int rows = idx.dims[1];
    int cols = idx.dims[2];
    float[] values = new float[idx.data.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = (idx.data[i] & 0xff) / 255f;
    }
    return Tensor.of(values, n, 1, rows, cols);
  }

  /**
   * Reads an IDX label file into an int64 tensor {@code [N]}.
   *
   * @throws DataFileException if the file is not a valid IDX label file
   * @throws IOException if it cannot be read
   */
  public static Tensor readLabels(Path path) throws IOException {
    Idx idx = readIdx(path, LABELS_MAGIC, "labels");
    long[] values = new long[idx.data.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = idx.data[i] & 0xff;
    }
    return Tensor.of(values, idx.dims[0]);
  }

  private record Idx(int[] dims, byte[] data) {}

  private static Idx readIdx(Path path, int expectedMagic, String what) throws IOException {
    if (Files.isDirectory(path)) {
      throw new DataFileException(READER, path, "is a directory, not an IDX file");
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      boolean gz = b0 == 0x1f && b1 == 0x8b;
      try (InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
        // A raw file's size bounds its data; a gzip stream's is known only once read.
        return parse(path, in, expectedMagic, what, gz ? Long.MAX_VALUE : Files.size(path));
      } catch (ZipException e) {
        throw new DataFileException(READER, path, "corrupt gzip data: " + e.getMessage(), e);
      } catch (EOFException e) {
        throw new DataFileException(READER, path, "truncated file (unexpected end of "
            + (gz ? "gzip stream" : "file") + ")", e);
      }
    }
  }

  /**
   * Parses an IDX stream; {@code fileBytes} is the stream's length if known. Nothing is allocated
   * from the header's sizes before they are checked against the file: a raw file that is too
   * short is rejected at once, and gzip data is read in growing pieces, so a 16-byte file that
   * claims 2 GB allocates nothing near that.
   */
  private static Idx parse(Path path, InputStream in, int expectedMagic, String what, long fileBytes)
      throws IOException {
    byte[] head = new byte[4];
    int got = in.readNBytes(head, 0, 4);
    if (got < 4) {
      throw new DataFileException(READER, path, "truncated file: " + got
          + " bytes, too short for the IDX magic number");
    }
    int magic = beInt(head, 0);
    if (magic != expectedMagic) {
      throw new DataFileException(READER, path, String.format(
          "bad magic number 0x%08X, expected 0x%08X (IDX unsigned-byte %s)", magic, expectedMagic,
          what));
    }
    int ndims = expectedMagic & 0xff;
    byte[] dimBytes = new byte[4 * ndims];
    got = in.readNBytes(dimBytes, 0, dimBytes.length);
    if (got < dimBytes.length) {
      throw new DataFileException(READER, path, "truncated header: " + (4 + got) + " of "
          + (4 + dimBytes.length) + " bytes");
    }
    int[] dims = new int[ndims];
    long total = 1;
    for (int i = 0; i < ndims; i++) {
      dims[i] = beInt(dimBytes, 4 * i);
      if (dims[i] < 0) {
        throw new DataFileException(READER, path, "dimension " + i + " has negative size "
            + dims[i]);
      }
      total *= dims[i];
      if (total > Integer.MAX_VALUE - 8) {
        throw new DataFileException(READER, path, "sizes " + java.util.Arrays.toString(dims)
            + " are too large");
      }
    }
    if (ndims == 3 && (dims[1] == 0 || dims[2] == 0) && dims[0] > 0) {
      throw new DataFileException(READER, path, "images of size " + dims[1] + "x" + dims[2]);
    }
    long headerBytes = 4L + dimBytes.length;
    if (total > fileBytes - headerBytes) {
      throw new DataFileException(READER, path, "truncated file: header promises " + total
          + " data bytes (sizes " + java.util.Arrays.toString(dims) + ") but the file has only "
          + (fileBytes - headerBytes) + " after the " + headerBytes + "-byte header");
    }
    byte[] data = in.readNBytes((int) total); // grows with what is read, not with the claim
    got = data.length;
    if (got < total) {
      throw new DataFileException(READER, path, "truncated file: header promises " + total
          + " data bytes (sizes " + java.util.Arrays.toString(dims) + ") but only " + got
          + " follow");
    }
    if (in.read() >= 0) {
      throw new DataFileException(READER, path, "unexpected bytes after the " + total
          + " data bytes the header promises");
    }
    return new Idx(dims, data);
  }

  private static int beInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8)
        | (b[at + 3] & 0xff);
  }
}
