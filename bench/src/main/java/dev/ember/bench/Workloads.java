package dev.ember.bench;

import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.examples.TinyGpt;
import dev.ember.nn.Conv2d;
import dev.ember.nn.Embedding;
import dev.ember.nn.Flatten;
import dev.ember.nn.GRU;
import dev.ember.nn.LSTM;
import dev.ember.nn.Linear;
import dev.ember.nn.MaxPool2d;
import dev.ember.nn.Module;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import dev.ember.optim.Adam;
import dev.ember.optim.AdamW;
import dev.ember.optim.Optimizer;
import dev.ember.optim.SGD;
import java.util.List;
import java.util.Locale;

/**
 * The step functions of the workloads W1-W6, written once and shared by the JMH benchmarks, the
 * start-up harness and the smoke test. Each mirrors {@code shared/bench/pytorch/workloads.py}: float32,
 * a fixed seed, the same batch every step; a step is forward + backward + optimizer step + reading the
 * loss with {@code item()}.
 */
public final class Workloads {
  /** The seed every workload starts from. */
  public static final long SEED = 0;

  /** The training workloads, in report order. */
  public static final List<String> TRAINING = List.of("W1", "W2", "W3", "W4", "W5");

  /** Ops in the W1 chain: a step of W1 is this many elementwise ops plus sum and backward. */
  public static final int W1_OPS = 100;

  /**
   * GEMM and convolution FLOPs per step (forward + backward, no input gradient for the first layer), as
   * counted in {@code WORKLOADS.md}.
   */
  public static double flopsPerStep(String workload) {
    return switch (workload) {
      case "W2" -> 0.411e9;
      case "W3" -> 0.382e9;
      case "W4" -> 5.286e9;
      case "W5" -> 1.521e9;
      default -> Double.NaN;
    };
  }

  /** One training step of a workload, ready to run repeatedly. */
  @FunctionalInterface
  public interface Step {
    /** Runs one step and returns the loss it read (W1: the sum). */
    double run();
  }

  private Workloads() {}

  /**
   * Builds the step of {@code workload} (W1-W5, and {@code W5-gru}: W5 with a GRU) on {@code device},
   * seeding the global generator first.
   * {@code W2-unscoped} and {@code W4-unscoped} are W2 and W4 written as a PyTorch user writes them,
   * without a {@link TensorScope}: their memory comes back through the garbage collector.
   *
   * @throws IllegalArgumentException for an unknown workload
   * @throws IllegalStateException when the device is CUDA and no CUDA backend opens
   */
  public static Step build(String workload, Device device) {
    checkDevice(workload, device);
    Tensor.manualSeed(SEED);
    return switch (workload) {
      case "W1" -> w1(device);
      case "W2" -> w2(device, true);
      case "W2-unscoped" -> w2(device, false);
      case "W3" -> w3(device);
      case "W4" -> w4(device, true);
      case "W4-unscoped" -> w4(device, false);
      case "W5" -> w5(device);
      case "W5-gru" -> w5Gru(device);
      default -> throw new IllegalArgumentException("bench: unknown workload '" + workload + "' (W1-W5)");
    };
  }

  /** Fails with the reason when {@code device} is CUDA and CUDA cannot be used. */
  static void checkDevice(String workload, Device device) {
    if (!device.isCpu() && !Device.cudaAvailable()) {
      throw new IllegalStateException(String.format(Locale.ROOT, "%s: skipped on %s: %s", workload, device,
          Device.cudaUnavailableReason()));
    }
  }

  /** W1: 100 ops cycling {@code + 0.5}, {@code * 0.9}, {@code tanh} on a [4] tensor, then sum and backward. */
  static Step w1(Device device) {
    Tensor x = Tensor.randn(4).to(device).requiresGrad(true);
    return () -> {
      x.setGrad(null);
      try (TensorScope scope = TensorScope.open()) {
        Tensor y = x;
        for (int i = 0; i < W1_OPS; i++) {
          switch (i % 3) {
            case 0 -> y = y.add(0.5);
            case 1 -> y = y.mul(0.9);
            default -> y = y.tanh();
          }
        }
        Tensor s = y.sum();
        s.backward();
        return s.item();
      }
    };
  }

  /** W2: MLP 784-512-512-10, batch 128, ReLU, cross-entropy, SGD lr 0.01 momentum 0.9. */
  static Step w2(Device device, boolean scoped) {
    Tensor x = Tensor.randn(128, 784).to(device);
    Tensor y = Tensor.randint(0, 10, 128).to(device);
    Module model = new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(),
        new Linear(512, 10)).to(device);
    Optimizer opt = new SGD(model.parameters(), SGD.options(0.01).withMomentum(0.9));
    return scoped ? () -> train(model, opt, x, y) : () -> trainStep(model, opt, x, y);
  }

  /** W3: conv 1-16, ReLU, pool, conv 16-32, ReLU, pool, linear 1568-10; batch 64; Adam 1e-3. */
  static Step w3(Device device) {
    Tensor x = Tensor.randn(64, 1, 28, 28).to(device);
    Tensor y = Tensor.randint(0, 10, 64).to(device);
    Module model = new Sequential(
        new Conv2d(1, 16, 3, 1, 1), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 3, 1, 1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 10)).to(device);
    Optimizer opt = new Adam(model.parameters(), 1e-3);
    return () -> train(model, opt, x, y);
  }

  /** W4: {@link TinyGpt} vocab 65, context 64, 4 layers, 4 heads, embd 128, batch 16, AdamW 3e-4 wd 0.01. */
  static Step w4(Device device, boolean scoped) {
    int vocab = 65;
    int context = 64;
    TokenBatch tokens = TokenBatch.random(vocab, 16, context, device);
    Tensor x = tokens.x();
    Tensor y = tokens.y();
    Module model = new TinyGpt(vocab, context, 4, 4, 128).to(device);
    Optimizer opt = new AdamW(model.parameters(), AdamW.options(3e-4).withWeightDecay(0.01));
    Step step = () -> {
      opt.zeroGrad();
      Tensor loss = model.call(x).reshape(-1, vocab).crossEntropy(y);
      loss.backward();
      opt.step();
      return loss.item();
    };
    return scoped ? () -> {
      try (TensorScope scope = TensorScope.open()) {
        return step.run();
      }
    } : step;
  }

  /**
   * W5: LSTM language model with {@link LSTM} (PyTorch's W5f): vocab 1000, embedding 64, hidden 128, one
   * layer, sequence 35, batch 32, cross-entropy over every step, SGD lr 1.0; the state is carried over
   * and detached between steps.
   */
  static Step w5(Device device) {
    int vocab = 1000;
    int seq = 35;
    int batch = 32;
    int hidden = 128;
    TokenBatch tokens = TokenBatch.random(vocab, batch, seq, device);
    Tensor x = tokens.x();
    Tensor y = tokens.y();
    Embedding emb = new Embedding(vocab, 64);
    LSTM lstm = new LSTM(64, hidden, 1, true);
    Linear dec = new Linear(hidden, vocab);
    Module model = new Sequential(emb, lstm, dec).to(device);
    Optimizer opt = new SGD(model.parameters(), 1.0);
    Tensor[] state = {Tensor.zeros(1, batch, hidden).to(device), Tensor.zeros(1, batch, hidden).to(device)};
    return () -> {
      try (TensorScope scope = TensorScope.open()) {
        opt.zeroGrad();
        LSTM.Output out = lstm.forward(emb.call(x), state[0], state[1]);
        Tensor loss = dec.call(out.output()).reshape(-1, vocab).crossEntropy(y);
        loss.backward();
        opt.step();
        state[0] = scope.keep(out.hN().detach());
        state[1] = scope.keep(out.cN().detach());
        return loss.item();
      }
    };
  }

  /**
   * W5 with {@link GRU} in place of the LSTM (the same shapes: vocab 1000, embedding 64, hidden 128,
   * one layer, sequence 35, batch 32, SGD lr 1.0, the state carried over and detached); PyTorch's
   * figure comes from {@code scripts/bench/w5_gru.py}.
   */
  static Step w5Gru(Device device) {
    int vocab = 1000;
    int seq = 35;
    int batch = 32;
    int hidden = 128;
    TokenBatch tokens = TokenBatch.random(vocab, batch, seq, device);
    Tensor x = tokens.x();
    Tensor y = tokens.y();
    Embedding emb = new Embedding(vocab, 64);
    GRU gru = new GRU(64, hidden, 1, true);
    Linear dec = new Linear(hidden, vocab);
    Module model = new Sequential(emb, gru, dec).to(device);
    Optimizer opt = new SGD(model.parameters(), 1.0);
    Tensor[] state = {Tensor.zeros(1, batch, hidden).to(device)};
    return () -> {
      try (TensorScope scope = TensorScope.open()) {
        opt.zeroGrad();
        dev.ember.nn.RNN.Output out = gru.forward(emb.call(x), state[0]);
        Tensor loss = dec.call(out.output()).reshape(-1, vocab).crossEntropy(y);
        loss.backward();
        opt.step();
        state[0] = scope.keep(out.hN().detach());
        return loss.item();
      }
    };
  }

  /**
   * A language-model batch of random tokens: {@code x} [batch, length] and its next-token targets
   * {@code y} [batch * length], both cut from one [batch, length + 1] draw.
   */
  private record TokenBatch(Tensor x, Tensor y) {
    static TokenBatch random(int vocab, int batch, int length, Device device) {
      Tensor data = Tensor.randint(0, vocab, batch, length + 1);
      return new TokenBatch(data.narrow(1, 0, length).contiguous().to(device),
          data.narrow(1, 1, length).contiguous().reshape(-1).to(device));
    }
  }

  /** One step, in a {@link TensorScope} so activations are freed as it ends (Ember's training idiom). */
  private static double train(Module model, Optimizer opt, Tensor x, Tensor y) {
    try (TensorScope scope = TensorScope.open()) {
      return trainStep(model, opt, x, y);
    }
  }

  /** One step without a scope, as a PyTorch user writes it. */
  private static double trainStep(Module model, Optimizer opt, Tensor x, Tensor y) {
    opt.zeroGrad();
    Tensor loss = model.call(x).crossEntropy(y);
    loss.backward();
    opt.step();
    return loss.item();
  }

  /** W6: two random float32 n x n matrices on {@code device} and their product, without autograd. */
  public static final class Matmul {
    private final Tensor a;
    private final Tensor b;
    private final Device device;

    /** Creates the operands of an {@code n x n x n} product. */
    public Matmul(int n, Device device) {
      checkDevice("W6", device);
      Tensor.manualSeed(SEED);
      this.device = device;
      this.a = Tensor.randn(n, n).to(device);
      this.b = Tensor.randn(n, n).to(device);
    }

    /** Multiplies once; on CUDA reads one element so the product has finished. */
    public Tensor run() {
      try (GradMode off = GradMode.noGrad()) {
        Tensor c = a.matmul(b);
        if (!device.isCpu()) {
          c.index(0, 0).item();
        }
        return c;
      }
    }

    /** Returns the FLOPs of one product, {@code 2 n^3}. */
    public double flops() {
      double n = a.size(0);
      return 2 * n * n * n;
    }
  }
}
