package dev.ember.bench;

import dev.ember.Device;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.TensorScope;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.functional.F;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-op timings of W3's convolutions and max pooling, float32, at the shapes of {@code
 * shared/bench/pytorch/ops.py} (run it with {@code shared/bench/pytorch/run ops} for PyTorch's
 * figures): forward alone (no grad) and forward + backward of {@code out.sum()}, with the backend's
 * fused primitives ({@code path = fused}: oneDNN on the CPU) or tensor-api's compositions ({@code
 * composed}: im2col + GEMM, window view + max). The fused path alone is in {@link OpsBenchmark}'s
 * cases, so {@code bench/run} sets it beside PyTorch; this class compares the two paths.
 *
 * <pre>
 * java -cp "bench/target/bench.jar:bench/target/lib/*" org.openjdk.jmh.Main ConvPoolBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvPoolBenchmark {
  /** The device. */
  @Param({"cpu"})
  public String device;

  /** {@code fused} (the backend's primitives) or {@code composed} (tensor-api's compositions). */
  @Param({"fused", "composed"})
  public String path;

  /**
   * The op and shape, as in ops.py: conv2d NxCxHxWxO (3x3, padding 1, bias) or max_pool2d
   * NxCxHxW (2x2).
   */
  @Param({"conv2d:64x1x28x28x16", "conv2d:64x16x14x14x32", "max_pool2d:64x16x28x28"})
  public String op;

  private Tensor x;
  private Tensor w;
  private Tensor b;

  /** Makes the inputs and picks the path. */
  @Setup
  public void setUp() {
    FusedPrimitives.setEnabled(path.equals("fused"));
    Tensor.manualSeed(0);
    Device d = Device.parse(device);
    String[] parts = op.split(":");
    String[] s = parts[1].split("x");
    int n = Integer.parseInt(s[0]);
    int c = Integer.parseInt(s[1]);
    int h = Integer.parseInt(s[2]);
    int wd = Integer.parseInt(s[3]);
    x = Tensor.randn(n, c, h, wd).to(d).requiresGrad(true);
    if (parts[0].equals("conv2d")) {
      int o = Integer.parseInt(s[4]);
      w = Tensor.randn(o, c, 3, 3).to(d).requiresGrad(true);
      b = Tensor.randn(o).to(d).requiresGrad(true);
    }
  }

  /** Switches the fused primitives back on. */
  @TearDown
  public void tearDown() {
    FusedPrimitives.setEnabled(true);
  }

  private Tensor apply() {
    return w != null ? F.conv2d(x, w, b, 1, 1) : F.maxPool2d(x, 2);
  }

  /** The forward pass alone, without grad. */
  @Benchmark
  public Tensor forward() {
    try (TensorScope scope = TensorScope.open(); GradMode off = GradMode.noGrad()) {
      return apply();
    }
  }

  /**
   * Forward and backward of {@code out.sum()}; gradients are cleared first and not read, as ops.py does
   * (so each cleared gradient is freed at once; {@code loss.item()} waits for a GPU's queued work).
   */
  @Benchmark
  public double forwardBackward() {
    try (TensorScope scope = TensorScope.open()) {
      x.setGrad(null);
      if (w != null) {
        w.setGrad(null);
        b.setGrad(null);
      }
      Tensor loss = apply().sum();
      loss.backward();
      return loss.item();
    }
  }
}
