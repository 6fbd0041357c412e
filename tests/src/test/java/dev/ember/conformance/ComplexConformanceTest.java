package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Complex tensors (complex64/complex128, lowered to real ops on {@code Tensor.viewAsReal}) on every
 * device: PyTorch's values and gradients ({@code golden/complex.json}, written by
 * scripts/golden/complex.py, in float64 and float32) including LLaMA's rotary embedding, float64
 * gradchecks through viewAsComplex/mul/viewAsReal, the views' storage sharing and checks, printing,
 * and the clear errors for what complex tensors don't support.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class ComplexConformanceTest {
  /** The resource holding the cases. */
  static final String RESOURCE = "/golden/complex.json";

  static {
    unary("complex/torch.view_as_real", c -> c);
    GoldenOps.register("complex/torch.view_as_complex", (in, a) ->
        Tensor.viewAsReal(Tensor.viewAsComplex(in.get(0).slice(1, 1, 3, 1)).mul(2)));
    GoldenOps.register("complex/torch.polar", (in, a) -> Tensor.viewAsReal(Tensor.polar(in.get(0), in.get(1))));
    GoldenOps.register("complex/torch.complex", (in, a) ->
        Tensor.viewAsReal(Tensor.complex(in.get(0), in.get(1))));
    binary("complex/torch.add", Tensor::add);
    binary("complex/torch.sub", Tensor::sub);
    binary("complex/torch.mul", Tensor::mul);
    binary("complex/torch.div", Tensor::div);
    unary("complex/torch.abs", Tensor::abs);
    unary("complex/torch.angle", Tensor::angle);
    unary("complex/torch.conj", Tensor::conj);
    unary("complex/torch.neg", Tensor::neg);
    unary("complex/Tensor.real", Tensor::real);
    unary("complex/Tensor.imag", Tensor::imag);
    binary("complex/abs_of_product", (x, y) -> x.mul(y.conj()).abs());
    GoldenOps.register("complex/torch.sum", (in, a) -> real(a.has("dim")
        ? complexInputs(in, a).get(0).sum(a.ints("dim"), a.bool("keepdim", false))
        : complexInputs(in, a).get(0).sum()));
    GoldenOps.register("complex/torch.mean", (in, a) ->
        real(complexInputs(in, a).get(0).mean(a.ints("dim"), a.bool("keepdim", false))));
    GoldenOps.register("complex/torch.cat", (in, a) ->
        real(dev.ember.ops.Shaping.cat(complexInputs(in, a), a.integer("dim", 0))));
    GoldenOps.register("complex/torch.stack", (in, a) ->
        real(dev.ember.ops.Shaping.stack(complexInputs(in, a), a.integer("dim", 0))));
    unary("complex/Tensor.reshape", c -> c.transpose(0, 2).reshape(4, 6));
    unary("complex/Tensor.flatten", c -> c.flatten(1));
    unary("complex/Tensor.unsqueeze", c -> c.unsqueeze(1).expand(2, 5, 3, 4).mul(1));
    unary("complex/select_narrow", c -> c.select(0, 1).narrow(1, 1, 2).contiguous());
    GoldenOps.register("rotary/apply_rotary_emb", (in, a) -> applyRotaryEmb(in.get(0), in.get(1)));
  }

  /**
   * LLaMA's {@code apply_rotary_emb} (with {@code precompute_freqs_cis}'s polar and {@code
   * reshape_for_broadcast}'s view) ported line by line; {@code xq.float()} is left out as in the
   * golden script, so float64 runs stay float64.
   */
  static Tensor applyRotaryEmb(Tensor xq, Tensor freqs) {
    Tensor freqsCis = Tensor.polar(Tensor.onesLike(freqs), freqs);
    int[] s = xq.shapeArray();
    Tensor xq_ = Tensor.viewAsComplex(xq.reshape(s[0], s[1], s[2], -1, 2));
    freqsCis = freqsCis.view(1, xq_.size(1), 1, xq_.size(-1));
    Tensor xqOut = Tensor.viewAsReal(xq_.mul(freqsCis)).flatten(3);
    return xqOut.to(xq.dtype());
  }

  private static void unary(String op, java.util.function.UnaryOperator<Tensor> f) {
    GoldenOps.register(op, (in, a) -> real(f.apply(complexInputs(in, a).get(0))));
  }

  private static void binary(String op, java.util.function.BinaryOperator<Tensor> f) {
    GoldenOps.register(op, (in, a) -> {
      List<Tensor> c = complexInputs(in, a);
      return real(f.apply(c.get(0), c.get(1)));
    });
  }

  /** Returns the inputs with those listed in {@code complex_inputs} viewed as complex. */
  private static List<Tensor> complexInputs(List<Tensor> in, GoldenOps.Attrs a) {
    int[] which = a.ints("complex_inputs");
    Tensor[] out = in.toArray(new Tensor[0]);
    for (int i : which == null ? new int[0] : which) {
      out[i] = Tensor.viewAsComplex(out[i]);
    }
    return List.of(out);
  }

  /** Returns a complex result's real view (the stored form), a real one as it is. */
  private static Tensor real(Tensor t) {
    return t.isComplex() ? Tensor.viewAsReal(t) : t;
  }

  private static List<Golden.Case> cases;

  @Parameter
  Device device;

  private Tensor randn(long seed, int... shape) {
    return Checks.randn(new Random(seed), device, shape);
  }

  /** A complex128 tensor of {@code shape} from float64 normals. */
  private Tensor crandn(long seed, int... shape) {
    int[] real = Arrays.copyOf(shape, shape.length + 1);
    real[shape.length] = 2;
    return Tensor.viewAsComplex(randn(seed, real));
  }

  private Tensor c64(double... reIm) {
    return Tensor.viewAsComplex(Tensor.of(reIm, reIm.length / 2, 2).to(DType.FLOAT32).to(device));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float64", "float32"})
  void casesMatchPyTorch(String dtypeName) {
    synchronized (ComplexConformanceTest.class) {
      if (cases == null) {
        cases = Golden.loadResource(RESOURCE);
      }
    }
    DType dtype = DType.parse(dtypeName);
    List<Golden.Outcome> outcomes = Golden.run(cases, device, dtype);
    List<String> failures = Golden.failures(outcomes);
    System.out.println("golden/complex[" + device + "," + dtype + "]: " + (outcomes.size() - failures.size())
        + " of " + outcomes.size() + " passed");
    assertTrue(outcomes.size() >= 39, "golden/complex: " + outcomes.size() + " cases");
    assertTrue(failures.isEmpty(), "golden/complex[" + device + "," + dtype + "]:\n  "
        + String.join("\n  ", failures));
  }

  @Test
  void gradchecksThroughViewAsComplexMulAndViewAsReal() {
    Function<Tensor[], Tensor> rotate = in -> Tensor.viewAsReal(Tensor.viewAsComplex(in[0])
        .mul(Tensor.polar(in[1].abs(), in[2]))).flatten(1);
    GradCheck.check(rotate, randn(1, 3, 4, 2), randn(2, 4), randn(3, 3, 1));
    // Rotary embedding: gradients for the queries and the angles.
    GradCheck.check(in -> applyRotaryEmb(in[0], in[1]), randn(4, 2, 3, 2, 4), randn(5, 3, 2));
    // Division, conj, abs (away from 0), angle, complex * real broadcasting, sum and mean.
    GradCheck.check(in -> Tensor.viewAsReal(Tensor.viewAsComplex(in[0]).div(Tensor.viewAsComplex(in[1]))),
        randn(6, 2, 3, 2), randn(7, 3, 2));
    GradCheck.check(in -> Tensor.viewAsComplex(in[0]).conj().mul(Tensor.viewAsComplex(in[0])).abs(),
        randn(8, 4, 2));
    GradCheck.check(in -> Tensor.viewAsComplex(in[0]).angle().mul(in[1]), randn(9, 5, 2), randn(10, 5));
    GradCheck.check(in -> Tensor.viewAsReal(Tensor.viewAsComplex(in[0]).mul(in[1]).sum(0, false)),
        randn(11, 2, 3, 2), randn(12, 3));
    GradCheck.check(in -> Tensor.viewAsComplex(in[0]).transpose(0, 1).reshape(-1).mean().real(),
        randn(13, 2, 3, 2));
    GradCheck.check(in -> Tensor.complex(in[0], in[1]).sub(in[1]).imag().mul(in[0]), randn(14, 4), randn(15, 4));
  }

  /**
   * LLaMA's rotary embedding as written for bfloat16 training: {@code xq.float()} before
   * view_as_complex, {@code type_as(xq)} after view_as_real. The bfloat16 result and gradient are the
   * float32 computation's, rounded once.
   */
  @Test
  void rotaryEmbeddingPortsLineByLineInBfloat16() {
    Tensor xq = randn(50, 2, 5, 3, 8).to(DType.BFLOAT16).requiresGrad(true);
    Tensor freqs = randn(51, 5, 4).to(DType.FLOAT32).requiresGrad(true);
    // freqs_cis = torch.polar(torch.ones_like(freqs), freqs)
    Tensor freqsCis = Tensor.polar(Tensor.onesLike(freqs), freqs);
    // xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    Tensor xq_ = Tensor.viewAsComplex(xq.to(DType.FLOAT32).reshape(2, 5, 3, -1, 2));
    // freqs_cis = reshape_for_broadcast(freqs_cis, xq_): freqs_cis.view(1, seqlen, 1, dim / 2)
    freqsCis = freqsCis.view(1, xq_.size(1), 1, xq_.size(-1));
    // xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3); return xq_out.type_as(xq)
    Tensor out = Tensor.viewAsReal(xq_.mul(freqsCis)).flatten(3).to(xq.dtype());
    assertEquals(DType.BFLOAT16, out.dtype());
    assertArrayEquals(new int[] {2, 5, 3, 8}, out.shapeArray());

    Tensor xq32 = xq.detach().to(DType.FLOAT32).requiresGrad(true);
    Tensor freqs32 = freqs.detach().clone().requiresGrad(true);
    Tensor reference = applyRotaryEmb(xq32, freqs32);
    assertArrayEquals(reference.to(DType.BFLOAT16).toFloatArray(), out.toFloatArray());
    Tensor go = randn(52, 2, 5, 3, 8).to(DType.BFLOAT16);
    out.backward(go);
    reference.backward(go.to(DType.FLOAT32));
    assertEquals(DType.BFLOAT16, xq.grad().dtype());
    assertArrayEquals(xq32.grad().to(DType.BFLOAT16).toFloatArray(), xq.grad().toFloatArray());
    assertArrayEquals(freqs32.grad().toFloatArray(), freqs.grad().toFloatArray());
  }

  @Test
  void gradientsOfGradientsFlowThroughComplexViews() {
    // L = sum |c[1:3] * w|^2 over a complex leaf c; dL/dc (createGraph) is itself differentiable.
    Tensor c = crandn(40, 4).detach().requiresGrad(true);
    Tensor w = crandn(41, 2);
    Tensor loss = c.narrow(0, 1, 2).mul(w).abs().square().sum();
    Tensor g = dev.ember.Autograd.grad(new Tensor[] {loss}, new Tensor[] {c}, null, true, true, false)[0];
    assertEquals(DType.COMPLEX128, g.dtype());
    // dL/dc = 2 c |w|^2 on the slice, 0 elsewhere; d(sum Re(dL/dc))/d Re(c) = 2 |w|^2 there.
    Tensor w2 = w.abs().square();
    Checks.assertClose(Tensor.viewAsReal(c.narrow(0, 1, 2).mul(w2.mul(2))).detach().contiguous().toDoubleArray(),
        Tensor.viewAsReal(g.narrow(0, 1, 2)).detach().contiguous().toDoubleArray(), 1e-12, "first derivative");
    g.real().sum().backward();
    double[] second = Tensor.viewAsReal(c.grad()).contiguous().toDoubleArray();
    double[] w2v = w2.toDoubleArray();
    assertArrayEquals(new double[] {0, 0, 2 * w2v[0], 0, 2 * w2v[1], 0, 0, 0}, second, 1e-12);
  }

  @Test
  void viewsShareStorageWithPyTorchsLayout() {
    Tensor c = crandn(20, 2, 3);
    assertEquals(DType.COMPLEX128, c.dtype());
    assertTrue(c.isComplex());
    assertArrayEquals(new int[] {2, 3}, c.shapeArray());
    assertArrayEquals(new int[] {3, 1}, c.stridesArray());
    Tensor r = Tensor.viewAsReal(c.transpose(0, 1));
    assertEquals(DType.FLOAT64, r.dtype());
    assertArrayEquals(new int[] {3, 2, 2}, r.shapeArray());
    assertArrayEquals(new int[] {2, 6, 1}, r.stridesArray());
    // Writes through one view show in the other (no autograd recorded).
    Tensor x = Tensor.zeros(Shape.of(2, 2), DType.FLOAT32, device);
    Tensor z = Tensor.viewAsComplex(x);
    assertEquals(DType.COMPLEX64, z.dtype());
    z.addInPlace(c64(1, 2, 3, -4));
    assertArrayEquals(new float[] {1, 2, 3, -4}, x.toFloatArray());
    z.imag().mulInPlace(10);
    assertArrayEquals(new float[] {1, 20, 3, -40}, x.toFloatArray());
    assertArrayEquals(new float[] {1, 3}, z.real().contiguous().toFloatArray());
    // A view at an odd offset or with an odd stride can't be complex: PyTorch's messages.
    Tensor flat = Tensor.zeros(Shape.of(6), DType.FLOAT32, device);
    assertMessage("storage_offset divisible by 2", () -> Tensor.viewAsComplex(flat.narrow(0, 1, 4).view(2, 2)));
    assertMessage("last dimension of size 2", () -> Tensor.viewAsComplex(flat.view(2, 3)));
    assertMessage("last dimension with stride 1", () -> Tensor.viewAsComplex(flat.view(2, 3).t().narrow(0, 0, 3)
        .narrow(1, 0, 2)));
    assertMessage("stride divisible by 2", () -> Tensor.viewAsComplex(Tensor.zeros(Shape.of(3, 3), DType.FLOAT32,
        device).narrow(1, 0, 2)));
    assertMessage("only supported for float and double", () -> Tensor.viewAsComplex(flat.view(3, 2).half()));
    assertMessage("one or more dimensions", () -> Tensor.viewAsComplex(Tensor.zeros(Shape.scalar(), DType.FLOAT32,
        device)));
    assertMessage("only supported for complex tensors", () -> Tensor.viewAsReal(flat));
    assertMessage("imag is not implemented for tensors with non-complex dtypes", flat::imag);
    assertSame(flat, flat.real());
    assertSame(flat, flat.conj());
  }

  @Test
  void leafGradientsFollowPyTorchsConvention() {
    // PyTorch: x = [[1+2j, 3-1j], [0.5j, 2]]; ((x * x.conj()).real.sum() + 0.5 * (x*x).imag.sum()).backward()
    // gives x.grad = dL/da + i dL/db = [[4+5j, 5+1j], [0.5+1j, 4+2j]].
    Tensor x = Tensor.viewAsComplex(Tensor.of(new double[] {1, 2, 3, -1, 0, 0.5, 2, 0}, 2, 2, 2).to(device))
        .detach().requiresGrad(true);
    assertTrue(x.isLeaf() && x.requiresGrad());
    Tensor loss = x.mul(x.conj()).real().sum().add(x.mul(x).imag().sum().mul(0.5));
    loss.backward();
    assertEquals(DType.COMPLEX128, x.grad().dtype());
    assertArrayEquals(new double[] {4, 5, 5, 1, 0.5, 1, 4, 2}, Tensor.viewAsReal(x.grad()).contiguous()
        .toDoubleArray(), 1e-12);
    // A second backward accumulates (complex add); abs at 0 has gradient 0, as PyTorch's.
    Tensor y = Tensor.viewAsComplex(Tensor.of(new double[] {3, 4, 0, 0}, 2, 2).to(device)).detach().requiresGrad(true);
    y.abs().sum().backward();
    y.abs().sum().backward();
    assertArrayEquals(new double[] {1.2, 1.6, 0, 0}, Tensor.viewAsReal(y.grad()).contiguous().toDoubleArray(), 1e-12);
  }

  @Test
  void promotionCastsAndCreation() {
    Tensor c = c64(1, 2, 3, 4);
    assertEquals(DType.COMPLEX128, c.mul(Tensor.of(new double[] {2, 3}).to(device)).dtype());
    assertEquals(DType.COMPLEX64, c.mul(Tensor.scalar(2, DType.FLOAT64).to(device)).dtype());
    assertEquals(DType.COMPLEX64, Tensor.ones(Shape.of(3), DType.FLOAT32, device).mul(c.sum()).dtype());
    assertEquals(DType.COMPLEX128, DType.promote(DType.COMPLEX64, DType.FLOAT64));
    assertEquals(DType.COMPLEX64, DType.promote(DType.COMPLEX64, DType.INT64));
    assertEquals(DType.COMPLEX128, DType.parse("cdouble"));
    Tensor wide = c.to(DType.COMPLEX128);
    assertEquals(DType.COMPLEX128, wide.dtype());
    assertArrayEquals(new double[] {1, 2, 3, 4}, Tensor.viewAsReal(wide).toDoubleArray());
    assertArrayEquals(new double[] {2, 0, 5, 0}, Tensor.viewAsReal(Tensor.of(new double[] {2, 5}).to(device)
        .to(DType.COMPLEX128)).toDoubleArray());
    assertMessage("would discard the imaginary part", () -> c.to(DType.FLOAT32));
    assertArrayEquals(new float[] {3, 0, 3, 0}, Tensor.viewAsReal(Tensor.full(Shape.of(2), 3, DType.COMPLEX64,
        device)).toFloatArray());
    assertArrayEquals(new float[] {0, 0}, Tensor.viewAsReal(Tensor.zerosLike(c.select(0, 0))).toFloatArray());
    assertArrayEquals(new float[] {3, 2, 5, 4}, Tensor.viewAsReal(c.add(2)).toFloatArray());
    assertArrayEquals(new float[] {-1, -2, -3, -4}, Tensor.viewAsReal(c.neg()).toFloatArray());
    assertArrayEquals(new float[] {-4, 2, -6, 17}, Tensor.viewAsReal(c.mul(c64(0, 2, 2, 3))).toFloatArray());
    assertArrayEquals(new float[] {1, -2, 3, -4}, Tensor.viewAsReal(c.conj()).toFloatArray());
    assertEquals(DType.COMPLEX64, c.contiguous().clone().dtype());
    Tensor onOther = c.to(device);
    assertSame(c, onOther);
  }

  @Test
  void divisionAndAbsNeitherOverflowNorUnderflowAsPyTorchs() {
    // PyTorch 2.13, complex64: a / b and abs, with parts whose squares leave float32's range.
    Tensor a = c64(1, 1, 1, 1, 3e30, 4e30, 1e-30, 1e-30, 1, 2);
    Tensor b = c64(0, 0, 2e30, 1e30, 1, 1, 1e-30, 2e-30, 3, -4);
    float inf = Float.POSITIVE_INFINITY;
    float[] expected = {inf, inf, 6e-31f, 2e-31f, 3.5e30f, 5e29f, 0.6f, -0.2f, -0.2f, 0.4f};
    assertRelative(expected, Tensor.viewAsReal(a.div(b)).toFloatArray());
    assertRelative(new float[] {5e30f, inf, Float.NaN, 0, 5}, c64(3e30, 4e30, inf, 1, Float.NaN, 1, 0, 0, 3, -4)
        .abs().toFloatArray());
  }

  private static void assertRelative(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      float tolerance = Float.isFinite(expected[i]) ? Math.abs(expected[i]) * 1e-6f : 0;
      assertEquals(expected[i], actual[i], tolerance, "element " + i);
    }
  }

  @Test
  void printsLikePyTorch() {
    Tensor a = Tensor.complex(Tensor.of(new float[] {1, -2.5f, 0}), Tensor.of(new float[] {2, 3, -1}));
    assertEquals("tensor([ 1.0000+2.j, -2.5000+3.j,  0.0000-1.j])", a.toString());
    Tensor b = Tensor.complex(Tensor.of(new double[][] {{1, 2}, {3, 4}}), Tensor.of(new double[][] {{0.5, -1},
        {100, 0}}));
    assertEquals("tensor([[1.+0.5000j, 2.-1.0000j],\n        [3.+100.0000j, 4.+0.0000j]], dtype=torch.complex128)",
        b.toString());
    assertEquals("tensor([ 1.0000+0.0000j,  0.5403+0.8415j, -0.4161+0.9093j, -0.9900+0.1411j,\n"
        + "        -0.6536-0.7568j,  0.2837-0.9589j,  0.9602-0.2794j,  0.7539+0.6570j,\n"
        + "        -0.1455+0.9894j, -0.9111+0.4121j, -0.8391-0.5440j,  0.0044-1.0000j])",
        Tensor.polar(Tensor.ones(12), Tensor.arange(0, 12, 1, DType.FLOAT32)).toString());
    assertEquals("tensor(-1.5000-2.j)", Tensor.complex(Tensor.scalar(-1.5), Tensor.scalar(-2)).toString());
    assertEquals("tensor([0.+0.j, 0.+0.j])", Tensor.zeros(Shape.of(2), DType.COMPLEX64, Device.CPU).toString());
  }

  @Test
  void everyOtherOpRaisesNamingItAndTheDtype() {
    Tensor c = c64(1, 2, 3, 4);
    assertMessage("exp: not implemented for complex64 tensors", c::exp);
    assertMessage("matmul: only floating dtypes are supported, got complex64", () -> c.matmul(c));
    assertMessage("pow: not implemented for complex64", () -> c.pow(2));
    assertMessage("item: not implemented for complex64", () -> c.sum().item());
    assertMessage("toFloatArray: not implemented for complex64", c::toFloatArray);
    assertMessage("maximum: not implemented for complex64", () -> c.maximum(c));
    // Only real scalars start a backward; in-place ops on complex tensors are not recorded.
    Tensor x = crandn(30, 3).detach().requiresGrad(true);
    assertMessage("grad can be implicitly created only for real scalar outputs but got complex128",
        () -> x.mul(x).sum().backward());
    Tensor y = x.mul(2);
    assertThrows(IllegalStateException.class, () -> y.addInPlace(x));
    Tensor r = randn(31, 3, 2).requiresGrad(true);
    Tensor shared = r.mul(1);
    Tensor.viewAsComplex(shared);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> shared.mulInPlace(r));
    assertTrue(e.getMessage().contains("viewAsReal/viewAsComplex"), e.getMessage());
    try (GradMode off = GradMode.noGrad()) {
      y.addInPlace(x); // nothing recorded: allowed
    }
    assertFalse(y.isLeaf());
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable op) {
    RuntimeException e = assertThrows(RuntimeException.class, op);
    assertTrue(e.getMessage() != null && e.getMessage().contains(expected), "expected '" + expected + "' in: "
        + e.getMessage());
  }
}
