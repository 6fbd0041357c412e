package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.nn.BatchNorm1d;
import dev.ember.nn.DataParallel;
import dev.ember.nn.Linear;
import dev.ember.nn.Module;
import dev.ember.nn.Outputs;
import dev.ember.nn.ReLU;
import dev.ember.nn.Sequential;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DataParallel} on every device. The no-device path (what a machine without CUDA gets) just
 * calls the module; the several-device path (scatter, replicate, gather) runs here over a list that
 * names the device under test several times, which exercises the split, the replicas' parameter
 * copies and the gather exactly, but not transfers between distinct GPUs (no machine here has two).
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class DataParallelConformanceTest {
  @Parameter
  Device device;

  private Module model(long seed) {
    Generator g = new Generator(seed);
    Module m = new Sequential(new Linear(4, 5, true, g), new ReLU(), new Linear(5, 2, true, g));
    m.to(DType.FLOAT64);
    m.to(device);
    return m;
  }

  private Tensor batch(long seed, int rows) {
    return Checks.randn(new Random(seed), device, rows, 4);
  }

  @Test
  void withoutDevicesItCallsTheModuleAndPrefixesTheStateDict() {
    Module m = model(1);
    DataParallel dp = new DataParallel(m, List.of());
    assertSame(m, dp.module());
    assertTrue(dp.deviceIds().isEmpty());
    assertNull(dp.outputDevice());
    Tensor x = batch(2, 3);
    assertArrayEquals(m.call(x).toDoubleArray(), dp.call(x).toDoubleArray(), 0);
    assertEquals(List.of("module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"),
        List.copyOf(dp.stateDict().keySet()), "PyTorch's keys: the wrapped module's under 'module.'");
    assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(dp.module().stateDict().keySet()));
    assertEquals(m.parameters(), dp.parameters());
    if (!Device.cudaAvailable()) {
      assertTrue(new DataParallel(m).deviceIds().isEmpty(), "no CUDA: no devices, as PyTorch");
    }
    // one device: the inputs move to it and the module runs there
    assertArrayEquals(m.call(x).toDoubleArray(), new DataParallel(m, List.of(device)).call(x).toDoubleArray(), 0);
  }

  @Test
  void severalDevicesSplitTheBatchAndSumTheReplicasGradients() {
    Module single = model(3);
    Module wrapped = model(3);
    DataParallel dp = new DataParallel(wrapped, List.of(device, device, device));
    Tensor x = batch(4, 5); // chunks of 2, 2 and 1 rows
    Tensor expected = single.call(x);
    Tensor out = dp.call(x);
    assertArrayEquals(new int[] {5, 2}, out.shapeArray());
    Checks.assertClose(Checks.values(expected), new int[] {5, 2}, out, 1e-12);
    expected.pow(2).sum().backward();
    out.pow(2).sum().backward();
    List<Tensor> ps = single.parameters();
    List<Tensor> qs = wrapped.parameters();
    for (int i = 0; i < ps.size(); i++) {
      Checks.assertClose(Checks.values(ps.get(i).grad()), ps.get(i).shapeArray(), qs.get(i).grad(), 1e-12);
    }
    // a batch smaller than the device list uses the first devices only
    Checks.assertClose(Checks.values(single.call(batch(5, 2))), new int[] {2, 2}, dp.call(batch(5, 2)), 1e-12);
    String rank = assertThrows(IllegalArgumentException.class,
        () -> new DataParallel(wrapped, List.of(device, device), device, 1).call(Tensor.zeros(4).to(device)))
        .getMessage();
    assertTrue(rank.contains("[4]") && rank.contains("dim 1"), rank);
  }

  /** A module with two inputs and two outputs: the prediction and a scalar loss. */
  private static final class WithLoss extends Module {
    private final Module body;

    WithLoss(Module body) {
      this.body = registerModule("body", body);
    }

    @Override
    public Outputs forward(Tensor... inputs) {
      Tensor y = body.call(inputs[0]);
      return Outputs.of(y, y.sub(inputs[1]).pow(2).mean());
    }
  }

  @Test
  void scalarOutputsAreGatheredIntoAVectorAndOnlyTheFirstReplicaUpdatesBuffers() {
    DataParallel dp = new DataParallel(new WithLoss(model(6)), List.of(device, device));
    Tensor x = batch(7, 4);
    Tensor target = Checks.randn(new Random(8), device, 4, 2);
    Outputs out = dp.call(x, target);
    assertArrayEquals(new int[] {4, 2}, out.get(0).shapeArray());
    assertArrayEquals(new int[] {2}, out.get(1).shapeArray(), "one loss per replica, as PyTorch's gather");
    Tensor firstHalf = out.get(0).narrow(0, 0, 2).sub(target.narrow(0, 0, 2)).pow(2).mean();
    assertEquals(firstHalf.item(), out.get(1).toDoubleArray()[0], 1e-12);

    BatchNorm1d bn = new BatchNorm1d(4);
    bn.to(DType.FLOAT64);
    bn.to(device);
    BatchNorm1d reference = new BatchNorm1d(4);
    reference.to(DType.FLOAT64);
    reference.to(device);
    new DataParallel(bn, List.of(device, device)).call(x);
    reference.call(x.narrow(0, 0, 2));
    Checks.assertClose(Checks.values(reference.runningMean()), new int[] {4}, bn.runningMean(), 1e-12);

    String where = assertThrows(IllegalArgumentException.class,
        () -> new DataParallel(model(9), List.of(new Device("cuda", 7)))).getMessage();
    assertTrue(where.contains("cuda:7") && where.contains(device.toString()), where);
  }
}
