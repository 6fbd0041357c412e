package dev.ember.examples;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.optim.AdamW;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ./ember gpt --text FILE}: trains a small character-level GPT on a text file the user names
 * and prints samples from it.
 */
final class CharGpt {
  static final Set<String> OPTIONS = Set.of("text", "steps", "batch-size", "context", "layers", "heads", "embd",
      "lr", "device", "seed", "sample");
  static final Set<String> FLAGS = Set.of("help");

  private CharGpt() {}

  static String usage() {
    return """
        usage: ./ember gpt --text FILE [options]
          --steps N        training steps (default 500)
          --batch-size N   sequences per step (default 16)
          --context N      characters of context (default 64)
          --layers N --heads N --embd N   model size (default 4, 4, 128)
          --lr X           AdamW learning rate (default 0.003)
          --device D       cpu or cuda (default cpu)
          --sample N       characters to generate at the end (default 300)
        """;
  }

  /** Trains and samples; returns the final training loss. */
  static double run(String[] args, PrintStream out) throws IOException {
    Cli cli = new Cli(args, OPTIONS, FLAGS);
    if (cli.flag("help") || cli.get("text", null) == null) {
      out.print(usage());
      return Double.NaN;
    }
    // Every option is checked before the text is read.
    int context = cli.getInt("context", 64, 1);
    long seed = cli.getLong("seed", 1);
    int layers = cli.getInt("layers", 4, 1);
    int heads = cli.getInt("heads", 4, 1);
    int embd = cli.getInt("embd", 128, 1);
    double lr = cli.getPositive("lr", 3e-3);
    int steps = cli.getInt("steps", 500, 1);
    int batch = cli.getInt("batch-size", 16, 1);
    int sampleLength = cli.getInt("sample", 300, 0);
    Device device = Device.parse(cli.get("device", "cpu"));
    String text = Files.readString(Path.of(cli.get("text", null)), StandardCharsets.UTF_8);
    TreeSet<Character> chars = new TreeSet<>();
    for (char c : text.toCharArray()) {
      chars.add(c);
    }
    char[] vocab = new char[chars.size()];
    int[] ids = new int[65536];
    int v = 0;
    for (char c : chars) {
      ids[c] = v;
      vocab[v++] = c;
    }
    if (text.length() < context + 2) {
      throw new IllegalArgumentException("the text has " + text.length() + " characters; need more than "
          + (context + 1));
    }
    long[] encoded = new long[text.length()];
    for (int i = 0; i < encoded.length; i++) {
      encoded[i] = ids[text.charAt(i)];
    }
    Tensor data = Tensor.of(encoded);
    Tensor.manualSeed(seed);
    TinyGpt model = new TinyGpt(vocab.length, context, layers, heads, embd);
    model.to(device);
    AdamW optimizer = new AdamW(model.parameters(), lr);
    Generator g = new Generator(seed);
    out.printf(Locale.ROOT, "text: %d characters, vocabulary %d; model: %d parameters%n", text.length(),
        vocab.length, model.parameters().stream().mapToLong(Tensor::numel).sum());
    double last = Double.NaN;
    long start = System.nanoTime();
    for (int step = 1; step <= steps; step++) {
      try (TensorScope scope = TensorScope.open()) {
        Tensor starts = Tensor.randint(0, text.length() - context - 1, Shape.of(batch, 1), Device.CPU, g);
        Tensor offsets = starts.add(Tensor.arange(context + 1).reshape(1, -1));
        Tensor window = data.index(offsets);
        Tensor x = window.narrow(1, 0, context).to(device);
        Tensor y = window.narrow(1, 1, context).to(device);
        Tensor loss = model.call(x, y).get(1);          // minGPT: logits, loss = model(idx, targets)
        optimizer.zeroGrad();
        loss.backward();
        optimizer.step();
        last = loss.item();
      }
      if (step == 1 || step % 50 == 0 || step == steps) {
        out.printf(Locale.ROOT, "step %d/%d loss %.4f (%.1fs)%n", step, steps, last, (System.nanoTime() - start) / 1e9);
      }
    }
    out.println("--- sample ---");
    out.println(sample(model, vocab, ids, text.substring(0, Math.min(8, text.length())), sampleLength,
        device, g));
    return last;
  }

  /** Generates {@code count} characters after {@code prompt}, sampling from the softmax. */
  static String sample(TinyGpt model, char[] vocab, int[] ids, String prompt, int count, Device device,
      Generator g) {
    model.eval();
    StringBuilder sb = new StringBuilder(prompt);
    try (GradMode off = GradMode.noGrad()) {
      for (int i = 0; i < count; i++) {
        int from = Math.max(0, sb.length() - model.context());
        long[] window = new long[sb.length() - from];
        for (int j = 0; j < window.length; j++) {
          window[j] = ids[sb.charAt(from + j)];
        }
        Tensor logits = model.call(Tensor.of(window).reshape(1, -1).to(device));
        Tensor probs = logits.select(1, -1).softmax(-1).reshape(-1).to(DType.FLOAT64);
        double u = Tensor.rand(Shape.of(1), DType.FLOAT64, Device.CPU, g).item();
        double[] p = probs.toDoubleArray();
        int pick = p.length - 1;
        for (int k = 0; k < p.length; k++) {
          u -= p[k];
          if (u < 0) {
            pick = k;
            break;
          }
        }
        sb.append(vocab[pick]);
      }
    }
    model.train();
    return sb.toString();
  }
}
