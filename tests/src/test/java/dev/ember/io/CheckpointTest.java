package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Generator;
import dev.ember.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path dir;

  @Test
  void bundlesSectionsScalarsAndGeneratorsInOneSafetensorsFile() throws IOException {
    LinkedHashMap<String, Tensor> model = new LinkedHashMap<>();
    model.put("fc1.weight", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
    model.put("bn.num_batches_tracked", Tensor.scalar(3, DType.INT64));
    Map<String, Tensor> optim = Map.of("state.0.momentum_buffer", Tensor.of(new double[] {0.5, -0.5}));
    Generator g = new Generator(1234);
    g.reserve(77);
    Path f = dir.resolve("ckpt.safetensors");
    Checkpoint.create()
        .putTensors("model", model)
        .putTensors("optim", optim)
        .putScalars("optim", Map.of("param_groups.0.lr", "0.1", "param_groups.0.momentum", "0.9"))
        .putScalars("sched", Map.of("last_epoch", "4"))
        .put("epoch", 5)
        .put("best_accuracy", 0.9871234567891)
        .put("finished", false)
        .put("run", "mnist-cnn")
        .putGenerator("global", g)
        .save(f);

    Checkpoint c = Checkpoint.load(f);
    assertEquals(List.of("model", "optim", "sched", "generator"), c.sections());
    assertEquals(List.of("fc1.weight", "bn.num_batches_tracked"), List.copyOf(c.tensors("model").keySet()));
    assertArrayEquals(new float[] {1, 2, 3, 4}, c.tensors("model").get("fc1.weight").toFloatArray());
    assertEquals(DType.INT64, c.tensors("model").get("bn.num_batches_tracked").dtype());
    assertArrayEquals(new double[] {0.5, -0.5},
        c.tensors("optim").get("state.0.momentum_buffer").toDoubleArray());
    assertEquals(Map.of("param_groups.0.lr", "0.1", "param_groups.0.momentum", "0.9"), c.scalars("optim"));
    assertEquals(Map.of("last_epoch", "4"), c.scalars("sched"));
    assertTrue(c.tensors("sched").isEmpty());
    assertEquals(5, c.getLong("epoch"));
    assertEquals(0.9871234567891, c.getDouble("best_accuracy"));
    assertFalse(c.getBoolean("finished"));
    assertEquals("mnist-cnn", c.get("run"));
    Generator restored = new Generator(0);
    c.restoreGenerator("global", restored);
    assertEquals(1234, restored.seed());
    assertEquals(77, restored.offset());

    // It is plain safetensors: PyTorch sees prefixed keys and string metadata.
    Safetensors.Contents raw = Safetensors.read(f);
    assertEquals(List.of("model.fc1.weight", "model.bn.num_batches_tracked", "optim.state.0.momentum_buffer"),
        List.copyOf(raw.tensors().keySet()));
    assertEquals("5", raw.metadata().get("epoch"));
    assertEquals("0.1", raw.metadata().get("optim.param_groups.0.lr"));
    assertEquals("1", raw.metadata().get("ember.checkpoint"));
  }

  @Test
  void rejectsBadNamesAndMissingValues() throws IOException {
    Checkpoint c = Checkpoint.create();
    assertThrows(IllegalArgumentException.class, () -> c.putTensors("a.b", Map.of()));
    assertThrows(IllegalArgumentException.class, () -> c.putTensors("ember", Map.of()));
    assertThrows(IllegalArgumentException.class, () -> c.putScalars("", Map.of()));
    assertThrows(IllegalArgumentException.class, () -> c.put("a.b", 1));
    assertThrows(IllegalArgumentException.class, () -> c.getLong("missing"));
    c.put("s", "x");
    assertThrows(IllegalArgumentException.class, () -> c.getLong("s"));
    assertThrows(IllegalArgumentException.class, () -> c.restoreGenerator("none", new Generator(1)));
  }

  @Test
  void aPlainSafetensorsFileIsNotACheckpoint() throws IOException {
    Path f = dir.resolve("plain.safetensors");
    Safetensors.save(Map.of("w", Tensor.ones(2)), f);
    SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.load(f));
    assertTrue(e.getMessage().contains("not an Ember checkpoint"), e.getMessage());
    Safetensors.save(Map.of("other.w", Tensor.ones(2)), f,
        Map.of("ember.checkpoint", "1", "ember.sections", "[\"model\"]"));
    e = assertThrows(SafetensorsException.class, () -> Checkpoint.load(f));
    assertTrue(e.getMessage().contains("not under a listed section"), e.getMessage());
    Safetensors.save(Map.of(), f, Map.of("ember.checkpoint", "2", "ember.sections", "[]"));
    e = assertThrows(SafetensorsException.class, () -> Checkpoint.load(f));
    assertTrue(e.getMessage().contains("version 2"), e.getMessage());
  }
}
