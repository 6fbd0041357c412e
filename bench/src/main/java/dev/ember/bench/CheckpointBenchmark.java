package dev.ember.bench;

import dev.ember.Tensor;
import dev.ember.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Safetensors save and load of one float32 tensor of {@code mb} MB in a 512 MB heap (single shot:
 * one file per invocation; MB/s is {@code mb} over the median time). The save is atomic and forced
 * to disk; the load reads a file the page cache holds. Compare with {@code bench/pytorch_safetensors.py}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m", "-Dorg.bytedeco.javacpp.maxBytes=4g",
    "-Dember.cpu.memoryBudget=4294967296"})
@Warmup(iterations = 2)
@Measurement(iterations = 10)
public class CheckpointBenchmark {
  /** The tensor's size in MB (10^6 bytes). */
  @Param({"256"})
  public int mb;

  private Map<String, Tensor> state;
  private Path dir;
  private Path saved;
  private Path loaded;

  /** Creates the tensor and the file the load reads. */
  @Setup
  public void setUp() throws IOException {
    state = Map.of("weight", Tensor.rand(mb * 250_000));
    dir = Files.createTempDirectory("ember-ckpt-bench");
    saved = dir.resolve("save.safetensors");
    loaded = dir.resolve("load.safetensors");
    Safetensors.save(state, loaded);
  }

  /** Deletes the files. */
  @TearDown
  public void tearDown() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** One atomic save (temporary file, fsync, rename). */
  @Benchmark
  public void save() throws IOException {
    Safetensors.save(state, saved);
  }

  /** One load into a fresh CPU tensor, freed at once. */
  @Benchmark
  public void load(Blackhole bh) throws IOException {
    Tensor t = Safetensors.load(loaded).get("weight");
    bh.consume(t);
    t.close();
  }
}
