package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.sparse.Sparse;
import dev.ember.sparse.SparseCooTensor;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays PyTorch's vectors for sparse COO tensors ({@code golden/sparse.json}, written by
 * scripts/golden/sparse.py) on every device, in float64 and float32: {@code to_dense} of {@code
 * sparse_coo_tensor} (repeated and unsorted entries, hybrid tensors, no entries), {@code coalesce}
 * (values and indices), {@code torch.sparse.mm}, the sum of two sparse tensors and {@code to_sparse}, with the
 * gradients w.r.t. the values and the dense operand. Every case must pass. The rows are registered
 * with {@link GoldenOps#register} from this class's static initializer.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class SparseGoldenConformanceTest {
  /** The resource holding the cases. */
  static final String RESOURCE = "/golden/sparse.json";

  /** The op names of the cases; each has a row below. */
  static final List<String> OPS = List.of("torch.sparse_coo_tensor", "Tensor.coalesce", "torch.sparse.mm",
      "sparse.add", "Tensor.to_sparse");

  static {
    GoldenOps.register("torch.sparse_coo_tensor", (in, a) -> SparseCooTensor.of(in.get(0), in.get(1), a.ints("size"))
        .toDense());
    GoldenOps.register("Tensor.coalesce", (in, a) -> {
      SparseCooTensor c = SparseCooTensor.of(in.get(0), in.get(1), a.ints("size")).coalesce();
      return a.string("output", "values").equals("indices") ? c.indices() : c.values();
    });
    GoldenOps.register("torch.sparse.mm", (in, a) -> Sparse.mm(SparseCooTensor.of(in.get(0), in.get(1),
        a.ints("size")), in.get(2)));
    GoldenOps.register("sparse.add", (in, a) -> SparseCooTensor.of(in.get(0), in.get(1), a.ints("size"))
        .add(SparseCooTensor.of(in.get(2), in.get(3), a.ints("size"))).toDense());
    GoldenOps.register("Tensor.to_sparse", (in, a) -> {
      SparseCooTensor s = in.get(0).toSparse();
      return a.string("output", "values").equals("indices") ? s.indices() : s.values();
    });
  }

  private static List<Golden.Case> cases;

  @Parameter
  Device device;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void casesMatchPyTorch(String dtypeName) {
    synchronized (SparseGoldenConformanceTest.class) {
      if (cases == null) {
        cases = Golden.loadResource(RESOURCE);
      }
    }
    assertEquals(OPS.stream().sorted().collect(Collectors.toList()),
        cases.stream().map(Golden.Case::op).distinct().sorted().collect(Collectors.toList()),
        "OPS lists exactly the ops of " + RESOURCE);
    DType dtype = DType.parse(dtypeName);
    List<Golden.Outcome> outcomes = Golden.run(cases, device, dtype);
    List<String> failures = Golden.failures(outcomes);
    System.out.println("golden/sparse[" + device + "," + dtype + "]: " + (outcomes.size() - failures.size())
        + " of " + outcomes.size() + " passed");
    assertTrue(failures.isEmpty(), "golden/sparse[" + device + "," + dtype + "]:\n  "
        + String.join("\n  ", failures));
  }
}
