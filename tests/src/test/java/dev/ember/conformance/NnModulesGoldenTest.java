package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.GradCheck;
import dev.ember.Tensor;
import dev.ember.io.Json;
import dev.ember.nn.Conv3d;
import dev.ember.ops.Convolution3d;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch parity of conv3d (golden/nn-modules.json, from scripts/golden/nn-modules.py): output and
 * every input gradient, float64 (1e-10 relative) and float32 (1e-4 relative plus 1e-4 times the
 * largest expected magnitude: outputs and weight gradients are sums of up to C * kd * kh * kw or N *
 * od * oh * ow float32 products, whose rounding scales with the terms, not the possibly cancelling
 * result), on every device; plus conv3d's float64 gradcheck, double-backward and error messages.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class NnModulesGoldenTest {
  static {
    GoldenOps.register("torch.nn.functional.conv3d", (in, a) -> Convolution3d.conv3d(in.get(0), in.get(1),
        in.size() > 2 ? in.get(2) : null, a.has("stride") ? a.ints("stride") : new int[] {1},
        a.has("padding") ? a.ints("padding") : new int[] {0}, a.has("dilation") ? a.ints("dilation") : new int[] {1},
        a.integer("groups", 1)));
  }

  @Parameter
  Device device;

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> cases() throws IOException {
    try (InputStream in = NnModulesGoldenTest.class.getResourceAsStream("/golden/nn-modules.json")) {
      Map<String, Object> root = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      return (List<Map<String, Object>>) (List<?>) root.get("cases");
    }
  }

  private Tensor tensor(Map<String, Object> spec, DType dtype) {
    return Tensor.of(Json.toDoubleArray(spec.get("data")), Json.toIntArray(spec.get("shape"))).to(dtype).to(device);
  }

  @SuppressWarnings("unchecked")
  private void compare(String what, Tensor actual, Map<String, Object> expected, DType dtype) {
    double[] e = Json.toDoubleArray(expected.get("data"));
    double[] a = actual.to(DType.FLOAT64).contiguous().toDoubleArray();
    assertEquals(e.length, a.length, what + ": element count");
    double scale = 0;
    for (double v : e) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < e.length; i++) {
      double tol = dtype == DType.FLOAT64 ? 1e-10 * Math.abs(e[i]) + 1e-12 : 1e-4 * Math.abs(e[i]) + 1e-4 * scale;
      assertTrue(Math.abs(a[i] - e[i]) <= tol, what + "[" + i + "]: " + a[i] + " vs PyTorch " + e[i] + " (" + dtype + ")");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void conv3dMatchesPyTorchInFloat64AndFloat32() throws IOException {
    for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      for (Map<String, Object> c : cases()) {
        String name = c.get("name") + " " + dtype;
        List<Tensor> xs = new ArrayList<>();
        for (Object spec : (List<Object>) c.get("inputs")) {
          xs.add(tensor((Map<String, Object>) spec, dtype).requiresGrad(true));
        }
        Tensor y = GoldenOps.lookup((String) c.get("op")).apply(xs, new GoldenOps.Attrs((Map<String, Object>) c.get("attrs")));
        compare(name + " output", y, (Map<String, Object>) c.get("output"), dtype);
        Tensor[] g = Autograd.grad(new Tensor[] {y}, xs.toArray(new Tensor[0]),
            new Tensor[] {tensor((Map<String, Object>) c.get("grad_output"), dtype)}, false, false, true);
        List<Object> grads = (List<Object>) c.get("grads");
        for (int i = 0; i < g.length; i++) {
          compare(name + " grad[" + i + "]", g[i], (Map<String, Object>) grads.get(i), dtype);
        }
      }
    }
  }

  private Tensor randn(Random r, int... shape) {
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
    }
    return Tensor.of(v, shape).to(device);
  }

  @Test
  void conv3dGradcheckAndDoubleBackward() {
    Random r = new Random(4);
    int[] s = {1, 2, 1};
    int[] p = {1, 0, 1};
    int[] d = {2, 1, 1};
    GradCheck.check(in -> Convolution3d.conv3d(in[0], in[1], in[2], s, p, d, 2), randn(r, 1, 4, 4, 4, 3),
        randn(r, 2, 2, 2, 2, 2), randn(r, 2));
    GradCheck.check(in -> {
      try (dev.ember.GradMode on = dev.ember.GradMode.enableGrad()) {
        Tensor x = in[0].requiresGrad() ? in[0] : in[0].detach().requiresGrad(true);
        Tensor y = Convolution3d.conv3d(x, in[1], null, new int[] {1}, new int[] {0}, new int[] {1}, 1);
        return Autograd.grad(new Tensor[] {y.square().sum()}, new Tensor[] {x}, null, true, true, false)[0];
      }
    }, randn(r, 1, 2, 3, 3, 3), randn(r, 1, 2, 2, 2, 2));
  }

  @Test
  void conv3dModuleShapesAndErrors() {
    Conv3d conv = new Conv3d(2, 4, 3, 1, 1);
    assertEquals(List.of(4, 2, 3, 3, 3), java.util.Arrays.stream(conv.weight().shapeArray()).boxed().toList());
    Tensor y = ((Conv3d) conv.to(device)).call(Tensor.ones(3, 2, 5, 6, 7).to(device));
    assertEquals(List.of(3, 4, 5, 6, 7), java.util.Arrays.stream(y.shapeArray()).boxed().toList());
    assertEquals("Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))", conv.toString());
    IllegalArgumentException channels = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> conv.call(Tensor.ones(1, 3, 4, 4, 4).to(device)));
    assertTrue(channels.getMessage().contains("conv3d") && channels.getMessage().contains("[1, 3, 4, 4, 4]"),
        channels.getMessage());
    IllegalArgumentException small = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new Conv3d(2, 1, 3).to(device).call(Tensor.ones(1, 2, 2, 4, 4).to(device)));
    assertTrue(small.getMessage().contains("depth"), small.getMessage());
  }
}
