package dev.ember.conformance;

import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.Tensor;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Float64 finite-difference gradient checks ({@link GradCheck}) of the differentiable names of
 * issue 12 part A, on every device, including non-contiguous inputs and, for the ops that record
 * their own gradient ({@code diagonal}, {@code diag}, {@code cumprod}), second derivatives.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class IndexingGradCheckConformanceTest {
  @Parameter
  Device device;

  private Tensor randn(long seed, int... shape) {
    return Checks.randn(new Random(seed), device, shape);
  }

  private Tensor longs(long[] values, int... shape) {
    return Tensor.of(values, shape).to(device);
  }

  private static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
    GradCheck.check(f, inputs);
  }

  @Test
  void sortAndTopkValues() {
    Tensor x = randn(1, 3, 5);
    check(in -> in[0].sort(-1, false).values(), x);
    check(in -> in[0].sort(0, true).values(), x);
    check(in -> in[0].topk(2, 1, true, true).values(), x);
    check(in -> in[0].t().topk(3, 0, false, true).values(), x); // a transposed view
  }

  @Test
  void flipRollUnbindRepeatInterleave() {
    Tensor x = randn(2, 2, 3, 4);
    check(in -> in[0].flip(0, -1), x);
    check(in -> in[0].roll(new int[] {-1, 2}, new int[] {1, 0}), x);
    check(in -> in[0].roll(5), x);
    check(in -> in[0].unbind(1).get(2).mul(in[0].unbind(-1).get(1).sum(1, true)), x);
    check(in -> in[0].repeatInterleave(2, 1), x);
    check(in -> in[0].t().repeatInterleave(longs(new long[] {0, 2, 1, 3}, 4), 0), randn(3, 3, 4));
  }

  @Test
  void diagonalDiagTraceDot() {
    Tensor x = randn(3, 2, 3, 4);
    check(in -> in[0].diagonal(1, 0, 2), x);
    check(in -> in[0].diagonal(-1, -1, 0), x);
    check(in -> in[0].diag(-1), randn(4, 4));
    check(in -> in[0].diag(2), randn(5, 3));
    check(in -> in[0].t().diag(1), randn(5, 3, 4)); // diagonal of a transposed view
    check(in -> in[0].trace(), randn(6, 4, 3));
    check(in -> in[0].dot(in[1]), randn(7, 5), randn(8, 5));
  }

  @Test
  void diagonalAndCumprodSecondDerivatives() {
    GradCheck.check(GradCheckConformanceTest.firstGradient(in -> in[0].diagonal(1, 0, 1).mul(in[0].diagonal(1, 0, 1)),
        0, 9), randn(9, 3, 4));
    GradCheck.check(GradCheckConformanceTest.firstGradient(in -> in[0].diag(1).pow(2), 0, 10), randn(10, 3));
    GradCheck.check(GradCheckConformanceTest.firstGradient(in -> in[0].cumprod(1), 0, 11), randn(11, 2, 4));
  }

  @Test
  void cumprodWithAndWithoutZeros() {
    check(in -> in[0].cumprod(1), randn(12, 3, 4));
    check(in -> in[0].permute(1, 0).cumprod(0), randn(13, 4, 3)); // a permuted view
    Tensor zeros = Tensor.of(new double[] {1.5, 0, 2, -1, 0, 3, 0, 2, 2, -0.5, 1.5, 0}, 3, 4).to(device);
    check(in -> in[0].cumprod(-1), zeros);
    check(in -> in[0].cumprod(0), zeros);
  }

  @Test
  void scatterIndexAddMaskedSelect() {
    Tensor index = longs(new long[] {0, 2, 1, 0, 2, 2, 0, 1}, 2, 4);
    check(in -> in[0].scatter(0, index, in[1]), randn(14, 3, 4), randn(15, 2, 4));
    check(in -> in[0].scatter(1, longs(new long[] {3, 0, 1, 1}, 2, 2), in[1]), randn(16, 2, 4), randn(17, 2, 3));
    check(in -> in[0].scatter(0, index, 1.5), randn(18, 3, 4));
    check(in -> in[0].clone().scatterInPlace(0, index, in[1]), randn(19, 3, 4), randn(20, 2, 4));
    check(in -> in[0].indexAdd(1, longs(new long[] {2, 0, 2}, 3), in[1]), randn(21, 2, 4), randn(22, 2, 3));
    check(in -> in[0].clone().indexAddInPlace(0, longs(new long[] {1, 1}, 2), in[1], -0.5),
        randn(23, 3, 2), randn(24, 2, 2));
    Tensor mask = Tensor.of(new boolean[] {true, false, true, true}, 4).to(device);
    check(in -> in[0].maskedSelect(mask), randn(25, 3, 4));
  }

  @Test
  void meshgridExpandAsTransposes() {
    check(in -> Tensor.meshgrid(List.of(in[0], in[1]), "xy").get(0).mul(Tensor.meshgrid(in[0], in[1]).get(1).t()),
        randn(26, 3), randn(27, 2));
    check(in -> in[0].expandAs(in[1]).mul(in[1]), randn(28, 1, 4), randn(29, 3, 4));
    check(in -> in[0].mT().matmul(in[0]), randn(30, 2, 3, 4));
    check(in -> in[0].T().mul(in[0].T()), randn(31, 2, 3, 4));
  }

  @Test
  void unfoldWindowsOverlapAndLeaveARemainder() {
    check(in -> in[0].unfold(1, 3, 1), randn(32, 2, 5));
    check(in -> in[0].unfold(0, 2, 3), randn(33, 7, 2)); // the last element is in no window
    check(in -> in[0].t().unfold(-1, 2, 1).unfold(0, 2, 2), randn(34, 3, 5)); // windows of windows of a view
    GradCheck.check(GradCheckConformanceTest.firstGradient(in -> in[0].unfold(0, 2, 1).pow(2), 0, 35), randn(35, 4));
  }
}
