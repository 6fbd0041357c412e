package dev.ember.bench;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host-side sorting and sampling ops of issue 12 part A at the shapes a GPT's sampling loop
 * uses (nanoGPT's {@code generate}: {@code topk} of {@code [batch, vocab]} logits, then {@code
 * multinomial} of the softmax) and a plain 1M-element sort, float32, no grad.
 *
 * <pre>
 * java -cp "bench/target/bench.jar:bench/target/lib/*" org.openjdk.jmh.Main SortingBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SortingBenchmark {
  /** The device. */
  @Param({"cpu"})
  public String device;

  /** The op and shape: topk200 / multinomial of [8, 50257], sort of [1048576]. */
  @Param({"topk200:8x50257", "multinomial:8x50257", "sort:1048576"})
  public String op;

  private Tensor x;
  private final Generator generator = new Generator(0);

  /** Makes the input. */
  @Setup
  public void setUp() {
    Tensor.manualSeed(0);
    String[] parts = op.split(":");
    String[] s = parts[1].split("x");
    int[] shape = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      shape[i] = Integer.parseInt(s[i]);
    }
    Tensor logits = Tensor.randn(Shape.of(shape), DType.FLOAT32, Device.parse(device), null);
    x = parts[0].equals("multinomial") ? logits.softmax(-1) : logits;
  }

  /** Runs the op once; temporaries are freed by the scope. */
  @Benchmark
  public double run() {
    try (GradMode off = GradMode.noGrad(); TensorScope scope = TensorScope.open()) {
      Tensor out = switch (op.split(":")[0]) {
        case "topk200" -> x.topk(200).values();
        case "multinomial" -> x.multinomial(1, true, generator);
        default -> x.sort().values();
      };
      return out.numel();
    }
  }
}
