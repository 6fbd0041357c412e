package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a save does to the file system (permissions, stale temporary files, error messages) and
 * tensors larger than one streaming chunk.
 */
class SafetensorsFilesTest {
  @TempDir Path dir;

  private static final Map<String, Tensor> ONE = Map.of("w", Tensor.of(new float[] {1, 2, 3}));

  // ---------------------------------------------------------------------------- permissions

  @Test
  void aSaveKeepsTheReplacedFilesPermissions() throws IOException {
    Path f = dir.resolve("model.safetensors");
    Safetensors.save(ONE, f);
    for (String perms : new String[] {"rw-r--r--", "rw-r-----", "rwxrw-r--"}) {
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
      Safetensors.save(ONE, f);
      assertEquals(perms, PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
          "a re-save keeps " + perms);
    }
  }

  @Test
  void aNewFileGetsTheSamePermissionsAsNewOutputStream() throws IOException {
    Path plain = dir.resolve("plain.bin");
    try (OutputStream out = Files.newOutputStream(plain)) {
      out.write(1);
    }
    Path f = dir.resolve("new.safetensors");
    Safetensors.save(ONE, f);
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
    Path c = dir.resolve("new.ckpt");
    Checkpoint.create().put("epoch", 1).save(c);
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(c));
  }

  // ---------------------------------------------------------------------------- stale temps

  private Path staleTemp(String name, long ageMillis) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, new byte[1000]);
    Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - ageMillis));
    return p;
  }

  @Test
  void aSaveRemovesOnlyStaleTempFilesOfTheSameTarget() throws IOException {
    Path f = dir.resolve("model.safetensors");
    Safetensors.save(ONE, f);
    Path stale1 = staleTemp(".model.safetensors.123.tmp", 60_000);
    Path stale2 = staleTemp(".model.safetensors.18446744073709551615.tmp", 3_600_000);
    Path recent = staleTemp(".model.safetensors.456.tmp", 0);
    Path otherTarget = staleTemp(".other.safetensors.123.tmp", 60_000);
    Path prefixTarget = staleTemp(".model.safetensors.1.safetensors.7.tmp", 60_000);
    Path notOurs = staleTemp(".model.safetensors.12x.tmp", 60_000);
    Path notHidden = staleTemp("model.safetensors.123.tmp", 60_000);
    Path locked = staleTemp(".model.safetensors.789.tmp", 60_000);
    try (FileChannel ch = FileChannel.open(locked, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      Safetensors.save(ONE, f);
      assertTrue(lock.isValid());
    }
    assertFalse(Files.exists(stale1), "stale temp of the target removed");
    assertFalse(Files.exists(stale2), "stale temp of the target removed");
    for (Path kept : new Path[] {recent, otherTarget, prefixTarget, notOurs, notHidden, locked}) {
      assertTrue(Files.exists(kept), kept.getFileName() + " is kept");
    }
    assertArrayEquals(new float[] {1, 2, 3}, Safetensors.load(f).get("w").toFloatArray());
  }

  @Test
  void aTempFileLockedByALiveProcessIsKeptAndRemovedOnceThatProcessIsKilled() throws Exception {
    Path f = dir.resolve("shared.safetensors");
    Path temp = staleTemp(".shared.safetensors.31337.tmp", 60_000);
    Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LockingWriter.class.getName(), temp.toString())
        .redirectErrorStream(true).start();
    try {
      java.io.BufferedReader lines = new java.io.BufferedReader(
          new java.io.InputStreamReader(writer.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
      assertEquals("locked", lines.readLine(), "the other process holds the lock");
      Files.setLastModifiedTime(temp, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
      Safetensors.save(ONE, f);
      assertTrue(Files.exists(temp), "a live writer's temporary file is kept");
    } finally {
      writer.destroyForcibly().waitFor();
    }
    Safetensors.save(ONE, f);
    assertFalse(Files.exists(temp), "the killed writer's temporary file is removed by the next save");
  }

  /** Another process's writer: locks the file named by {@code args[0]}, says so, and waits to be killed. */
  public static final class LockingWriter {
    private LockingWriter() {}

    /** Locks {@code args[0]} and sleeps. */
    public static void main(String[] args) throws Exception {
      try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(120_000);
      }
    }
  }

  @Test
  void checkpointSavesCleanStaleTempFilesToo() throws IOException {
    Path c = dir.resolve("ckpt.safetensors");
    Path stale = staleTemp(".ckpt.safetensors.42.tmp", 60_000);
    Checkpoint.create().put("epoch", 3).save(c);
    assertFalse(Files.exists(stale));
    assertEquals(3, Checkpoint.load(c).getLong("epoch"));
  }

  // ---------------------------------------------------------------------------- messages

  @Test
  void savingIntoAMissingDirectoryNamesTheUsersPath() {
    Path f = dir.resolve("no-such-dir").resolve("model.safetensors");
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Safetensors.save(ONE, f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertFalse(e.getMessage().contains(".tmp"), e.getMessage());
  }

  @Test
  void savingOverOrLoadingADirectoryNamesThePath() throws IOException {
    Path d = Files.createDirectory(dir.resolve("model.safetensors"));
    FileSystemException save = assertThrows(FileSystemException.class, () -> Safetensors.save(ONE, d));
    assertTrue(save.getMessage().contains(d.toString()) && save.getMessage().contains("directory"),
        save.getMessage());
    FileSystemException load = assertThrows(FileSystemException.class, () -> Safetensors.load(d));
    assertTrue(load.getMessage().contains(d.toString()) && load.getMessage().contains("directory"),
        load.getMessage());
    FileSystemException ckpt = assertThrows(FileSystemException.class, () -> Checkpoint.load(d));
    assertTrue(ckpt.getMessage().contains(d.toString()), ckpt.getMessage());
  }

  // ---------------------------------------------------------------------------- chunked streaming

  /** Runs {@code body} with 1 MiB file mappings, so loads cross many mapping boundaries. */
  private static void withSmallMappings(IoBody body) throws IOException {
    TensorStreams.mapBytes = 1 << 20;
    try {
      body.run();
    } finally {
      TensorStreams.mapBytes = TensorStreams.MAP_BYTES;
    }
  }

  private interface IoBody {
    void run() throws IOException;
  }

  @Test
  void tensorsSpanningSeveralChunksRoundTripExactly() throws IOException {
    withSmallMappings(this::roundTripLargeTensors);
  }

  private void roundTripLargeTensors() throws IOException {
    int n = TensorStreams.CHUNK_BYTES / 4 + 12345; // two save chunks of float32, 17 mappings
    Tensor f32 = Tensor.rand(n);
    Tensor f64 = Tensor.rand(n / 2 + 7).to(DType.FLOAT64);
    Tensor i64 = Tensor.arange(TensorStreams.CHUNK_BYTES / 8 + 3).to(DType.INT64);
    Tensor flags = f32.gt(0.5);
    LinkedHashMap<String, Tensor> in = new LinkedHashMap<>();
    in.put("f32", f32);
    in.put("f64", f64);
    in.put("i64", i64);
    in.put("flags", flags);
    in.put("strided", f32.narrow(0, 0, n / 5 * 5).view(n / 5, 5).t()); // saved by value
    Path f = dir.resolve("big.safetensors");
    Safetensors.save(in, f);
    Map<String, Tensor> out = Safetensors.load(f);
    for (Map.Entry<String, Tensor> e : in.entrySet()) {
      Tensor a = e.getValue();
      Tensor b = out.get(e.getKey());
      assertEquals(a.shape(), b.shape(), e.getKey());
      assertEquals(a.dtype(), b.dtype(), e.getKey());
      assertEquals(a.hostBytes(a.dtype()), b.hostBytes(b.dtype()), e.getKey() + " bytes");
    }
  }

  @Test
  void aBadBoolByteInALaterChunkNamesItsElement() throws IOException {
    withSmallMappings(this::badBoolInALaterMapping);
  }

  private void badBoolInALaterMapping() throws IOException {
    int n = TensorStreams.CHUNK_BYTES + 100;
    String header = "{\"b\":{\"dtype\":\"BOOL\",\"shape\":[" + n + "],\"data_offsets\":[0," + n + "]}}";
    byte[] h = header.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + n).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    b.put(8 + h.length + TensorStreams.CHUNK_BYTES + 17, (byte) 2);
    Path f = dir.resolve("bool.safetensors");
    Files.write(f, b.array());
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.load(f));
    assertTrue(e.getMessage().contains("BOOL element " + (TensorStreams.CHUNK_BYTES + 17) + " is byte 2"),
        e.getMessage());
  }

  @Test
  void aTensorTooLargeForTheBackendNamesTheFileAndTheTensor() throws IOException {
    // 600 M float32 elements (2.4 GB) in a sparse file: valid safetensors, past the CPU backend's
    // 2 GiB per-tensor limit.
    long n = 600_000_000L;
    String header = "{\"huge\":{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[0," + 4 * n
        + "]}}";
    byte[] h = header.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Path f = dir.resolve("huge.safetensors");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(h.length).put(h).flip();
      ch.write(b);
      ch.write(ByteBuffer.wrap(new byte[1]), 8 + h.length + 4 * n - 1); // extends the file sparsely
    }
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.load(f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("tensor 'huge' [600000000] F32"),
        e.getMessage());
  }
}
