package dev.ember.conformance;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.nn.Dropout2d;
import dev.ember.nn.Unfold;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/** float64 gradient checks of the nn modules Unfold (batched and unbatched) and Dropout2d, per device. */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class NnModuleGradCheckConformanceTest {
  @Parameter
  Device device;

  private Tensor randn(int... shape) {
    return Checks.randn(new Random(3), DType.FLOAT64, device, shape);
  }

  @Test
  void unfoldModule() {
    Unfold unfold = new Unfold(new int[] {2, 3}, new int[] {2, 1}, new int[] {1}, new int[] {1, 2});
    GradCheck.check(in -> unfold.call(in[0]), randn(2, 2, 5, 6));
    GradCheck.check(in -> unfold.call(in[0]), randn(2, 5, 6));
  }

  @Test
  void dropout2dModule() {
    GradCheck.check(in -> new Dropout2d(0.4, new Generator(5)).call(in[0]), randn(2, 3, 2, 2));
  }
}
