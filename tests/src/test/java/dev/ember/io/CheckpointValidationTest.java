package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.nn.Linear;
import dev.ember.optim.Adam;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint whose optimizer state does not fit the parameters fails on load, naming both shapes. */
class CheckpointValidationTest {
  @TempDir Path dir;

  @Test
  void wrongShapeOptimizerStateFailsOnLoadNamingTheParameterAndBothShapes() throws IOException {
    Linear saved = new Linear(3, 2, true, new Generator(1));
    Adam savedOpt = new Adam(saved.parameters(), 0.01);
    saved.call(Tensor.ones(4, 3)).sum().backward();
    savedOpt.step();
    Path f = dir.resolve("ckpt.safetensors");
    Checkpoint.create().putTensors("optim", savedOpt.stateTensors())
        .putScalars("optim", savedOpt.stateScalars()).save(f);

    // Same number of parameters, transposed shapes: [3, 2] weight and [3] bias instead of [2, 3], [2].
    Linear other = new Linear(2, 3, true, new Generator(2));
    Adam opt = new Adam(other.parameters(), 0.5);
    Checkpoint c = Checkpoint.load(f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> opt.loadStateDict(c.tensors("optim"), c.scalars("optim")));
    assertTrue(e.getMessage().contains("of parameter 0 has shape [2, 3], but the parameter has shape [3, 2]"),
        e.getMessage());
    assertEquals("0.5", opt.stateScalars().get("param_groups.0.lr"), "a failed load changes nothing");
    // The optimizer still works: nothing half-loaded.
    other.call(Tensor.ones(1, 2)).sum().backward();
    opt.step();

    // A state entry for a parameter the optimizer does not have.
    LinkedHashMap<String, Tensor> extra = new LinkedHashMap<>(c.tensors("optim"));
    extra.put("state.5.exp_avg", Tensor.zeros(2, 3));
    Adam same = new Adam(new Linear(3, 2, true, new Generator(3)).parameters(), 0.01);
    e = assertThrows(IllegalArgumentException.class, () -> same.loadStateDict(extra, c.scalars("optim")));
    assertTrue(e.getMessage().contains("state for parameter 5, but the optimizer has 2 parameters"),
        e.getMessage());

    // The matching optimizer loads it.
    Adam good = new Adam(new Linear(3, 2, true, new Generator(3)).parameters(), 0.01);
    good.loadStateDict(c.tensors("optim"), c.scalars("optim"));
    assertArrayEquals(savedOpt.stateTensors().get("state.0.exp_avg").toFloatArray(),
        good.stateTensors().get("state.0.exp_avg").toFloatArray());
  }

  @Test
  void aMissingScalarIsNamed() throws IOException {
    Path f = dir.resolve("no-epoch.safetensors");
    Checkpoint.create().put("seed", 3).save(f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Checkpoint.load(f).getLong("epoch"));
    assertTrue(e.getMessage().contains("no scalar 'epoch'"), e.getMessage());
  }
}
