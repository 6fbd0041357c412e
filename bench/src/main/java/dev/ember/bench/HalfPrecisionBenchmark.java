package dev.ember.bench;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.nn.functional.F;
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

/**
 * The cost of float16 and bfloat16 against float32 for a few forward ops (no grad), microseconds
 * per call: half tensors compute in float32 around every kernel ({@code HalfWidening}), so this
 * measures what the conversions add. Cases: {@code exp} of 1M elements, {@code add_bias} [128, 512]
 * + [512], {@code linear} [1024, 128] x [384, 128]^T + bias, {@code softmax} of [16, 4, 64, 64]
 * over the last dim.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
public class HalfPrecisionBenchmark {
  /** The device: cpu or cuda. */
  @Param({"cpu"})
  public String device;

  /** The dtype of every input. */
  @Param({"float32", "bfloat16", "float16"})
  public String dtype;

  /** The case. */
  @Param({"exp", "add_bias", "linear", "softmax"})
  public String op;

  private List<Tensor> inputs;
  private Supplier<Tensor> forward;

  /** Builds the seeded inputs of {@link #op} in {@link #dtype} on {@link #device}. */
  @Setup(Level.Trial)
  public void setUp() {
    Device d = Device.parse(device);
    DType t = DType.parse(dtype);
    Tensor.manualSeed(0);
    switch (op) {
      case "exp" -> {
        Tensor x = input(d, t, 1_048_576);
        inputs = List.of(x);
        forward = x::exp;
      }
      case "add_bias" -> {
        Tensor x = input(d, t, 128, 512);
        Tensor b = input(d, t, 512);
        inputs = List.of(x, b);
        forward = () -> x.add(b);
      }
      case "linear" -> {
        Tensor x = input(d, t, 1024, 128);
        Tensor w = input(d, t, 384, 128);
        Tensor b = input(d, t, 384);
        inputs = List.of(x, w, b);
        forward = () -> F.linear(x, w, b);
      }
      case "softmax" -> {
        Tensor x = input(d, t, 16, 4, 64, 64);
        inputs = List.of(x);
        forward = () -> x.softmax(-1);
      }
      default -> throw new IllegalArgumentException("HalfPrecisionBenchmark: unknown op " + op);
    }
  }

  private static Tensor input(Device d, DType t, int... shape) {
    return Tensor.randn(Shape.of(shape), DType.FLOAT32, d, null).to(t);
  }

  /** Frees the inputs. */
  @TearDown(Level.Trial)
  public void tearDown() {
    inputs.forEach(Tensor::close);
  }

  /**
   * The forward alone, under no-grad; reads one element on a GPU so the work has finished. (Not
   * named {@code fwd}: bench/run's single-op table, which sets OpsBenchmark's cases beside PyTorch's
   * ops.py, collects every {@code fwd} method.)
   */
  @Benchmark
  public double forward() {
    try (TensorScope scope = TensorScope.open(); GradMode off = GradMode.noGrad()) {
      Tensor y = this.forward.get();
      return y.device().isCpu() ? y.numel() : y.flatten().index(0).item();
    }
  }
}
