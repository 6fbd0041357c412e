package dev.ember.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.data.DataLoader;
import dev.ember.data.TensorDataset;
import dev.ember.nn.Dropout;
import dev.ember.nn.Linear;
import dev.ember.nn.MSELoss;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.optim.SGD;
import dev.ember.optim.lr.StepLR;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training interrupted at an epoch boundary and resumed from a checkpoint ends bit-for-bit where an
 * uninterrupted run does: model, SGD momentum buffers, the LR schedule, the data order and the
 * dropout generator are all restored.
 */
class CheckpointResumeTest {
  @TempDir Path dir;

  private static final int EPOCHS = 4;
  private static final int SAVE_AFTER = 1;

  /** Everything one training run owns. */
  private static final class Run {
    final Generator dropoutGen;
    final Sequential model;
    final SGD optimizer;
    final StepLR scheduler;
    final DataLoader<Tensor[]> loader;

    Run(long initSeed, TensorDataset data) {
      dropoutGen = new Generator(initSeed + 7);
      model = new Sequential(new Linear(4, 8, true, new Generator(initSeed)), new ReLU(),
          new Dropout(0.25, dropoutGen), new Linear(8, 1, true, new Generator(initSeed + 1)));
      optimizer = new SGD(model.parameters(), SGD.options(0.05).withMomentum(0.9));
      scheduler = new StepLR(optimizer, 1, 0.5);
      loader = DataLoader.builder(data).batchSize(8).shuffle(true).seed(11).build();
    }

    void trainEpochs(long from, long to, Path saveTo) throws IOException {
      MSELoss mse = new MSELoss();
      for (long epoch = from; epoch < to; epoch++) {
        loader.setEpoch(epoch);
        for (Tensor[] batch : loader) {
          optimizer.zeroGrad();
          mse.forward(model.forward(batch[0]), batch[1]).backward();
          optimizer.step();
        }
        scheduler.step();
        if (saveTo != null && epoch == SAVE_AFTER) {
          Map<String, Object> sched = scheduler.stateDict();
          Checkpoint.create()
              .putTensors("model", model.stateDict())
              .putTensors("optim", optimizer.stateTensors())
              .putScalars("optim", optimizer.stateScalars())
              .putScalars("sched", Map.of(
                  "last_epoch", sched.get("last_epoch").toString(),
                  "base_lrs", Json.write(toList((double[]) sched.get("base_lrs"))),
                  "_last_lr", Json.write(toList((double[]) sched.get("_last_lr")))))
              .put("epoch", epoch + 1)
              .putGenerator("dropout", dropoutGen)
              .save(saveTo);
        }
      }
    }

    void resumeFrom(Path file) throws IOException {
      Checkpoint c = Checkpoint.load(file);
      model.loadStateDict(c.tensors("model"));
      optimizer.loadStateDict(c.tensors("optim"), c.scalars("optim"));
      Map<String, String> s = c.scalars("sched");
      LinkedHashMap<String, Object> sched = new LinkedHashMap<>();
      sched.put("last_epoch", Integer.parseInt(s.get("last_epoch")));
      sched.put("base_lrs", toDoubles(s.get("base_lrs")));
      sched.put("_last_lr", toDoubles(s.get("_last_lr")));
      scheduler.loadStateDict(sched);
      c.restoreGenerator("dropout", dropoutGen);
      trainEpochs(c.getLong("epoch"), EPOCHS, null);
    }
  }

  private static List<Object> toList(double[] a) {
    List<Object> out = new ArrayList<>();
    for (double d : a) {
      out.add(d);
    }
    return out;
  }

  private static double[] toDoubles(String json) {
    return ((List<?>) Json.parse(json)).stream().mapToDouble(o -> ((Number) o).doubleValue()).toArray();
  }

  private static TensorDataset data() {
    Generator g = new Generator(3);
    Tensor x = Tensor.randn(Shape.of(40, 4), DType.FLOAT32, Device.CPU, g);
    Tensor w = Tensor.of(new float[] {1, -2, 0.5f, 3}, 4, 1);
    Tensor y = x.matmul(w).add(Tensor.randn(Shape.of(40, 1), DType.FLOAT32, Device.CPU, g).mul(0.1));
    return new TensorDataset(x, y);
  }

  @Test
  void resumingFromACheckpointContinuesExactly() throws IOException {
    TensorDataset data = data();
    Path ckpt = dir.resolve("ckpt.safetensors");
    Run full = new Run(100, data);
    full.trainEpochs(0, EPOCHS, ckpt);

    Run resumed = new Run(555, data); // different initial weights, overwritten by the checkpoint
    resumed.resumeFrom(ckpt);

    Map<String, Tensor> a = full.model.stateDict();
    Map<String, Tensor> b = resumed.model.stateDict();
    assertEquals(a.keySet(), b.keySet());
    for (String k : a.keySet()) {
      assertEquals(a.get(k).hostBytes(DType.FLOAT32), b.get(k).hostBytes(DType.FLOAT32), k);
    }
    assertEquals(full.optimizer.stateScalars(), resumed.optimizer.stateScalars());
    assertEquals(full.dropoutGen.offset(), resumed.dropoutGen.offset());

    // And the checkpoint mattered: training from scratch without it ends elsewhere.
    Run fresh = new Run(555, data);
    fresh.trainEpochs(SAVE_AFTER + 1, EPOCHS, null);
    assertNotEquals(a.get("0.weight").hostBytes(DType.FLOAT32),
        fresh.model.stateDict().get("0.weight").hostBytes(DType.FLOAT32));
    full.loader.close();
    resumed.loader.close();
    fresh.loader.close();
  }
}
