package dev.ember.bench;

import dev.ember.Device;
import dev.ember.Tensor;
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
 * W6, the GEMM ceiling: one float32 {@code n x n x n} matmul per measured invocation (single shot, so
 * the report has a time per product); GFLOP/s is {@code 2 n^3} over the median time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
@Warmup(iterations = 3)
@Measurement(iterations = 20)
public class MatmulBenchmark {
  /** The device: cpu or cuda. */
  @Param({"cpu"})
  public String device;

  /** The matrix size n. */
  @Param({"1024", "2048"})
  public int n;

  private Workloads.Matmul matmul;

  /** Creates the operands; fails with the reason when the device cannot be used. */
  @Setup
  public void setUp() {
    matmul = new Workloads.Matmul(n, Device.parse(device));
  }

  /** W6: one product. */
  @Benchmark
  public Tensor w6() {
    return matmul.run();
  }
}
