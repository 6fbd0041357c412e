package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.internal.FusedPrimitives;
import dev.ember.nn.LSTM;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch parity of {@code nn.LSTM} (golden/lstm.json from scripts/golden/lstm.py): outputs, h_n,
 * c_n and the gradients of the input, h0, c0 and every parameter, for one layer batch-first, two
 * layers bidirectional and two layers without biases; per device, float64 and float32, on the fused
 * paths (oneDNN's LSTM for float32 on the CPU, the fused cell for float64) and on the per-step
 * composition.
 */
@ParameterizedClass(name = "[{0}, {1}]")
@MethodSource("dev.ember.conformance.Devices#underTestFusedAndComposed")
class RecurrentGoldenTest {
  static {
    GoldenOps.register("torch.nn.LSTM", (in, a) -> {
      LSTM lstm = new LSTM(a.integer("input_size", 0), a.integer("hidden_size", 0), a.integer("num_layers", 1),
          a.bool("bias", true), a.bool("batch_first", false), 0, a.bool("bidirectional", false), null);
      lstm.to(in.get(0).dtype()).to(in.get(0).device());
      List<String> names = List.copyOf(lstm.namedParameters().keySet());
      for (int i = 0; i < names.size(); i++) {
        lstm.setParameter(names.get(i), in.get(3 + i));
      }
      LSTM.Output o = lstm.forward(in.get(0), in.get(1), in.get(2));
      return switch (a.integer("output_index", 0)) {
        case 0 -> o.output();
        case 1 -> o.hN();
        default -> o.cN();
      };
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
  void lstmMatchesPyTorch(String dtypeName) {
    List<Golden.Case> cases = Golden.loadResource("/golden/lstm.json");
    assertEquals(9, cases.size(), "golden/lstm.json: expected 9 cases");
    List<Golden.Outcome> outcomes = Golden.run(cases, device, DType.parse(dtypeName));
    List<String> failures = Golden.failures(outcomes);
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  /** The golden tensors are plain data: a guard that the row really ran the module. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64"})
  void theRowRunsTheModule(String dtypeName) {
    Golden.Case c = Golden.loadResource("/golden/lstm.json").get(0);
    List<Tensor> in = c.inputs().stream().map(d -> d.toTensor(DType.parse(dtypeName), device)).toList();
    Tensor y = GoldenOps.lookup("torch.nn.LSTM").apply(in, c.attrs());
    assertEquals(List.of(3, 5, 4), List.of(y.size(0), y.size(1), y.size(2)));
  }
}
