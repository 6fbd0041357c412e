package dev.ember.bench;

import dev.ember.Device;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmarks of the training workloads W1-W5, one training step per measured invocation.
 *
 * <p>The mode is {@link Mode#SingleShotTime}: every measurement iteration times exactly one step, so the
 * JSON result holds one time per step and the report takes the median, minimum and maximum over them, as
 * {@code WORKLOADS.md} asks (at least 20 steps).
 *
 * <p>Warm-up iterations are untimed steps, about ten seconds of each workload on 2 cores (W1 300 steps,
 * W2 2,000, W3 1,000, W4 120, W5 400): HotSpot's C2 compiler keeps compiling and recompiling the step's
 * code for 8-28 s after launch (measured with JIT logging), and with 15 warm-up steps W2's median step read
 * 18.8-20.7 ms against 8.1-8.9 ms after 300 (load 8-10), and 7.69 ms after 300 against 5.93 ms after 2,000
 * on a quiet box (12:47 UTC 2026-12-05). These benchmarks report the steady state of a training run; the
 * cold start is reported apart, as the time from launch to the first step ({@link Startup}).
 *
 * <p>The {@code device} parameter takes {@code cpu} and {@code cuda}; on a machine without a CUDA backend
 * the cuda trial fails in its set-up with the reason, and {@code bench/run} only asks for cuda when it
 * opens.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xss4m"})
public class TrainingBenchmarks {
  /** Holds one workload's step, built once per trial. */
  @State(Scope.Thread)
  public abstract static class StepState {
    /** The device the workload runs on: cpu or cuda. */
    @Param({"cpu"})
    public String device;

    Workloads.Step step;

    abstract String workload();

    /** Builds the model, optimizer and batch; fails with the reason when the device cannot be used. */
    @Setup
    public void setUp() {
      step = Workloads.build(workload(), Device.parse(device));
    }
  }

  /** W1's state. */
  public static class W1 extends StepState {
    @Override
    String workload() {
      return "W1";
    }
  }

  /** W2's state. */
  public static class W2 extends StepState {
    @Override
    String workload() {
      return "W2";
    }
  }

  /** W2's state, without TensorScope. */
  public static class W2Unscoped extends StepState {
    @Override
    String workload() {
      return "W2-unscoped";
    }
  }

  /** W4's state, without TensorScope. */
  public static class W4Unscoped extends StepState {
    @Override
    String workload() {
      return "W4-unscoped";
    }
  }

  /** W3's state. */
  public static class W3 extends StepState {
    @Override
    String workload() {
      return "W3";
    }
  }

  /** W4's state. */
  public static class W4 extends StepState {
    @Override
    String workload() {
      return "W4";
    }
  }

  /** W5's state. */
  public static class W5 extends StepState {
    @Override
    String workload() {
      return "W5";
    }
  }

  /** W5 with a GRU's state. */
  public static class W5Gru extends StepState {
    @Override
    String workload() {
      return "W5-gru";
    }
  }

  /** W1 op overhead: one step of 100 ops, sum and backward; the score is per op, in microseconds. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @OperationsPerInvocation(Workloads.W1_OPS)
  @Warmup(iterations = 300)
  @Measurement(iterations = 100)
  public double w1(W1 s) {
    return s.step.run();
  }

  /**
   * W2 MLP training step. 200 measured steps (about a second): with 50 (a third of a second) one burst
   * of load on the shared box moved the median by half (4.0 against 6.1 ms in one run, where the
   * unscoped variant's 200 read 4.0).
   */
  @Benchmark
  @Warmup(iterations = 2000)
  @Measurement(iterations = 200)
  public double w2(W2 s) {
    return s.step.run();
  }

  /**
   * W2 written without {@code TensorScope}: memory comes back through the garbage collector. More
   * iterations than W2, so the measurement spans several of the allocator's collections.
   */
  @Benchmark
  @Warmup(iterations = 2000)
  @Measurement(iterations = 200)
  public double w2Unscoped(W2Unscoped s) {
    return s.step.run();
  }

  /** W4 written without {@code TensorScope}. */
  @Benchmark
  @Warmup(iterations = 120)
  @Measurement(iterations = 40)
  public double w4Unscoped(W4Unscoped s) {
    return s.step.run();
  }

  /** W3 CNN training step (100 measured steps, about a second, for the same reason as W2). */
  @Benchmark
  @Warmup(iterations = 1000)
  @Measurement(iterations = 100)
  public double w3(W3 s) {
    return s.step.run();
  }

  /** W4 tiny GPT training step. */
  @Benchmark
  @Warmup(iterations = 120)
  @Measurement(iterations = 25)
  public double w4(W4 s) {
    return s.step.run();
  }

  /** W5 LSTM language-model training step with nn.LSTM. */
  @Benchmark
  @Warmup(iterations = 400)
  @Measurement(iterations = 30)
  public double w5(W5 s) {
    return s.step.run();
  }

  /** W5 language-model training step with nn.GRU in place of the LSTM (same shapes). */
  @Benchmark
  @Warmup(iterations = 400)
  @Measurement(iterations = 30)
  public double w5Gru(W5Gru s) {
    return s.step.run();
  }
}
