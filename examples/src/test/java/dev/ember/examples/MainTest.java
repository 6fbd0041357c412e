package dev.ember.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Tensor;
import dev.ember.io.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./ember} in-process: bad arguments and unreadable or unwritable files give exit status 2
 * and one line naming the option or the path, before anything is trained or written.
 */
class MainTest {
  @TempDir Path tmp;

  /** What one run printed and returned. */
  private record Outcome(int status, String out, String err) {}

  private static Outcome ember(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Asserts status 2 and a single "ember: ..." line holding every part. */
  private static void assertUsageError(Outcome o, String... parts) {
    assertEquals(2, o.status(), o.err());
    String line = o.err().strip();
    assertTrue(line.startsWith("ember: ") && !line.contains("\n"), "one line: " + o.err());
    for (String p : parts) {
      assertTrue(line.contains(p), "'" + p + "' in: " + line);
    }
  }

  private String out(String name) {
    return tmp.resolve(name).toString();
  }

  @Test
  void nonPositiveEpochsAreRejectedAndNoCheckpointIsClaimed() {
    for (String epochs : new String[] {"0", "-1"}) {
      Outcome o = ember("train", "--epochs", epochs, "--out", out("e" + epochs));
      assertUsageError(o, "--epochs", "'" + epochs + "'");
      assertFalse(o.out().contains("checkpoint:"), o.out());
      assertFalse(Files.exists(tmp.resolve("e" + epochs)), "nothing is written");
    }
    assertUsageError(ember("train", "--batch-size", "0"), "--batch-size");
    assertUsageError(ember("train", "--epochs", "99999999999"), "--epochs", "99999999999");
  }

  @Test
  void badNumbersNameTheOption() {
    assertUsageError(ember("train", "--lr", "abc"), "--lr", "'abc'");
    assertUsageError(ember("train", "--lr", "-0.1"), "--lr", "positive");
    assertUsageError(ember("train", "--lr", "NaN"), "--lr");
    assertUsageError(ember("train", "--epochs", "two"), "--epochs", "'two'");
    assertUsageError(ember("train", "--seed", "1.5"), "--seed", "'1.5'");
    assertUsageError(ember("gpt", "--text", out("t"), "--steps", "x"), "--steps", "'x'");
  }

  @Test
  void seedsTakeTheWholeLongRange() {
    Cli cli = new Cli(new String[] {"--seed", "9223372036854775807"}, TrainCnn.OPTIONS, TrainCnn.FLAGS);
    assertEquals(Long.MAX_VALUE, cli.getLong("seed", 1));
    Outcome o = ember("train", "--seed", "4294967296", "--epochs", "1", "--train-size", "32", "--test-size", "32",
        "--batch-size", "32", "--out", out("seeded"));
    assertEquals(0, o.status(), o.err());
    assertTrue(Files.exists(tmp.resolve("seeded/checkpoint.safetensors")));
    assertTrue(o.out().contains("checkpoint: " + tmp.resolve("seeded/checkpoint.safetensors")), o.out());
  }

  @Test
  void fileProblemsAreOneLineNamingThePath() throws Exception {
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    assertUsageError(ember("train", "--resume", "--out", empty.toString()), "--resume",
        empty.resolve("checkpoint.safetensors").toString());

    Path missing = tmp.resolve("no-such-mnist");
    assertUsageError(ember("train", "--data", "mnist:" + missing, "--out", out("m")), "--data", missing.toString());
    assertUsageError(ember("train", "--data", "mnist:" + empty, "--out", out("m")),
        empty.resolve("t10k-images-idx3-ubyte.gz").toString(), "no such file");

    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertUsageError(ember("train", "--out", file.toString()), "--out", file.toString(), "not a directory");

    assertUsageError(ember("gpt", "--text", out("no-text.txt")), out("no-text.txt"), "no such file");

    Path notCkpt = Files.createDirectory(tmp.resolve("bad-ckpt"));
    Files.writeString(notCkpt.resolve("checkpoint.safetensors"), "not safetensors");
    assertUsageError(ember("train", "--resume", "--out", notCkpt.toString()),
        notCkpt.resolve("checkpoint.safetensors").toString());
  }

  @Test
  void aCheckpointMissingScalarsOrWithMismatchedStateIsNamed() throws Exception {
    Path run = Files.createDirectory(tmp.resolve("run"));
    Path ckpt = run.resolve("checkpoint.safetensors");
    // The model and optimizer of the right shapes, without "seed" and "epoch".
    dev.ember.nn.Module model = TrainCnn.model();
    dev.ember.optim.Adam adam = new dev.ember.optim.Adam(model.parameters(), 1e-3);
    Checkpoint.create().putTensors("model", model.stateDict()).putTensors("optim", adam.stateTensors())
        .putScalars("optim", adam.stateScalars()).save(ckpt);
    Outcome o = ember("train", "--resume", "--out", run.toString(), "--train-size", "32", "--test-size", "32");
    assertUsageError(o, ckpt.toString(), "no scalar 'seed'");
    assertFalse(o.err().contains("Cannot parse null"), o.err());

    // Optimizer state of the wrong shape for the first parameter.
    Checkpoint.create().putTensors("model", model.stateDict())
        .putTensors("optim", Map.of("state.0.exp_avg", Tensor.zeros(3, 3), "state.0.exp_avg_sq", Tensor.zeros(3, 3)))
        .putScalars("optim", Map.of("state.0.step", "1.0"))
        .putScalars("optim", stripState(adam.stateScalars()))
        .put("seed", 1).put("epoch", 1).put("history", "").put("curve", "").save(ckpt);
    o = ember("train", "--resume", "--out", run.toString(), "--train-size", "32", "--test-size", "32");
    assertUsageError(o, ckpt.toString(), "parameter 0", "[3, 3]", "[16, 1, 3, 3]");
  }

  private static Map<String, String> stripState(Map<String, String> scalars) {
    Map<String, String> groups = new java.util.LinkedHashMap<>();
    scalars.forEach((k, v) -> {
      if (k.startsWith("param_groups.")) {
        groups.put(k, v);
      }
    });
    return groups;
  }
}
