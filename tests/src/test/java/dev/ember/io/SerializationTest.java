package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import dev.ember.nn.Linear;
import dev.ember.optim.Adam;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** torch.save / torch.load of nested containers: round trips, streams, atomicity, and corrupt input. */
class SerializationTest {
  @TempDir
  Path dir;

  private static Map<String, Object> nested() {
    LinkedHashMap<String, Object> inner = new LinkedHashMap<>();
    inner.put("scalar", Tensor.of(new double[] {3.5}).reshape());
    inner.put("empty", Tensor.zeros(0, 3));
    inner.put("none", null);
    LinkedHashMap<Object, Object> byIndex = new LinkedHashMap<>();
    byIndex.put(0, "zero");
    byIndex.put(7L, List.of());
    LinkedHashMap<String, Object> obj = new LinkedHashMap<>();
    obj.put("weights", List.of(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), Tensor.of(new long[] {5, -6})));
    obj.put("inner", inner);
    obj.put("byIndex", byIndex);
    obj.put("emptyList", new ArrayList<>());
    obj.put("emptyMap", Map.of());
    obj.put("flags", Tensor.of(new boolean[] {true, false}));
    obj.put("i", 42);
    obj.put("l", Long.MIN_VALUE);
    obj.put("d", 0.1);
    obj.put("nan", Double.NaN);
    obj.put("f", 1.5f);
    obj.put("b", true);
    obj.put("s", "naïve \"quoted\" ✓");
    obj.put("betas", new double[] {0.9, 0.999});
    obj.put("ids", new int[] {1, 2});
    return obj;
  }

  @SuppressWarnings("unchecked")
  private static void assertNested(Object loaded) {
    Map<String, Object> m = (Map<String, Object>) loaded;
    assertEquals(List.of("weights", "inner", "byIndex", "emptyList", "emptyMap", "flags", "i", "l", "d", "nan", "f",
        "b", "s", "betas", "ids"), List.copyOf(m.keySet()), "keys keep their order");
    List<Tensor> w = (List<Tensor>) m.get("weights");
    assertEquals(DType.FLOAT32, w.get(0).dtype());
    assertArrayEquals(new int[] {2, 2}, w.get(0).shapeArray());
    assertArrayEquals(new double[] {1, 2, 3, 4}, w.get(0).toDoubleArray());
    assertEquals(DType.INT64, w.get(1).dtype());
    assertArrayEquals(new double[] {5, -6}, w.get(1).toDoubleArray());
    Map<String, Object> inner = (Map<String, Object>) m.get("inner");
    Tensor scalar = (Tensor) inner.get("scalar");
    assertEquals(0, scalar.dim());
    assertEquals(3.5, scalar.item());
    assertArrayEquals(new int[] {0, 3}, ((Tensor) inner.get("empty")).shapeArray());
    assertTrue(inner.containsKey("none"));
    assertNull(inner.get("none"));
    Map<Object, Object> byIndex = (Map<Object, Object>) m.get("byIndex");
    assertEquals("zero", byIndex.get(0));
    assertEquals(List.of(), byIndex.get(7L));
    assertEquals(List.of(), m.get("emptyList"));
    assertEquals(Map.of(), m.get("emptyMap"));
    assertEquals(DType.BOOL, ((Tensor) m.get("flags")).dtype());
    assertEquals(42, m.get("i"));
    assertEquals(Long.MIN_VALUE, m.get("l"));
    assertEquals(0.1, m.get("d"));
    assertTrue(((Double) m.get("nan")).isNaN());
    assertEquals(1.5f, m.get("f"));
    assertEquals(true, m.get("b"));
    assertEquals("naïve \"quoted\" ✓", m.get("s"));
    assertArrayEquals(new double[] {0.9, 0.999}, (double[]) m.get("betas"));
    assertArrayEquals(new int[] {1, 2}, (int[]) m.get("ids"));
  }

  @Test
  void nestedContainersRoundTripThroughAFile() throws IOException {
    Path f = dir.resolve("obj.ember");
    Serialization.save(nested(), f);
    assertNested(Serialization.load(f));
    assertEquals(Serialization.FORMAT, Safetensors.loadMetadata(f).get("ember.format"));
  }

  @Test
  void nestedContainersRoundTripThroughStreams() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Serialization.save(nested(), out);
    assertNested(Serialization.load(new ByteArrayInputStream(out.toByteArray())));
  }

  @Test
  void topLevelValuesAndSharedTensors() throws IOException {
    Path f = dir.resolve("t.ember");
    Tensor t = Tensor.of(new double[] {1, 2});
    Serialization.save(t, f);
    assertArrayEquals(new double[] {1, 2}, ((Tensor) Serialization.load(f)).toDoubleArray());
    Serialization.save(null, f);
    assertNull(Serialization.load(f));
    Serialization.save(List.of(t, t), f);
    List<?> twice = (List<?>) Serialization.load(f);
    assertSame(twice.get(0), twice.get(1), "one tensor saved twice loads as one object");
    assertEquals(1, Safetensors.load(f).size());
  }

  @Test
  @SuppressWarnings("unchecked")
  void modelAndOptimizerStateDictsRoundTrip() throws IOException {
    Linear fc = new Linear(3, 2);
    Adam opt = new Adam(fc.parameters());
    fc.call(Tensor.ones(1, 3)).sum().backward();
    opt.step();
    Path f = dir.resolve("ckpt.ember");
    Serialization.save(Map.of("model", fc.stateDict(), "optim", opt.stateDict(), "epoch", 3), f);
    Map<String, Object> ckpt = (Map<String, Object>) Serialization.load(f);
    Linear fc2 = new Linear(3, 2);
    fc2.loadStateDict((Map<String, Tensor>) (Map<?, ?>) ckpt.get("model"));
    assertArrayEquals(fc.weight().toDoubleArray(), fc2.weight().toDoubleArray());
    Adam opt2 = new Adam(fc2.parameters());
    opt2.loadStateDict((Map<String, Object>) ckpt.get("optim"));
    fc.zeroGrad();
    fc.call(Tensor.ones(1, 3)).sum().backward();
    fc2.call(Tensor.ones(1, 3)).sum().backward();
    opt.step();
    opt2.step();
    assertArrayEquals(fc.weight().toDoubleArray(), fc2.weight().toDoubleArray(), 0,
        "the restored optimizer takes the same next step");
    assertEquals(3, ckpt.get("epoch"));
  }

  @Test
  void unsupportedValuesNameTheirPath() {
    Path f = dir.resolve("bad.ember");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Serialization.save(Map.of("a", List.of(1, new Object())), f));
    assertTrue(e.getMessage().contains("[\"a\"][1]") && e.getMessage().contains("java.lang.Object"), e.getMessage());
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> Serialization.save(Map.of(1.5, 1), f));
    assertTrue(key.getMessage().contains("keys must be String, Integer or Long"), key.getMessage());
    Object deep = 1;
    for (int i = 0; i <= Serialization.MAX_NESTING; i++) {
      deep = List.of(deep);
    }
    Object tooDeep = deep;
    assertThrows(IllegalArgumentException.class, () -> Serialization.save(tooDeep, f));
    assertTrue(Files.notExists(f), "nothing is written when the object cannot be saved");
  }

  @Test
  void aFailedSaveLeavesThePreviousFileWhole() throws IOException {
    Path f = dir.resolve("keep.ember");
    Serialization.save(List.of(1, 2), f);
    byte[] before = Files.readAllBytes(f);
    assertThrows(IllegalArgumentException.class, () -> Serialization.save(List.of(new Object()), f));
    assertArrayEquals(before, Files.readAllBytes(f));
  }

  /** Writes a safetensors file whose metadata is {@code metadata}, with one float64 tensor "0". */
  private Path withMetadata(Map<String, String> metadata) throws IOException {
    Path f = dir.resolve("crafted.ember");
    Safetensors.save(Map.of("0", Tensor.of(new double[] {1})), f, metadata);
    return f;
  }

  @Test
  void corruptOrForeignFilesRaiseClearErrors() throws IOException {
    Path plain = dir.resolve("plain.safetensors");
    Safetensors.save(Map.of("w", Tensor.zeros(2)), plain);
    SerializationException notOurs = assertThrows(SerializationException.class, () -> Serialization.load(plain));
    assertTrue(notOurs.getMessage().contains("not an Ember save file") && notOurs.getMessage().contains(plain.toString()),
        notOurs.getMessage());

    Path truncated = dir.resolve("trunc.ember");
    Serialization.save(List.of(Tensor.zeros(100)), truncated);
    byte[] bytes = Files.readAllBytes(truncated);
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    assertThrows(SafetensorsException.class, () -> Serialization.load(truncated));
    SerializationException stream = assertThrows(SerializationException.class,
        () -> Serialization.load(new ByteArrayInputStream(java.util.Arrays.copyOf(bytes, bytes.length - 10))));
    assertTrue(stream.getMessage().contains("<stream>"), stream.getMessage());
    assertThrows(SerializationException.class,
        () -> Serialization.load(new ByteArrayInputStream("not a file".getBytes(StandardCharsets.UTF_8))));

    String fmt = Serialization.FORMAT;
    assertMessage(withMetadata(Map.of("ember.format", "ember.save/99", "ember.object", "null")), "unsupported format");
    assertMessage(withMetadata(Map.of("ember.format", fmt)), "'ember.object' metadata entry is missing");
    assertMessage(withMetadata(Map.of("ember.format", fmt, "ember.object", "{\"list\": [")), "not valid JSON");
    assertMessage(withMetadata(Map.of("ember.format", fmt, "ember.object", "{\"pickle\": \"os.system\"}")),
        "unknown type tag 'pickle'");
    assertMessage(withMetadata(Map.of("ember.format", fmt, "ember.object", "{\"tensor\": \"9\"}")),
        "refers to tensor '9'");
    assertMessage(withMetadata(Map.of("ember.format", fmt, "ember.object", "{\"int\": \"x\"}")), "malformed number");
    assertMessage(withMetadata(Map.of("ember.format", fmt, "ember.object", "{\"list\": [{\"str\": 5}]}")),
        "the value at [0]");
    assertMessage(withMetadata(Map.of("ember.format", fmt, "ember.object", "null")), "not referenced");
    assertMessage(withMetadata(Map.of("ember.format", fmt, "ember.object",
        "{\"map\": [[{\"str\": \"k\"}, {\"tensor\": \"0\"}], [{\"str\": \"k\"}, null]]}")), "appears twice");
  }

  private static void assertMessage(Path f, String expected) {
    SerializationException e = assertThrows(SerializationException.class, () -> Serialization.load(f));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertInstanceOf(IOException.class, e);
  }
}
