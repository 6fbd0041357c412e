package dev.ember.examples;

import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.data.DataLoader;
import dev.ember.data.Mnist;
import dev.ember.data.SyntheticDigits;
import dev.ember.data.TensorDataset;
import dev.ember.distributed.Distributed;
import dev.ember.distributed.DistributedDataParallel;
import dev.ember.distributed.DistributedSampler;
import dev.ember.distributed.ReduceOp;
import dev.ember.io.Checkpoint;
import dev.ember.nn.Conv2d;
import dev.ember.nn.Flatten;
import dev.ember.nn.Linear;
import dev.ember.nn.MaxPool2d;
import dev.ember.nn.Module;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.optim.Adam;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./ember train}: trains the W3 CNN (conv 1-16, pool, conv 16-32, pool, linear) on the
 * built-in synthetic digits or on MNIST files, with Adam, showing a progress bar per epoch, the test
 * accuracy, a PNG chart of the curves and a checkpoint it can resume from.
 */
public final class TrainCnn {
  static final Set<String> OPTIONS = Set.of("epochs", "batch-size", "lr", "device", "data", "seed", "out",
      "train-size", "test-size");
  static final Set<String> FLAGS = Set.of("resume", "help", "distributed");

  /** What one run produced: per-epoch metrics and the final test accuracy. */
  record Result(List<double[]> epochs, double testAccuracy, double seconds) {}

  private TrainCnn() {}

  static String usage() {
    return """
        usage: ./ember train [options]
          --epochs N          epochs to train (default 3)
          --batch-size N      examples per step (default 64)
          --lr X              Adam learning rate (default 0.001)
          --device D          cpu or cuda[:N] (default cpu)
          --data SRC          builtin (synthetic digits drawn with the JDK's fonts) or mnist:DIR
                              (DIR holds t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz;
                              trains on images 0-7999, tests on 8000-9999) (default builtin)
          --train-size N      builtin training images (default 20000)
          --test-size N       builtin test images (default 4000)
          --seed N            seed for data, initialization and shuffling (default 1)
          --out DIR           where the chart, metrics and checkpoint go (default runs/cnn)
          --resume            continue from DIR/checkpoint.safetensors
          --distributed       data-parallel over the ranks of `mpirun -np N ./ember train ...`: each
                              rank trains on its shard (--batch-size is per rank), rank 0 prints,
                              evaluates and writes the chart and checkpoint (docs/distributed.md)
        """;
  }

  /** Builds the W3 CNN: [N, 1, 28, 28] -> [N, 10] logits. */
  static Module model() {
    return new Sequential(
        new Conv2d(1, 16, 3, 1, 1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3, 1, 1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 10));
  }

  /** Runs the command with its arguments; returns the result. */
  static Result run(String[] args, PrintStream out) throws IOException {
    Cli cli = new Cli(args, OPTIONS, FLAGS);
    if (cli.flag("help")) {
      out.print(usage());
      return null;
    }
    if (!cli.flag("distributed")) {
      return train(cli, out, 0, 1);
    }
    try {
      Distributed.init("mpi");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("--distributed: " + e.getMessage(), e);
    }
    int rank = Distributed.rank();
    PrintStream shown = rank == 0 ? out : new PrintStream(OutputStream.nullOutputStream());
    shown.println(Distributed.info());
    Result result = train(cli, shown, rank, Distributed.worldSize());
    Distributed.destroy();
    return result;
  }

  /**
   * Trains as rank {@code rank} of {@code world} (0 of 1 without {@code --distributed}); only rank 0
   * evaluates and writes files.
   */
  private static Result train(Cli cli, PrintStream out, int rank, int world) throws IOException {
    boolean distributed = cli.flag("distributed");
    // Every argument is checked before anything slow runs or any file is written.
    int epochs = cli.getInt("epochs", 3, 1);
    int batchSize = cli.getInt("batch-size", 64, 1);
    double lr = cli.getPositive("lr", 1e-3);
    long seed = cli.getLong("seed", 1);
    int trainSize = cli.getInt("train-size", 20000, 1);
    int testSize = cli.getInt("test-size", 4000, 1);
    Device device = Device.parse(cli.get("device", "cpu"));
    Tensor.zeros(1).to(device);   // fail now, with the reason, rather than after loading the data
    Path dir = Path.of(cli.get("out", "runs/cnn"));
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--out " + dir + " is a file, not a directory");
    }
    Path checkpointFile = dir.resolve("checkpoint.safetensors");
    boolean resume = cli.flag("resume");
    if (resume && !Files.isRegularFile(checkpointFile)) {
      throw new IllegalArgumentException("--resume: no checkpoint at " + checkpointFile
          + " (train without --resume first)");
    }
    if (rank == 0) {
      Files.createDirectories(dir);
    }

    long t0 = System.nanoTime();
    TensorDataset[] data = loadData(cli.get("data", "builtin"), trainSize, testSize, seed, out);
    out.printf(Locale.ROOT, "data: %d training and %d test images (%.1fs)%n", data[0].size(), data[1].size(),
        (System.nanoTime() - t0) / 1e9);

    Tensor.manualSeed(seed);
    Module model = model().to(device);
    Adam optimizer = new Adam(model.parameters(), lr);
    // Every rank starts from rank 0's weights; gradients are averaged over the ranks in backward.
    Module trained = distributed ? new DistributedDataParallel(model) : model;
    List<double[]> history = new ArrayList<>();
    List<double[]> curve = new ArrayList<>();
    int startEpoch = 0;
    if (resume) {
      Checkpoint ck = Checkpoint.load(checkpointFile);
      try {
        model.loadStateDict(ck.tensors("model"));
        optimizer.loadStateDict(ck.tensors("optim"), ck.scalars("optim"));
        Tensor.manualSeed(ck.getLong("seed"));
        long saved = ck.getLong("epoch");
        if (saved < 0 || saved > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("epoch " + saved + " is out of range");
        }
        startEpoch = (int) saved;
        history = Metrics.parse(ck.get("history"));
        curve = Metrics.parse(ck.get("curve"));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--resume: cannot resume from " + checkpointFile + ": "
            + e.getMessage(), e);
      }
      out.printf("resumed from %s after epoch %d%n", checkpointFile, startEpoch);
      if (startEpoch >= epochs) {
        out.printf("the checkpoint is already at epoch %d of --epochs %d: nothing to train%n", startEpoch,
            epochs);
      }
    }
    DataLoader<Tensor[]> loader = distributed
        ? DataLoader.builder(data[0]).batchSize(batchSize)
            .sampler(new DistributedSampler(data[0].size(), world, rank, true, seed, false)).build()
        : DataLoader.builder(data[0]).batchSize(batchSize).shuffle(true).seed(seed).build();
    long start = System.nanoTime();
    for (int epoch = startEpoch; epoch < epochs; epoch++) {
      model.train();
      ProgressBar bar = new ProgressBar(out, String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, epochs),
          loader.size());
      double lossSum = 0;
      long correct = 0;
      long seen = 0;
      int step = 0;
      int every = Math.max(1, loader.size() / 25);
      double windowLoss = 0;
      int windowSteps = 0;
      loader.setEpoch(epoch);
      for (Tensor[] batch : loader) {
        double lv;
        long batchCorrect;
        int examples = batch[1].size(0);
        try (TensorScope scope = TensorScope.open()) {
          Tensor x = batch[0].to(device);
          Tensor y = batch[1].to(device);
          Tensor logits = trained.call(x);
          Tensor l = logits.crossEntropy(y);
          optimizer.zeroGrad();
          l.backward();
          optimizer.step();
          lv = l.item();
          try (GradMode off = GradMode.noGrad()) {
            batchCorrect = (long) logits.argmax(1, false).eq(y).sum().item();
          }
        }
        correct += batchCorrect;
        lossSum += lv * examples;
        windowLoss += lv;
        if (++windowSteps == every) {
          curve.add(new double[] {epoch + (step + 1.0) / loader.size(), windowLoss / windowSteps});
          windowLoss = 0;
          windowSteps = 0;
        }
        seen += examples;
        bar.update(++step, lossSum / seen, (double) correct / seen, seen);
      }
      if (distributed) {
        // The epoch's totals over every rank's shard.
        Tensor totals = Tensor.of(new double[] {lossSum, correct, seen});
        Distributed.allReduce(totals, ReduceOp.SUM);
        double[] t = totals.toDoubleArray();
        lossSum = t[0];
        correct = (long) t[1];
        seen = (long) t[2];
      }
      if (rank != 0) {
        continue;
      }
      double testAccuracy = evaluate(model, data[1], device);
      history.add(new double[] {epoch + 1, lossSum / seen, (double) correct / seen, testAccuracy});
      out.printf(Locale.ROOT, "epoch %d: train loss %.4f, train acc %.2f%%, test acc %.2f%%%n", epoch + 1,
          lossSum / seen, 100.0 * correct / seen, 100 * testAccuracy);
      Checkpoint.create()
          .putTensors("model", model.stateDict())
          .putTensors("optim", optimizer.stateTensors())
          .putScalars("optim", optimizer.stateScalars())
          .put("seed", seed)
          .put("epoch", epoch + 1)
          .put("history", Metrics.format(history))
          .put("curve", Metrics.format(curve))
          .save(checkpointFile);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (rank != 0) {
      loader.close();
      return new Result(history, Double.NaN, seconds);
    }
    double finalAccuracy = history.isEmpty() ? evaluate(model, data[1], device) : history.get(history.size() - 1)[3];
    writeChart(dir.resolve("curves.png"), history, curve);
    Files.writeString(dir.resolve("metrics.csv"), Metrics.csv(history));
    out.printf(Locale.ROOT, "final test accuracy: %.2f%% (%d epochs, %.1fs training on %s%s)%n",
        100 * finalAccuracy, epochs, seconds, device, distributed ? " x " + world + " ranks" : "");
    out.printf("chart: %s%ncheckpoint: %s%n", dir.resolve("curves.png"), checkpointFile);
    loader.close();
    return new Result(history, finalAccuracy, seconds);
  }

  /** Returns the accuracy of {@code model} on a data set, in eval mode and without recording. */
  static double evaluate(Module model, TensorDataset test, Device device) {
    model.eval();
    long correct = 0;
    try (GradMode off = GradMode.noGrad(); DataLoader<Tensor[]> loader = DataLoader.of(test, 500)) {
      for (Tensor[] batch : loader) {
        try (TensorScope scope = TensorScope.open()) {
          Tensor logits = model.call(batch[0].to(device));
          correct += (long) logits.argmax(1, false).eq(batch[1].to(device)).sum().item();
        }
      }
    }
    model.train();
    return (double) correct / test.size();
  }

  /** Returns {train, test} data sets for {@code builtin} or {@code mnist:DIR}. */
  static TensorDataset[] loadData(String source, int trainSize, int testSize, long seed, PrintStream out)
      throws IOException {
    if (source.equals("builtin")) {
      return new TensorDataset[] {SyntheticDigits.train(trainSize, seed), SyntheticDigits.test(testSize, seed)};
    }
    if (source.startsWith("mnist:")) {
      Path dir = Path.of(source.substring(6));
      if (!Files.isDirectory(dir)) {
        throw new IllegalArgumentException("--data " + source + ": " + dir + " is not a directory");
      }
      TensorDataset all = Mnist.read(dir.resolve("t10k-images-idx3-ubyte.gz"),
          dir.resolve("t10k-labels-idx1-ubyte.gz"));
      Tensor images = all.tensor(0).sub(0.1307).div(0.3081);
      Tensor labels = all.tensor(1);
      int n = images.size(0);
      int split = Math.min(8000, n * 4 / 5);
      return new TensorDataset[] {
          new TensorDataset(images.narrow(0, 0, split).contiguous(), labels.narrow(0, 0, split).contiguous()),
          new TensorDataset(images.narrow(0, split, n - split).contiguous(),
              labels.narrow(0, split, n - split).contiguous())};
    }
    throw new IllegalArgumentException("--data must be 'builtin' or 'mnist:DIR', got '" + source + "'");
  }

  private static void writeChart(Path file, List<double[]> history, List<double[]> curve) throws IOException {
    List<double[]> loss = new ArrayList<>(curve);
    List<double[]> train = new ArrayList<>();
    List<double[]> test = new ArrayList<>();
    for (double[] h : history) {
      train.add(new double[] {h[0], 100 * h[2]});
      test.add(new double[] {h[0], 100 * h[3]});
    }
    LineChart.write(file, "Ember CNN training", List.of(
        new LineChart.Panel("training loss (mean over 1/25 epoch)",
            List.of(new LineChart.Series("loss", new Color(200, 60, 40), loss))),
        new LineChart.Panel("accuracy (%)", List.of(
            new LineChart.Series("train", new Color(40, 90, 200), train),
            new LineChart.Series("test", new Color(30, 150, 60), test)))));
  }

  /** Per-epoch metrics as text, for the checkpoint and metrics.csv. */
  static final class Metrics {
    private Metrics() {}

    static String format(List<double[]> rows) {
      StringBuilder sb = new StringBuilder();
      for (double[] r : rows) {
        for (int i = 0; i < r.length; i++) {
          sb.append(i == 0 ? "" : ",").append(Double.toString(r[i]));
        }
        sb.append(';');
      }
      return sb.toString();
    }

    static List<double[]> parse(String s) {
      List<double[]> rows = new ArrayList<>();
      if (s == null || s.isEmpty()) {
        return rows;
      }
      for (String row : s.split(";")) {
        if (!row.isEmpty()) {
          rows.add(java.util.Arrays.stream(row.split(",")).mapToDouble(Double::parseDouble).toArray());
        }
      }
      return rows;
    }

    static String csv(List<double[]> rows) {
      StringBuilder sb = new StringBuilder("epoch,train_loss,train_accuracy,test_accuracy\n");
      for (double[] r : rows) {
        sb.append(String.format(Locale.ROOT, "%.0f,%.6f,%.6f,%.6f%n", r[0], r[1], r[2], r[3]));
      }
      return sb.toString();
    }
  }
}
