package dev.ember.bench;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.nn.functional.F;
import dev.ember.ops.Losses;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Single float32 ops at the shapes of {@code shared/bench/pytorch/ops.py}, forward alone ({@code fwd},
 * under no-grad) and forward + backward of {@code out.sum()} ({@code fwdbwd}, every floating input
 * requiring grad and its gradient dropped before each call), so {@code bench/run} can set each time
 * beside PyTorch's from the same run. A case is {@code op:shape}, the shape written {@code 16x64x512};
 * the op names and shape conventions are ops.py's ({@code linear:1024x128x384} is [N, K] times [M, K]^T
 * plus a bias; {@code conv2d:64x1x28x28x16} is [N, C, H, W] through a 3x3 kernel, padding 1, to 16
 * channels; {@code embedding:16x64x65x128} is [B, T] indices into a [V, D] table). Every call is timed
 * (JMH sample mode) and the report takes the median call, the statistic ops.py reports (its median of
 * 200 calls), and names the cases whose mean is far above it. Each call runs in its own {@link
 * TensorScope}, so temporaries are freed as in training.
 * Warm-up: {@link #PRIMING_CALLS} calls first (at most {@link #PRIMING_SECONDS} s), then 2.4 s of JMH
 * warm-up (6 iterations of 0.4 s), so C2 has finished compiling the op's code and the autograd engine
 * before the measured iterations. The calls count, not the seconds: C2 compiles a method once it has
 * been called about 5,000 times, and the engine's {@code Autograd.run} and {@code runGraph} are called
 * once per backward, so on the 1M-float cases (about 1,000 calls a second) their compiles (350-450 ms
 * of one of the two cores each) landed in the measured iterations of a 4 s warm-up, which then read
 * 1,600-1,850 instead of 700-800 us (sigmoid, {@code -XX:+PrintCompilation}; docs/benchmarks.md,
 * "ninth round").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 6, time = 400, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
public class OpsBenchmark {
  /** Every case ops.py times. */
  public static final List<String> CASES = List.of(
      "exp:73728", "exp:1048576", "tanh:73728", "tanh:1048576", "sigmoid:73728", "sigmoid:1048576",
      "gelu_tanh:16x64x512", "relu:64x16x28x28", "softmax:16x4x64x64", "softmax:512x26", "log_softmax:512x65",
      "layer_norm:16x64x128", "cross_entropy:512x26", "cross_entropy:1024x65", "add_bias:128x512",
      "sum_dim1:128x512", "sum_dim1:16x64x128", "mean_all:1048576", "transpose_contiguous:16x64x4x32",
      "linear:1024x128x384", "conv2d:64x1x28x28x16", "conv2d:64x16x14x14x32", "max_pool2d:64x16x28x28",
      "embedding:16x64x65x128", "sdpa_causal:16x4x64x32");

  /** The device: cpu or cuda. */
  @Param({"cpu"})
  public String device;

  /** The case, {@code op:shape}; one of {@link #CASES}. */
  @Param({"exp:73728", "exp:1048576", "tanh:73728", "tanh:1048576", "sigmoid:73728", "sigmoid:1048576",
      "gelu_tanh:16x64x512", "relu:64x16x28x28", "softmax:16x4x64x64", "softmax:512x26", "log_softmax:512x65",
      "layer_norm:16x64x128", "cross_entropy:512x26", "cross_entropy:1024x65", "add_bias:128x512",
      "sum_dim1:128x512", "sum_dim1:16x64x128", "mean_all:1048576", "transpose_contiguous:16x64x4x32",
      "linear:1024x128x384", "conv2d:64x1x28x28x16", "conv2d:64x16x14x14x32", "max_pool2d:64x16x28x28",
      "embedding:16x64x65x128", "sdpa_causal:16x4x64x32"})
  public String op;

  /** Calls of the measured method made before JMH's warm-up ({@code -Dember.bench.primingCalls}). */
  static final int PRIMING_CALLS = Integer.getInteger("ember.bench.primingCalls", 8000);

  /** The most seconds those calls may take ({@code -Dember.bench.primingSeconds}). */
  static final long PRIMING_SECONDS = Long.getLong("ember.bench.primingSeconds", 15);

  private Case c;

  /** One op's inputs and the call that computes it. */
  record Case(Supplier<Tensor> forward, List<Tensor> inputs) {}

  /**
   * Builds the inputs of {@link #op} on {@link #device} and calls the measured method ({@code fwd} or
   * {@code fwdbwd}, from {@code params}) {@link #PRIMING_CALLS} times, or for {@link #PRIMING_SECONDS}.
   */
  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) {
    c = make(op, Device.parse(device));
    boolean backward = params.getBenchmark().endsWith(".fwdbwd");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PRIMING_SECONDS);
    for (int i = 0; i < PRIMING_CALLS && System.nanoTime() - deadline < 0; i++) {
      double unused = backward ? fwdbwd() : fwd();
    }
  }

  /** Frees the inputs. */
  @TearDown(Level.Trial)
  public void tearDown() {
    c.inputs().forEach(Tensor::close);
  }

  /** The forward alone, under no-grad; reads one element on a GPU so the work has finished. */
  @Benchmark
  public double fwd() {
    try (TensorScope scope = TensorScope.open(); GradMode off = GradMode.noGrad()) {
      return sync(c.forward().get());
    }
  }

  /**
   * Forward and backward of {@code out.sum()}, gradients of every floating input, as ops.py's loop: the
   * gradients are cleared first and not read ({@code loss.item()} waits for a GPU's queued work). Unread,
   * a cleared gradient is freed at once, as PyTorch's {@code x.grad = None} frees it; reading it with
   * {@code grad()} would leave it to the garbage collector.
   */
  @Benchmark
  public double fwdbwd() {
    try (TensorScope scope = TensorScope.open()) {
      for (Tensor x : c.inputs()) {
        x.setGrad(null);
      }
      Tensor loss = c.forward().get().sum();
      loss.backward();
      return loss.item();
    }
  }

  private double sync(Tensor t) {
    return t.device().isCpu() ? t.numel() : t.flatten().index(0).item();
  }

  /** Parses {@code op:AxBxC} and builds that case's inputs (seeded, float32, requiring grad). */
  static Case make(String spec, Device device) {
    int colon = spec.indexOf(':');
    String name = spec.substring(0, colon);
    int[] s = Arrays.stream(spec.substring(colon + 1).split("x")).mapToInt(Integer::parseInt).toArray();
    Tensor.manualSeed(0);
    switch (name) {
      case "exp", "tanh", "sigmoid", "relu", "gelu_tanh", "softmax", "log_softmax", "sum_dim1", "mean_all",
          "transpose_contiguous" -> {
        Tensor x = leaf(device, s);
        Supplier<Tensor> f = switch (name) {
          case "exp" -> x::exp;
          case "tanh" -> x::tanh;
          case "sigmoid" -> x::sigmoid;
          case "relu" -> x::relu;
          case "gelu_tanh" -> () -> F.gelu(x, "tanh");
          case "softmax" -> () -> x.softmax(-1);
          case "log_softmax" -> () -> x.logSoftmax(-1);
          case "sum_dim1" -> () -> x.sum(1, false);
          case "mean_all" -> x::mean;
          default -> () -> x.transpose(1, 2).contiguous();
        };
        return new Case(f, List.of(x));
      }
      case "layer_norm" -> {
        int d = s[s.length - 1];
        Tensor x = leaf(device, s);
        Tensor w = leaf(device, d);
        Tensor b = leaf(device, d);
        return new Case(() -> F.layerNorm(x, new int[] {d}, w, b), List.of(x, w, b));
      }
      case "cross_entropy" -> {
        Tensor x = leaf(device, s);
        Tensor t = TensorScope.disown(Tensor.randint(0, s[1], s[0]).to(device));
        return new Case(() -> Losses.crossEntropy(x, t, Losses.Options.defaults()), List.of(x));
      }
      case "mul" -> {   // not in ops.py: x * y of one shape, for the elementwise path (OP_CASES=mul:1048576)
        Tensor x = leaf(device, s);
        Tensor y = leaf(device, s);
        return new Case(() -> x.mul(y), List.of(x, y));
      }
      case "add_bias" -> {
        Tensor x = leaf(device, s);
        Tensor b = leaf(device, s[s.length - 1]);
        return new Case(() -> x.add(b), List.of(x, b));
      }
      case "linear" -> {
        Tensor x = leaf(device, s[0], s[1]);
        Tensor w = leaf(device, s[2], s[1]);
        Tensor b = leaf(device, s[2]);
        return new Case(() -> F.linear(x, w, b), List.of(x, w, b));
      }
      case "conv2d" -> {   // [N, C, H, W] through a 3x3 kernel with padding 1 and a bias to O channels
        Tensor x = leaf(device, s[0], s[1], s[2], s[3]);
        Tensor w = leaf(device, s[4], s[1], 3, 3);
        Tensor b = leaf(device, s[4]);
        return new Case(() -> F.conv2d(x, w, b, 1, 1), List.of(x, w, b));
      }
      case "max_pool2d" -> {   // 2x2 windows, stride 2
        Tensor x = leaf(device, s);
        return new Case(() -> F.maxPool2d(x, 2), List.of(x));
      }
      case "embedding" -> {
        Tensor idx = TensorScope.disown(Tensor.randint(0, s[2], s[0], s[1]).to(device));
        Tensor w = leaf(device, s[2], s[3]);
        return new Case(() -> F.embedding(idx, w), List.of(w));
      }
      case "sdpa_causal" -> {
        Tensor q = leaf(device, s);
        Tensor k = leaf(device, s);
        Tensor v = leaf(device, s);
        return new Case(() -> F.scaledDotProductAttention(q, k, v, true), List.of(q, k, v));
      }
      default -> throw new IllegalArgumentException("OpsBenchmark: unknown op '" + name + "' in case " + spec);
    }
  }

  private static Tensor leaf(Device device, int... shape) {
    Tensor x = Tensor.randn(Shape.of(shape), DType.FLOAT32, device, Generator.global());
    return TensorScope.disown(x).requiresGrad(true);
  }
}
