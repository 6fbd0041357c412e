package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.ember.DType;
import dev.ember.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  private static LinkedHashMap<String, Tensor> allDtypes() {
    LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
    m.put("f32", Tensor.of(new float[] {1.5f, -2f, Float.NaN, Float.NEGATIVE_INFINITY, 0f, 3e-38f}, 2, 3));
    m.put("f64", Tensor.of(new double[] {Math.PI, -1e300, 4.9e-324}));
    m.put("i64", Tensor.of(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 2, 2));
    m.put("i32", Tensor.of(new int[] {Integer.MIN_VALUE, 7, Integer.MAX_VALUE}));
    m.put("flags", Tensor.of(new boolean[] {true, false, true}));
    m.put("scalar.f32", Tensor.scalar(42.25));
    m.put("scalar.i64", Tensor.scalar(-7, DType.INT64));
    m.put("empty", Tensor.zeros(0, 4));
    m.put("odd.bool", Tensor.of(new boolean[] {true}));
    return m;
  }

  private static void assertSameTensor(String name, Tensor expected, Tensor actual) {
    assertEquals(expected.dtype(), actual.dtype(), name + " dtype");
    assertEquals(expected.shape(), actual.shape(), name + " shape");
    ByteBuffer e = expected.hostBytes(expected.dtype());
    ByteBuffer a = actual.hostBytes(actual.dtype());
    assertEquals(e, a, name + " bytes");
  }

  @Test
  void roundTripsEveryDtypeIncludingZeroDimAndEmpty() throws IOException {
    Path f = dir.resolve("all.safetensors");
    LinkedHashMap<String, Tensor> in = allDtypes();
    Safetensors.save(in, f, Map.of("format", "pt", "note", "üñí \"quoted\" \n"));
    Safetensors.Contents c = Safetensors.read(f);
    assertEquals(List.copyOf(in.keySet()), List.copyOf(c.tensors().keySet()), "header order kept");
    for (String k : in.keySet()) {
      assertSameTensor(k, in.get(k), c.tensors().get(k));
    }
    assertEquals(Map.of("format", "pt", "note", "üñí \"quoted\" \n"), c.metadata());
    assertEquals(c.metadata(), Safetensors.loadMetadata(f));
    assertEquals(0, c.tensors().get("scalar.i64").dim());
    assertEquals(-7, c.tensors().get("scalar.i64").item());
  }

  @Test
  void writesTheExactLayout() throws IOException {
    Path f = dir.resolve("layout.safetensors");
    LinkedHashMap<String, Tensor> in = new LinkedHashMap<>();
    in.put("b", Tensor.of(new boolean[] {true, false, true}));
    in.put("w", Tensor.of(new float[] {1, 2}));
    in.put("n", Tensor.of(new long[] {5}));
    Safetensors.save(in, f);
    byte[] bytes = Files.readAllBytes(f);
    long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, (8 + n) % 8, "data section is 8-byte aligned");
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    // Header in insertion order; data ordered by element size (8, 4, 1) so each is aligned.
    assertEquals("{\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[16,19]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
        + "\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", header.stripTrailing());
    assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(ch -> ch == ' '));
    ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + n), 19).slice().order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(5L, data.getLong(0));
    assertEquals(1f, data.getFloat(8));
    assertEquals(2f, data.getFloat(12));
    assertEquals(1, data.get(16));
    assertEquals(0, data.get(17));
    assertEquals(1, data.get(18));
    assertEquals(8 + n + 19, bytes.length);
  }

  @Test
  void savesViewsAndNonContiguousTensorsByValue() throws IOException {
    Tensor base = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Path f = dir.resolve("views.safetensors");
    Safetensors.save(Map.of("t", base.t(), "row", base.select(0, 1)), f);
    Map<String, Tensor> out = Safetensors.load(f);
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, out.get("t").toFloatArray());
    assertArrayEquals(new int[] {3, 2}, out.get("t").shapeArray());
    assertArrayEquals(new float[] {4, 5, 6}, out.get("row").toFloatArray());
  }

  @Test
  void rejectsInvalidNames() {
    Path f = dir.resolve("x.safetensors");
    assertThrows(IllegalArgumentException.class,
        () -> Safetensors.save(Map.of("__metadata__", Tensor.ones(1)), f));
    assertThrows(IllegalArgumentException.class, () -> Safetensors.save(Map.of("", Tensor.ones(1)), f));
  }

  // ---------------------------------------------------------------------------- atomic saves

  @Test
  void aFailedSaveLeavesThePreviousFileWholeAndNoTempFiles() throws IOException {
    Path f = dir.resolve("model.safetensors");
    Safetensors.save(Map.of("w", Tensor.of(new float[] {1, 2, 3})), f);
    byte[] before = Files.readAllBytes(f);
    Tensor closed = Tensor.of(new float[] {9, 9});
    closed.close();
    LinkedHashMap<String, Tensor> bad = new LinkedHashMap<>();
    bad.put("a", Tensor.of(new float[] {4, 5, 6}));
    bad.put("closed", closed); // fails while the data is being written
    assertThrows(IllegalStateException.class, () -> Safetensors.save(bad, f));
    assertArrayEquals(before, Files.readAllBytes(f));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(f), files.toList(), "the temporary file is removed");
    }
    Safetensors.save(Map.of("w", Tensor.of(new float[] {7})), f);
    assertArrayEquals(new float[] {7}, Safetensors.load(f).get("w").toFloatArray());
  }

  // ---------------------------------------------------------------------------- validation

  private Path write(String name, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Path f = dir.resolve(name);
    Files.write(f, b.array());
    return f;
  }

  private void assertRejected(String header, byte[] data, String expectedPart) throws IOException {
    Path f = write("crafted.safetensors", header, data);
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.load(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
  }

  @Test
  void rejectsCraftedHeadersWithClearMessages() throws IOException {
    byte[] eight = new byte[8];
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight, "duplicate key");
    assertRejected("{\"a\":{\"dtype\":\"U16\",\"shape\":[4],\"data_offsets\":[0,8]}}", eight,
        "dtype U16 is not supported");
    assertRejected("{\"a\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,8]}}", eight,
        "needs 10 bytes");
    assertRejected("{\"a\":{\"dtype\":\"Q8\",\"shape\":[4],\"data_offsets\":[0,8]}}", eight,
        "unknown dtype 'Q8'");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", eight,
        "needs 12 bytes");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight,
        "shape");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", eight, "overlap");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight, "hole");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", eight,
        "trailing bytes");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", eight,
        "truncated");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", eight,
        "data_offsets");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", eight,
        "unknown field 'x'");
    assertRejected("{\"__metadata__\":{\"k\":1}}", new byte[0], "must be a string");
    assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", eight,
        "invalid JSON");
    assertRejected("[1,2]", new byte[0], "start with '{'");
    assertRejected("{\"a\":{\"dtype\":\"I64\",\"shape\":[4294967296,4294967296],"
        + "\"data_offsets\":[0,8]}}", eight, "shape");
    assertRejected("{\"a\":{\"dtype\":\"I64\",\"shape\":[2147483647,2147483647,4],"
        + "\"data_offsets\":[0,8]}}", eight, "too many");
    assertRejected("{\"a\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}}",
        new byte[] {1, 7}, "not 0 or 1");
  }

  @Test
  void rejectsBadHeaderLengthsAndEncodings() throws IOException {
    Path f = dir.resolve("len.safetensors");
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).putLong(0);
    Files.write(f, b.array());
    assertTrue(assertThrows(SafetensorsException.class, () -> Safetensors.load(f)).getMessage()
        .contains("exceeds the limit"));
    b.clear();
    b.putLong(200_000_000L).putLong(0);
    Files.write(f, b.array());
    assertThrows(SafetensorsException.class, () -> Safetensors.load(f));
    Files.write(f, new byte[] {2, 0, 0});
    assertTrue(assertThrows(SafetensorsException.class, () -> Safetensors.load(f)).getMessage()
        .contains("too short"));
    Path bad = dir.resolve("utf8.safetensors");
    ByteBuffer u = ByteBuffer.allocate(8 + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(8);
    u.put(new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '});
    Files.write(bad, u.array());
    assertTrue(assertThrows(SafetensorsException.class, () -> Safetensors.load(bad)).getMessage()
        .contains("UTF-8"));
  }

  @Test
  void truncatingAtEveryByteGivesACleanException() throws IOException {
    Path f = dir.resolve("full.safetensors");
    LinkedHashMap<String, Tensor> in = allDtypes();
    in.remove("empty"); // a zero-byte tensor last could make a truncation at the very end valid
    Safetensors.save(in, f, Map.of("k", "v"));
    byte[] full = Files.readAllBytes(f);
    Path cut = dir.resolve("cut.safetensors");
    for (int len = 0; len < full.length; len++) {
      Files.write(cut, java.util.Arrays.copyOf(full, len));
      try {
        Safetensors.load(cut);
        fail("a file truncated to " + len + " of " + full.length + " bytes loaded");
      } catch (SafetensorsException e) {
        assertTrue(e.getMessage().startsWith("safetensors: " + cut), e.getMessage());
      } catch (Exception e) {
        throw new AssertionError("truncated to " + len + " bytes: wrong exception " + e, e);
      }
    }
  }

  @Test
  void flippingHeaderBytesGivesACleanExceptionOrAConsistentResult() throws IOException {
    Path f = dir.resolve("full.safetensors");
    LinkedHashMap<String, Tensor> in = allDtypes();
    Safetensors.save(in, f, Map.of("k", "v"));
    byte[] full = Files.readAllBytes(f);
    int headerEnd = 8 + (int) ByteBuffer.wrap(full, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Path flipped = dir.resolve("flipped.safetensors");
    int loaded = 0;
    int rejected = 0;
    int[] masks = {0x01, 0x04, 0x20, 0x80, 0xff};
    for (int pos = 0; pos < headerEnd; pos++) {
      for (int mask : masks) {
        byte[] b = full.clone();
        b[pos] ^= (byte) mask;
        Files.write(flipped, b);
        try {
          LinkedHashMap<String, Tensor> out = Safetensors.load(flipped);
          loaded++;
          long bytes = 0;
          for (Tensor t : out.values()) {
            bytes += t.numel() * t.dtype().byteSize();
            assertEquals(t.numel(), t.hostBytes(t.dtype()).remaining() / t.dtype().byteSize());
          }
          assertEquals(full.length - headerEnd, bytes, "a loaded file accounts for all data");
        } catch (SafetensorsException e) {
          rejected++;
          assertTrue(e.getMessage().startsWith("safetensors: " + flipped), e.getMessage());
        } catch (Exception e) {
          throw new AssertionError("flip 0x" + Integer.toHexString(mask) + " at byte " + pos
              + ": wrong exception " + e, e);
        }
      }
    }
    assertTrue(rejected > loaded, "most flips must be caught: " + rejected + " rejected, " + loaded
        + " loaded");
  }

  // ---------------------------------------------------------------------------- PyTorch files

  private Path resource(String name) throws IOException {
    Path f = dir.resolve(name);
    try (InputStream in = getClass().getResourceAsStream("/interop/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource /interop/" + name);
      }
      Files.copy(in, f);
    }
    return f;
  }

  @Test
  @SuppressWarnings("unchecked")
  void loadsPyTorchWrittenStateDictsMatchingModelsJson() throws IOException {
    String json = Files.readString(resource("models.json"));
    Map<String, Object> models = Json.parseObject(json);
    List<Object> list = (List<Object>) models.get("models");
    assertEquals(2, list.size());
    for (Object o : list) {
      Map<String, Object> model = (Map<String, Object>) o;
      String name = (String) model.get("name");
      Safetensors.Contents c = Safetensors.read(resource(name + ".safetensors"));
      Map<String, Object> keys = (Map<String, Object>) model.get("state_dict_keys");
      assertEquals(keys.keySet(), c.tensors().keySet(), name);
      for (Map.Entry<String, Object> e : keys.entrySet()) {
        List<Object> dims = (List<Object>) e.getValue();
        int[] shape = dims.stream().mapToInt(d -> ((Long) d).intValue()).toArray();
        Tensor t = c.tensors().get(e.getKey());
        assertArrayEquals(shape, t.shapeArray(), name + "." + e.getKey());
        DType expected = e.getKey().endsWith("num_batches_tracked") ? DType.INT64 : DType.FLOAT32;
        assertEquals(expected, t.dtype(), name + "." + e.getKey());
      }
      assertEquals(name, c.metadata().get("model"));
      assertEquals("pt", c.metadata().get("format"));

      Map<String, Tensor> io = Safetensors.load(resource(name + ".io.safetensors"));
      List<Object> inputs = (List<Object>) model.get("inputs");
      int[] in0 = ((List<Object>) inputs.get(0)).stream().mapToInt(d -> ((Long) d).intValue()).toArray();
      assertArrayEquals(in0, io.get("input0").shapeArray());
      int[] out = ((List<Object>) model.get("output")).stream().mapToInt(d -> ((Long) d).intValue())
          .toArray();
      assertArrayEquals(out, io.get("output").shapeArray());
    }
    Tensor tracked = Safetensors.load(dir.resolve("cnn.safetensors")).get("bn1.num_batches_tracked");
    assertEquals(0, tracked.dim());
    assertEquals(3, tracked.item(), "three training batches");
  }

  @Test
  void resavingAPyTorchFileKeepsEveryTensorAndTheMetadata() throws IOException {
    Safetensors.Contents c = Safetensors.read(resource("cnn.safetensors"));
    Path again = dir.resolve("cnn.again.safetensors");
    Safetensors.save(c.tensors(), again, c.metadata());
    Safetensors.Contents d = Safetensors.read(again);
    assertEquals(c.metadata(), d.metadata());
    List<String> names = new ArrayList<>(c.tensors().keySet());
    assertEquals(names, new ArrayList<>(d.tensors().keySet()));
    for (String k : names) {
      assertSameTensor(k, c.tensors().get(k), d.tensors().get(k));
    }
  }
}
