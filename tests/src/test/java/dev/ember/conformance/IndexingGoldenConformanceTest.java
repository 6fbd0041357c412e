package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.ops.Reductions;
import dev.ember.ops.Sorting;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays PyTorch's vectors for the sorting, indexing and rearranging names of issue 12 part A
 * ({@code golden/indexing.json}, written by scripts/golden/indexing.py) on every device, in float64
 * and float32: outputs, int64 indices and every input gradient. Every case must pass. The rows are
 * registered with {@link GoldenOps#register} from this class's static initializer.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class IndexingGoldenConformanceTest {
  /** The resource holding the cases. */
  static final String RESOURCE = "/golden/indexing.json";

  /** The PyTorch op names of the cases; each has a row below. */
  static final List<String> OPS = List.of("torch.sort", "torch.argsort", "torch.topk", "torch.flip",
      "torch.roll", "torch.unbind", "torch.diagonal", "torch.diag", "torch.trace", "torch.dot", "torch.scatter",
      "torch.index_add", "torch.masked_select", "torch.nonzero", "torch.count_nonzero", "torch.bincount",
      "torch.unique", "torch.bucketize", "torch.cumprod", "torch.repeat_interleave", "torch.meshgrid",
      "Tensor.expand_as", "Tensor.mT", "Tensor.T", "Tensor.unfold");

  static {
    GoldenOps.register("torch.sort", (in, a) -> pick(in.get(0).sort(a.integer("dim", -1),
        a.bool("descending", false), a.bool("stable", false)), a));
    GoldenOps.register("torch.argsort", (in, a) -> in.get(0).argsort(a.integer("dim", -1),
        a.bool("descending", false), a.bool("stable", false)));
    GoldenOps.register("torch.topk", (in, a) -> pick(in.get(0).topk(a.integer("k", 1), a.integer("dim", -1),
        a.bool("largest", true), a.bool("sorted", true)), a));
    GoldenOps.register("torch.flip", (in, a) -> in.get(0).flip(a.ints("dims")));
    GoldenOps.register("torch.roll", (in, a) -> in.get(0).roll(a.ints("shifts"), a.ints("dims")));
    GoldenOps.register("torch.unbind", (in, a) -> in.get(0).unbind(a.integer("dim", 0))
        .get(a.integer("output_index", 0)));
    GoldenOps.register("torch.diagonal", (in, a) -> in.get(0).diagonal(a.integer("offset", 0),
        a.integer("dim1", 0), a.integer("dim2", 1)));
    GoldenOps.register("torch.diag", (in, a) -> in.get(0).diag(a.integer("diagonal", 0)));
    GoldenOps.register("torch.trace", (in, a) -> in.get(0).trace());
    GoldenOps.register("torch.dot", (in, a) -> in.get(0).dot(in.get(1)));
    GoldenOps.register("torch.scatter", (in, a) -> a.has("value")
        ? in.get(0).scatter(a.integer("dim", 0), in.get(1), a.number("value", 0))
        : in.get(0).scatter(a.integer("dim", 0), in.get(1), in.get(2)));
    GoldenOps.register("torch.index_add", (in, a) -> a.has("alpha")
        ? in.get(0).clone().indexAddInPlace(a.integer("dim", 0), in.get(1), in.get(2), a.number("alpha", 1))
        : in.get(0).indexAdd(a.integer("dim", 0), in.get(1), in.get(2)));
    GoldenOps.register("torch.masked_select", (in, a) -> in.get(0).maskedSelect(in.get(1)));
    GoldenOps.register("torch.nonzero", (in, a) -> in.get(0).nonzero());
    GoldenOps.register("torch.count_nonzero", (in, a) -> a.has("dim")
        ? in.get(0).countNonzero(a.ints("dim")) : in.get(0).countNonzero());
    GoldenOps.register("torch.bincount", (in, a) -> in.size() > 1
        ? in.get(0).bincount(in.get(1), a.integer("minlength", 0)) : in.get(0).bincount());
    GoldenOps.register("torch.unique", (in, a) -> {
      Sorting.Unique u = in.get(0).unique();
      return switch (a.string("output", "values")) {
        case "values" -> u.values();
        case "inverse" -> u.inverse();
        case "counts" -> u.counts();
        default -> throw new IllegalArgumentException("unique: output " + a.string("output", ""));
      };
    });
    GoldenOps.register("torch.bucketize", (in, a) -> Tensor.bucketize(in.get(0), in.get(1), a.bool("right", false)));
    GoldenOps.register("torch.cumprod", (in, a) -> in.get(0).cumprod(a.integer("dim", 0)));
    GoldenOps.register("torch.repeat_interleave", (in, a) -> in.size() > 1
        ? in.get(0).repeatInterleave(in.get(1), a.integer("dim", 0))
        : a.has("dim") ? in.get(0).repeatInterleave(a.integer("repeats", 1), a.integer("dim", 0))
        : in.get(0).repeatInterleave(a.integer("repeats", 1)));
    GoldenOps.register("torch.meshgrid", (in, a) -> Tensor.meshgrid(in, a.string("indexing", "ij"))
        .get(a.integer("output_index", 0)));
    GoldenOps.register("Tensor.expand_as", (in, a) -> in.get(0).expandAs(in.get(1)));
    GoldenOps.register("Tensor.mT", (in, a) -> in.get(0).mT());
    GoldenOps.register("Tensor.T", (in, a) -> in.get(0).T());
    GoldenOps.register("Tensor.unfold", (in, a) -> in.get(0).unfold(a.integer("dimension", 0), a.integer("size", 1),
        a.integer("step", 1)));
  }

  private static List<Golden.Case> cases;

  @Parameter
  Device device;

  private static Tensor pick(Reductions.ValuesIndices vi, GoldenOps.Attrs a) {
    Tensor out = a.string("output", "values").equals("indices") ? vi.indices() : vi.values();
    if (out == vi.indices()) {
      assertEquals(DType.INT64, out.dtype(), "indices are int64");
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void casesMatchPyTorch(String dtypeName) {
    synchronized (IndexingGoldenConformanceTest.class) {
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
    System.out.println("golden/indexing[" + device + "," + dtype + "]: " + (outcomes.size() - failures.size())
        + " of " + outcomes.size() + " passed");
    assertTrue(failures.isEmpty(), "golden/indexing[" + device + "," + dtype + "]:\n  "
        + String.join("\n  ", failures));
  }
}
