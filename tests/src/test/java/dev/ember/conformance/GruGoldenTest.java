package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.GRU;
import dev.ember.nn.RNN;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch parity of {@code nn.GRU} (golden/gru.json from scripts/golden/gru.py): outputs, h_n and
 * the gradients of the input, h0 and every parameter, for one and two layers, one and two
 * directions, batch-first, with and without h0, with and without biases; per device, float64 and
 * float32, on the fused paths (oneDNN's GRU for float32 on the CPU, the fused node for float64) and
 * on the per-step composition.
 */
@ParameterizedClass(name = "[{0}, {1}]")
@MethodSource("dev.ember.conformance.Devices#underTestFusedAndComposed")
class GruGoldenTest {
  static {
    GoldenOps.register("torch.nn.GRU", (in, a) -> {
      GRU gru = new GRU(a.integer("input_size", 0), a.integer("hidden_size", 0), a.integer("num_layers", 1),
          a.bool("bias", true), a.bool("batch_first", false), 0, a.bool("bidirectional", false), null);
      gru.to(in.get(0).dtype()).to(in.get(0).device());
      boolean hasH0 = a.bool("has_h0", true);
      int first = hasH0 ? 2 : 1;
      List<String> names = List.copyOf(gru.namedParameters().keySet());
      for (int i = 0; i < names.size(); i++) {
        gru.setParameter(names.get(i), in.get(first + i));
      }
      RNN.Output o = gru.forward(in.get(0), hasH0 ? in.get(1) : null);
      return a.integer("output_index", 0) == 0 ? o.output() : o.hN();
    });
  }

  @Parameter(0)
  Device device;

  /** "fused" or "composed" (see {@link FusedPath}). */
  @Parameter(1)
  String path;

  private boolean fusedBefore;

  @BeforeEach
  void choosePath() {
    fusedBefore = FusedPath.use(path);
  }

  @AfterEach
  void restorePath() {
    FusedPrimitives.setEnabled(fusedBefore);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void gruMatchesPyTorch(String dtypeName) {
    List<Golden.Case> cases = Golden.loadResource("/golden/gru.json");
    assertEquals(12, cases.size(), "golden/gru.json: expected 12 cases");
    long before = FusedPrimitives.calls();
    List<Golden.Outcome> outcomes = Golden.run(cases, device, DType.parse(dtypeName));
    List<String> failures = Golden.failures(outcomes);
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    if (device.equals(Device.CPU)) {
      assertEquals(path.equals("fused"), FusedPrimitives.calls() > before, path + " path: fused calls");
    }
  }

  /** The golden tensors are plain data: a guard that the row really ran the module. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64"})
  void theRowRunsTheModule(String dtypeName) {
    Golden.Case c = Golden.loadResource("/golden/gru.json").get(0);
    List<Tensor> in = c.inputs().stream().map(d -> d.toTensor(DType.parse(dtypeName), device)).toList();
    Tensor y = GoldenOps.lookup("torch.nn.GRU").apply(in, c.attrs());
    assertEquals(List.of(3, 5, 4), List.of(y.size(0), y.size(1), y.size(2)));
  }
}
