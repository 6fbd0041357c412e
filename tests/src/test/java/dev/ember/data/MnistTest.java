package dev.ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ember.DType;
import dev.ember.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistTest {
  @TempDir Path dir;

  private static final int N = 5;
  private static final int ROWS = 4;
  private static final int COLS = 3;

  /** IDX bytes: magic, sizes, then data, all as the format says (big-endian). */
  static byte[] idx(int magic, int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.putInt(magic);
    for (int d : dims) {
      b.putInt(d);
    }
    b.put(data);
    return b.array();
  }

  static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    }
    return out.toByteArray();
  }

  private static byte[] pixels() {
    byte[] p = new byte[N * ROWS * COLS];
    for (int i = 0; i < p.length; i++) {
      p[i] = (byte) (i * 17);
    }
    p[0] = (byte) 255;
    p[1] = 0;
    return p;
  }

  private static final byte[] LABELS = {7, 2, 1, 0, 9};

  private Path file(String name, byte[] bytes) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, bytes);
    return f;
  }

  @Test
  void readsRawAndGzipIdx() throws IOException {
    byte[] images = idx(Mnist.IMAGES_MAGIC, new int[] {N, ROWS, COLS}, pixels());
    byte[] labels = idx(Mnist.LABELS_MAGIC, new int[] {N}, LABELS);
    for (boolean gz : new boolean[] {false, true}) {
      Path ip = file("images" + gz, gz ? gzip(images) : images);
      Path lp = file("labels" + gz, gz ? gzip(labels) : labels);
      TensorDataset ds = Mnist.read(ip, lp);
      Tensor x = ds.tensor(0);
      Tensor y = ds.tensor(1);
      assertArrayEquals(new int[] {N, 1, ROWS, COLS}, x.shapeArray());
      assertEquals(DType.FLOAT32, x.dtype());
      assertEquals(DType.INT64, y.dtype());
      assertArrayEquals(new long[] {7, 2, 1, 0, 9}, y.toLongArray());
      float[] v = x.toFloatArray();
      byte[] p = pixels();
      for (int i = 0; i < v.length; i++) {
        assertEquals((p[i] & 0xff) / 255f, v[i], 0f);
      }
      assertEquals(1f, v[0]);
      assertEquals(0f, v[1]);
      assertEquals(N, ds.size());
    }
  }

  @Test
  void rejectsWrongMagicCountsAndTrailingBytes() throws IOException {
    byte[] images = idx(Mnist.IMAGES_MAGIC, new int[] {N, ROWS, COLS}, pixels());
    byte[] labels = idx(Mnist.LABELS_MAGIC, new int[] {N}, LABELS);
    Path ip = file("i", images);
    Path lp = file("l", labels);
    DataFileException e = assertThrows(DataFileException.class, () -> Mnist.read(lp, ip));
    assertTrue(e.getMessage().contains("bad magic number 0x00000801"), e.getMessage());
    assertTrue(e.getMessage().contains(lp.toString()), e.getMessage());
    Path four = file("four", idx(Mnist.LABELS_MAGIC, new int[] {4}, Arrays.copyOf(LABELS, 4)));
    e = assertThrows(DataFileException.class, () -> Mnist.read(ip, four));
    assertTrue(e.getMessage().contains("4 labels"), e.getMessage());
    byte[] longer = Arrays.copyOf(labels, labels.length + 1);
    Path extra = file("extra", longer);
    e = assertThrows(DataFileException.class, () -> Mnist.readLabels(extra));
    assertTrue(e.getMessage().contains("unexpected bytes"), e.getMessage());
    Path huge = file("huge", idx(Mnist.IMAGES_MAGIC, new int[] {60000, 60000, 28}, new byte[0]));
    e = assertThrows(DataFileException.class, () -> Mnist.readImages(huge));
    assertTrue(e.getMessage().contains("too large"), e.getMessage());
    byte[] corruptGz = gzip(images);
    corruptGz[corruptGz.length / 2] ^= 0x55;
    corruptGz[corruptGz.length / 2 + 1] ^= 0x55;
    Path cg = file("corrupt.gz", corruptGz);
    assertThrows(DataFileException.class, () -> Mnist.readImages(cg));
  }

  @Test
  void truncatingAtEveryByteGivesACleanException() throws IOException {
    byte[] images = idx(Mnist.IMAGES_MAGIC, new int[] {N, ROWS, COLS}, pixels());
    for (boolean gz : new boolean[] {false, true}) {
      byte[] full = gz ? gzip(images) : images;
      for (int len = 0; len < full.length; len++) {
        Path f = file("cut", Arrays.copyOf(full, len));
        try {
          Mnist.readImages(f);
          fail((gz ? "gzip" : "raw") + " file cut to " + len + " bytes loaded");
        } catch (DataFileException e) {
          assertTrue(e.getMessage().startsWith("mnist: " + f), e.getMessage());
        } catch (Exception e) {
          throw new AssertionError("cut to " + len + " bytes: wrong exception " + e, e);
        }
      }
    }
  }

  @Test
  void aHeaderClaimingTwoGigabytesIsCheckedAgainstTheFileBeforeAnyAllocation() throws IOException {
    // 16 bytes that promise 46340 x 46340 images: 2 GB, more than the test heap; nothing that size
    // may be allocated before the claim is checked against the file.
    byte[] header = idx(Mnist.IMAGES_MAGIC, new int[] {1, 46340, 46340}, new byte[0]);
    Path raw = file("claims-2gb", header);
    DataFileException e = assertThrows(DataFileException.class, () -> Mnist.readImages(raw));
    assertTrue(e.getMessage().contains("header promises 2147395600 data bytes")
        && e.getMessage().contains("the file has only 0"), e.getMessage());
    Path gz = file("claims-2gb.gz", gzip(header));
    e = assertThrows(DataFileException.class, () -> Mnist.readImages(gz));
    assertTrue(e.getMessage().contains("header promises 2147395600 data bytes")
        && e.getMessage().contains("only 0 follow"), e.getMessage());
  }

  @Test
  void aDirectoryIsReportedWithItsPath() {
    DataFileException e = assertThrows(DataFileException.class, () -> Mnist.readImages(dir));
    assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("directory"),
        e.getMessage());
  }
}
