package dev.ember.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the command-line examples at toy sizes: outputs appear, resuming equals not stopping. */
class ExamplesTest {
  private static final String[] TINY = {"--train-size", "384", "--test-size", "128", "--batch-size", "32",
      "--seed", "7"};

  private static String[] args(Path out, int epochs, boolean resume) {
    String[] base = {"--epochs", Integer.toString(epochs), "--out", out.toString()};
    String[] all = new String[base.length + TINY.length + (resume ? 1 : 0)];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(TINY, 0, all, base.length, TINY.length);
    if (resume) {
      all[all.length - 1] = "--resume";
    }
    return all;
  }

  @Test
  void trainWritesChartMetricsAndCheckpointAndResumesExactly(@TempDir Path tmp) throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    TrainCnn.Result straight = TrainCnn.run(args(tmp.resolve("a"), 2, false), quiet);
    assertTrue(Files.size(tmp.resolve("a/curves.png")) > 1000);
    assertTrue(Files.readString(tmp.resolve("a/metrics.csv")).startsWith("epoch,train_loss"));
    assertTrue(Files.exists(tmp.resolve("a/checkpoint.safetensors")));
    assertEquals(2, straight.epochs().size());

    TrainCnn.run(args(tmp.resolve("b"), 1, false), quiet);
    TrainCnn.Result resumed = TrainCnn.run(args(tmp.resolve("b"), 2, true), quiet);
    assertEquals(2, resumed.epochs().size());
    for (int e = 0; e < 2; e++) {
      assertArrayEquals(straight.epochs().get(e), resumed.epochs().get(e), 0.0,
          "epoch " + (e + 1) + " differs after resuming");
    }
  }

  @Test
  void gptLearnsARepetitiveText(@TempDir Path tmp) throws Exception {
    Path text = tmp.resolve("text.txt");
    Files.writeString(text, "abcabcabd ".repeat(60));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    double loss = CharGpt.run(new String[] {"--text", text.toString(), "--steps", "60", "--context", "16",
        "--layers", "1", "--heads", "2", "--embd", "32", "--batch-size", "8", "--sample", "20"},
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    // Uniform guessing over 5 symbols costs ln 5 = 1.61; the text is nearly deterministic.
    assertTrue(loss < 1.0, "final loss " + loss + "\n" + bytes);
    assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("--- sample ---"));
  }

  @Test
  void tinyGptReturnsLogitsAndLossLikeMinGpt() {
    dev.ember.Tensor.manualSeed(3);
    TinyGpt model = new TinyGpt(7, 8, 1, 2, 16);
    dev.ember.Tensor idx = dev.ember.Tensor.of(new long[] {1, 2, 3, 4, 5, 6}, 2, 3);
    dev.ember.Tensor targets = dev.ember.Tensor.of(new long[] {2, 3, 4, 5, 6, 0}, 2, 3);
    dev.ember.nn.Outputs out = model.call(idx, targets);
    dev.ember.Tensor logits = model.call(idx);
    assertArrayEquals(logits.toDoubleArray(), out.get(0).toDoubleArray(), 0);
    double expected = logits.reshape(-1, 7).crossEntropy(targets.reshape(-1)).item();
    assertEquals(expected, out.get(1).item(), 0);
    assertEquals(null, model.call(idx, null).get(1));
  }
}
