package dev.ember.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Autocast;
import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.io.Json;
import dev.ember.io.Safetensors;
import dev.ember.nn.functional.F;
import dev.ember.ops.Creation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * float16 and bfloat16 on every device: conversions bit for bit over every pattern (against a
 * rounding rule written here independently of the backends) and PyTorch's spot values; PyTorch's
 * half-precision results for the ops real programs run (golden/half.json, from
 * scripts/golden/half.py); printing; promotion; autograd in the input's dtype; safetensors both
 * ways; the {@link Autocast} scope. Tolerances of the golden cases: PyTorch's assert_close defaults,
 * 1e-3 relative for float16 and 1.6e-2 for bfloat16, 1e-5 absolute ({@code Golden.Tolerance}).
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class HalfPrecisionConformanceTest {
  private static Map<String, Object> golden;

  @Parameter
  Device device;

  @TempDir
  Path dir;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = HalfPrecisionConformanceTest.class.getResourceAsStream("/golden/half.json")) {
      golden = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  // ------------------------------------------------------------------ the reference rounding rule

  /** The value of 16-bit pattern {@code bits} of {@code dtype}, decoded from its fields. */
  static double value(DType dtype, int bits) {
    boolean half = dtype == DType.FLOAT16;
    int mantBits = half ? 10 : 7;
    int expMask = half ? 0x1f : 0xff;
    int bias = half ? 15 : 127;
    double sign = (bits & 0x8000) != 0 ? -1 : 1;
    int exp = (bits >> mantBits) & expMask;
    int mant = bits & ((1 << mantBits) - 1);
    if (exp == expMask) {
      return mant == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
    }
    if (exp == 0) {
      return sign * Math.scalb((double) mant, 1 - bias - mantBits);
    }
    return sign * Math.scalb((double) (mant | 1 << mantBits), exp - bias - mantBits);
  }

  /**
   * The pattern nearest to {@code f} by the IEEE rule: the closer of the two neighbouring values,
   * the one with an even pattern on a tie; past the largest finite value the next "value" is
   * infinity's position (2^16 for float16, 2^128 for bfloat16), so overflow also rounds to even.
   */
  static int nearest(DType dtype, float f) {
    int inf = dtype == DType.FLOAT16 ? 0x7c00 : 0x7f80;
    double infPosition = dtype == DType.FLOAT16 ? 0x1p16 : 0x1p128;
    double a = Math.abs((double) f);
    int sign = Math.copySign(1f, f) < 0 ? 0x8000 : 0;
    int lo = 0;
    int hi = inf;
    while (hi - lo > 1) { // invariant: position(lo) <= a < position(hi)
      int mid = (lo + hi) >>> 1;
      if (value(dtype, mid) <= a) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    double below = value(dtype, lo);
    double above = hi == inf ? infPosition : value(dtype, hi);
    if (a >= infPosition) {
      return sign | inf;
    }
    double dl = a - below;
    double dh = above - a;
    int pick = dl < dh ? lo : dh < dl ? hi : (lo % 2 == 0 ? lo : hi);
    return sign | pick;
  }

  private static Tensor fromBits(DType dtype, int[] bits) {
    ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int x : bits) {
      b.putShort((short) x);
    }
    b.flip();
    return Creation.fromBytes(b, dtype, bits.length);
  }

  private static int[] bitsOf(Tensor t) {
    ByteBuffer b = t.hostBytes(t.dtype());
    int[] out = new int[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getShort(2 * i) & 0xffff;
    }
    return out;
  }

  private static boolean isNaNBits(DType dtype, int bits) {
    return Double.isNaN(value(dtype, bits));
  }

  // ------------------------------------------------------------------ conversions

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float16", "bfloat16"})
  void everyPatternWidensExactly(String name) {
    DType dtype = DType.parse(name);
    int[] all = new int[65536];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    float[] wide = fromBits(dtype, all).to(device).to(DType.FLOAT32).toFloatArray();
    double[] asDouble = fromBits(dtype, all).to(device).toDoubleArray();
    for (int i = 0; i < all.length; i++) {
      double expected = value(dtype, i);
      if (Double.isNaN(expected)) {
        assertTrue(Float.isNaN(wide[i]) && Double.isNaN(asDouble[i]), name + " NaN pattern " + i);
      } else {
        assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(wide[i]),
            name + " pattern 0x" + Integer.toHexString(i));
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(asDouble[i]),
            name + " pattern 0x" + Integer.toHexString(i) + " to float64");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float16", "bfloat16"})
  void float32RoundsToNearestEvenAtEveryBoundary(String name) {
    DType dtype = DType.parse(name);
    // For every finite pattern: its value, the midpoint to the next pattern, and the floats just
    // either side of that midpoint (every rounding boundary, ties, overflow and subnormals).
    List<Float> inputs = new ArrayList<>();
    int inf = dtype == DType.FLOAT16 ? 0x7c00 : 0x7f80;
    for (int sign : new int[] {0, 0x8000}) {
      for (int p = 0; p < inf; p++) {
        double v = value(dtype, sign | p);
        double next = p + 1 == inf ? (dtype == DType.FLOAT16 ? 0x1p16 : 0x1p128) : value(dtype, p + 1);
        float mid = (float) ((Math.abs(v) + next) / 2 * (sign != 0 ? -1 : 1));
        if (Float.isFinite(mid)) {
          inputs.add((float) v);
          inputs.add(mid);
          inputs.add(Math.nextUp(mid));
          inputs.add(Math.nextDown(mid));
        }
      }
    }
    inputs.add(Float.MAX_VALUE);
    inputs.add(-Float.MAX_VALUE);
    inputs.add(Float.POSITIVE_INFINITY);
    inputs.add(Float.NEGATIVE_INFINITY);
    inputs.add(Float.MIN_VALUE);
    float[] x = new float[inputs.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = inputs.get(i);
    }
    int[] got = bitsOf(Tensor.of(x).to(device).to(dtype));
    for (int i = 0; i < x.length; i++) {
      assertEquals(nearest(dtype, x[i]), got[i], name + " of " + x[i] + " (0x"
          + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ")");
    }
    float[] nans = {Float.NaN, Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7f800001)};
    for (int b : bitsOf(Tensor.of(nans).to(device).to(dtype))) {
      assertTrue(isNaNBits(dtype, b), name + ": NaN became 0x" + Integer.toHexString(b));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void conversionsMatchPyTorchSpotValues() {
    for (Object o : (List<Object>) golden.get("conversions")) {
      Map<String, Object> c = (Map<String, Object>) o;
      float f = Float.intBitsToFloat(((Number) c.get("float32_bits")).intValue());
      Tensor x = Tensor.of(new float[] {f}).to(device);
      assertEquals(((Number) c.get("float16_bits")).intValue(), bitsOf(x.half())[0], "float16 of " + f);
      assertEquals(((Number) c.get("bfloat16_bits")).intValue(), bitsOf(x.bfloat16())[0], "bfloat16 of " + f);
      assertEquals(nearest(DType.FLOAT16, f), bitsOf(x.half())[0], "reference rule vs PyTorch for " + f);
    }
  }

  @Test
  void otherDTypesConvertThroughFloat32AsPyTorch() {
    // float64 -> float16 rounds to float32 first (c10::Half(float)): 1 + 2^-11 + 2^-40 is just
    // above a float16 tie, but its float32 rounding is the tie itself, which goes to even (1.0).
    Tensor d = Tensor.of(new double[] {1 + 0x1p-11 + 0x1p-40, 70000, -3.5}).to(device);
    assertArrayEquals(new double[] {1.0, Double.POSITIVE_INFINITY, -3.5}, d.half().toDoubleArray());
    assertArrayEquals(new long[] {1, 65504, -3}, Tensor.of(new double[] {1.9, 65504, -3.5}).to(device).half()
        .to(DType.INT64).toLongArray());
    assertArrayEquals(new double[] {2049, 2048}, Tensor.of(new long[] {2049, 2048}).to(device).to(DType.FLOAT32)
        .toDoubleArray());
    assertArrayEquals(new double[] {2048, 2048}, Tensor.of(new long[] {2049, 2048}).to(device).half()
        .toDoubleArray());
    assertArrayEquals(new boolean[] {true, false}, Tensor.of(new float[] {0.5f, 0}).to(device).bfloat16()
        .to(DType.BOOL).toBooleanArray());
    assertEquals(DType.FLOAT16, Tensor.of(new float[] {1}).to(device).half().dtype());
    assertEquals(DType.FLOAT16, DType.parse("torch.half"));
    assertEquals(2, DType.BFLOAT16.byteSize());
  }

  // ------------------------------------------------------------------ PyTorch's half results

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float16", "bfloat16"})
  void goldenCasesMatchPyTorchsHalfKernels(String name) {
    DType dtype = DType.parse(name);
    String suffix = dtype == DType.FLOAT16 ? "/f16" : "/bf16";
    List<Golden.Case> cases = Golden.parse(Json.write(golden)).stream()
        .filter(c -> c.name().endsWith(suffix)).collect(Collectors.toList());
    assertTrue(cases.size() > 60, "cases for " + name + ": " + cases.size());
    List<Golden.Outcome> outcomes = Golden.run(cases, device, dtype);
    List<String> failures = Golden.failures(outcomes);
    assertTrue(failures.isEmpty(), "half golden[" + device + "," + name + "]: " + failures.size() + " of "
        + cases.size() + " failed:\n  " + String.join("\n  ", failures));
  }

  // ------------------------------------------------------------------ printing, promotion, autograd

  @Test
  void printsAsPyTorch() {
    // Strings printed by PyTorch 2.13 for the same values.
    assertEquals("tensor([9.9976e-02, 1.5000e+00, 6.5504e+04, 1.0133e-06], dtype=torch.float16)",
        Tensor.of(new float[] {0.1f, 1.5f, 65504, 1e-6f}).to(device).half().to(Device.CPU).toString());
    assertEquals("tensor([ 1.5000, -2.2500,  3.0000], dtype=torch.bfloat16)",
        Tensor.of(new float[] {1.5f, -2.25f, 3}).bfloat16().toString());
    assertEquals("tensor([0.1001, 1.0000,    inf], dtype=torch.bfloat16)",
        Tensor.of(new float[] {0.1f, 1, Float.POSITIVE_INFINITY}).bfloat16().toString());
    assertEquals("tensor([inf, 2.], dtype=torch.float16, requires_grad=True)",
        Tensor.of(new float[] {1e5f, 2}).half().requiresGrad(true).toString());
  }

  @Test
  void promotionFollowsPyTorch() {
    Tensor h = Tensor.of(new float[] {1, 2}).to(device).half();
    Tensor b = Tensor.of(new float[] {1, 2}).to(device).bfloat16();
    Tensor f = Tensor.of(new float[] {1, 2}).to(device);
    assertEquals(DType.FLOAT32, h.add(f).dtype());
    assertEquals(DType.FLOAT32, h.add(b).dtype());
    assertEquals(DType.FLOAT32, b.mul(h).dtype());
    assertEquals(DType.FLOAT64, b.add(f.to(DType.FLOAT64)).dtype());
    assertEquals(DType.FLOAT16, h.add(2.5).dtype());
    assertEquals(DType.BFLOAT16, b.mul(Tensor.scalar(3.0, DType.FLOAT32).to(device)).dtype());
    assertEquals(DType.FLOAT16, h.add(Tensor.of(new long[] {1, 2}).to(device)).dtype());
    assertEquals(DType.FLOAT32, DType.promote(DType.FLOAT16, DType.BFLOAT16));
    assertArrayEquals(new double[] {3.5, 4.5}, h.add(2.5).toDoubleArray());
    // 2048 + 1 is a float16 tie between 2048 and 2050: the float32 sum rounds to even.
    assertArrayEquals(new double[] {2048, 2052}, Tensor.of(new float[] {2048, 2050}).to(device).half()
        .add(1).toDoubleArray());
  }

  @Test
  void gradientsComeInTheInputsDType() {
    Tensor x = Tensor.of(new float[] {1, -2, 3}).to(device).bfloat16().requiresGrad(true);
    Tensor w = Tensor.of(new float[] {0.5f, 0.25f, 2}).to(device).requiresGrad(true);
    Tensor y = x.mul(x).mul(w).sum();
    assertEquals(DType.FLOAT32, y.dtype());
    y.backward();
    assertEquals(DType.BFLOAT16, x.grad().dtype());
    assertEquals(DType.FLOAT32, w.grad().dtype());
    assertArrayEquals(new double[] {1, -1, 12}, x.grad().toDoubleArray());
    assertArrayEquals(new double[] {1, 4, 9}, w.grad().toDoubleArray());
    Tensor h = Tensor.of(new float[] {0.5f, 1.5f}).to(device).half().requiresGrad(true);
    Tensor s = h.exp().sum();
    s.backward();
    assertEquals(DType.FLOAT16, h.grad().dtype());
    assertArrayEquals(h.exp().toDoubleArray(), h.grad().toDoubleArray());
  }

  /**
   * Returns {@code f(x in float32)} rounded to {@code dtype}: what a half kernel must give when
   * each op computes in float32 and rounds once.
   */
  private static double[] roundedFloat32(Tensor result32, DType dtype) {
    return result32.to(dtype).toDoubleArray();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float16", "bfloat16"})
  void viewsAndInPlaceWritesComputeInFloat32AndRoundOnce(String name) {
    DType dtype = DType.parse(name);
    Tensor a32 = Tensor.randn(6, 5).to(device).to(dtype).to(DType.FLOAT32); // exactly representable
    Tensor b32 = Tensor.randn(5, 6).to(device).to(dtype).to(DType.FLOAT32);
    Tensor a = a32.to(dtype);
    Tensor b = b32.to(dtype);
    // Transposed, broadcast and strided operands keep their layout and give the rounded float32 result.
    assertArrayEquals(roundedFloat32(a32.t().matmul(b32.t()), dtype), a.t().matmul(b.t()).toDoubleArray());
    assertArrayEquals(roundedFloat32(a32.add(b32.t().select(0, 2)), dtype), a.add(b.t().select(0, 2))
        .toDoubleArray());
    assertArrayEquals(roundedFloat32(a32.slice(1, 0, 5, 2).mul(3), dtype), a.slice(1, 0, 5, 2).mul(3)
        .toDoubleArray());
    assertArrayEquals(roundedFloat32(a32.sum(0, false), dtype), a.sum(0, false).toDoubleArray());
    assertArrayEquals(roundedFloat32(a32.cumsum(1), dtype), a.cumsum(1).toDoubleArray());
    assertArrayEquals(a32.argmax(1, false).toLongArray(), a.argmax(1, false).toLongArray());
    // A column of a wide matrix (its span is far larger than itself) is widened as a copy.
    Tensor wide = Tensor.randn(300, 40).to(device).to(dtype);
    Tensor column = wide.select(1, 7);
    assertArrayEquals(roundedFloat32(column.to(DType.FLOAT32).exp(), dtype), column.exp().toDoubleArray());
    // In-place writes through a view touch only the view; the rest of the storage keeps its bits.
    Tensor x = a.clone();
    int[] before = bitsOf(x);
    x.narrow(1, 1, 2).addInPlace(x.narrow(1, 3, 2));
    int[] after = bitsOf(x);
    double[] expected = roundedFloat32(a32.narrow(1, 1, 2).add(a32.narrow(1, 3, 2)), dtype);
    assertArrayEquals(expected, x.narrow(1, 1, 2).toDoubleArray());
    for (int i = 0; i < after.length; i++) {
      int col = i % 5;
      if (col != 1 && col != 2) {
        assertEquals(before[i], after[i], "element " + i + " outside the written view changed");
      }
    }
    Tensor y = a.clone();
    y.addInPlace(y);
    assertArrayEquals(roundedFloat32(a32.mul(2), dtype), y.toDoubleArray());
    // scatter_add reads its output: the sum of all contributions is rounded once.
    Tensor target = Tensor.zeros(2, 5).to(device).to(dtype).add(1000);
    Tensor idx = Tensor.of(new long[] {0, 1, 0, 1, 0, 1}).to(device).unsqueeze(1).expand(6, 5).contiguous();
    Tensor summed = target.scatterAdd(0, idx, a);
    assertArrayEquals(roundedFloat32(target.to(DType.FLOAT32).scatterAdd(0, idx, a32), dtype),
        summed.toDoubleArray());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"float16", "bfloat16"})
  void randStaysBelowOneOnTheTypesGrid(String name) {
    DType dtype = DType.parse(name);
    double step = dtype == DType.FLOAT16 ? 0x1p-11 : 0x1p-8;
    double[] u = Tensor.rand(dev.ember.Shape.of(200_000), dtype, device, new dev.ember.Generator(3))
        .toDoubleArray();
    double sum = 0;
    double max = 0;
    for (double v : u) {
      assertTrue(v >= 0 && v < 1 && v / step == Math.rint(v / step), name + " draw " + v);
      sum += v;
      max = Math.max(max, v);
    }
    assertEquals(0.5 - step / 2, sum / u.length, 0.005, name + " mean");
    assertEquals(1 - step, max, name + " largest draw"); // 200k draws hit the top of the grid
  }

  // ------------------------------------------------------------------ safetensors

  @Test
  @SuppressWarnings("unchecked")
  void safetensorsReadsPyTorchsBytes() throws IOException {
    Path f = dir.resolve("torch.safetensors");
    try (InputStream in = getClass().getResourceAsStream("/golden/half.safetensors")) {
      Files.write(f, in.readAllBytes());
    }
    Map<String, Tensor> loaded = Safetensors.load(f);
    Map<String, Object> expected = (Map<String, Object>) golden.get("safetensors");
    for (String name : List.of("h", "b")) {
      Map<String, Object> e = (Map<String, Object>) expected.get(name);
      Tensor t = loaded.get(name).to(device);
      assertEquals(DType.parse((String) e.get("dtype")), t.dtype());
      assertArrayEquals(Json.toIntArray(e.get("shape")), t.shapeArray());
      List<Object> values = (List<Object>) e.get("data");
      double[] got = t.toDoubleArray();
      for (int i = 0; i < got.length; i++) {
        assertTrue(((Number) values.get(i)).doubleValue() == got[i], name + "[" + i + "]: " + got[i]);
      }
      assertEquals(0x8000, bitsOf(t)[5], name + "[5] is -0.0"); // (the JSON reader drops -0's sign)
    }
  }

  @Test
  void safetensorsByHandAndRoundTrip() throws IOException {
    // Written by hand: float16 1, -2, 65504, 2^-24 and bfloat16 1, -2, 0.1 (0x3dcd).
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]}}";
    byte[] text = header.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer file = ByteBuffer.allocate(8 + text.length + 14).order(ByteOrder.LITTLE_ENDIAN);
    file.putLong(text.length).put(text);
    for (int bits : new int[] {0x3c00, 0xc000, 0x7bff, 0x0001, 0x3f80, 0xc000, 0x3dcd}) {
      file.putShort((short) bits);
    }
    Path f = dir.resolve("hand.safetensors");
    Files.write(f, file.array());
    Map<String, Tensor> loaded = Safetensors.load(f);
    assertArrayEquals(new double[] {1, -2, 65504, 0x1p-24}, loaded.get("h").toDoubleArray());
    assertEquals(DType.FLOAT16, loaded.get("h").dtype());
    assertArrayEquals(new double[] {1, -2, 0.10009765625}, loaded.get("b").toDoubleArray());
    assertEquals(DType.BFLOAT16, loaded.get("b").dtype());

    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("h", loaded.get("h").to(device));
    out.put("b", loaded.get("b").to(device).mul(2)); // computed on the device, still bfloat16
    Path g = dir.resolve("ember.safetensors");
    Safetensors.save(out, g);
    Map<String, Tensor> back = Safetensors.load(g);
    assertArrayEquals(new int[] {0x3c00, 0xc000, 0x7bff, 0x0001}, bitsOf(back.get("h")));
    assertArrayEquals(new int[] {0x4000, 0xc080, 0x3e4d}, bitsOf(back.get("b")));
    String written = new String(Files.readAllBytes(g), StandardCharsets.ISO_8859_1);
    assertTrue(written.contains("\"dtype\":\"F16\"") && written.contains("\"dtype\":\"BF16\""), written);
  }

  // ------------------------------------------------------------------ autocast

  @Test
  void autocastRunsMatmulsInHalfAndLossesInFloat32() {
    Tensor x = Tensor.randn(4, 6).to(device).requiresGrad(true);
    Tensor w = Tensor.randn(3, 6).to(device).requiresGrad(true);
    Tensor bias = Tensor.randn(3).to(device).requiresGrad(true);
    Tensor target = Tensor.of(new long[] {0, 2, 1, 2}).to(device);
    Tensor loss;
    try (Autocast a = Autocast.enable(DType.BFLOAT16)) {
      assertEquals(DType.BFLOAT16, Autocast.current());
      Tensor y = F.linear(x, w, bias);
      assertEquals(DType.BFLOAT16, y.dtype());
      Tensor expected = F.linear(x.bfloat16(), w.bfloat16(), bias.bfloat16());
      assertArrayEquals(expected.toDoubleArray(), y.toDoubleArray());
      assertEquals(DType.BFLOAT16, y.relu().dtype());
      assertEquals(DType.BFLOAT16, x.matmul(w.t()).dtype());
      assertEquals(DType.FLOAT64, x.to(DType.FLOAT64).matmul(w.t().to(DType.FLOAT64)).dtype());
      assertEquals(DType.BFLOAT16, F.conv2d(Tensor.randn(1, 2, 5, 5).to(device), Tensor.randn(3, 2, 3, 3)
          .to(device), null).dtype());
      loss = F.crossEntropy(y, target);
      assertEquals(DType.FLOAT32, loss.dtype());
      assertEquals(DType.FLOAT32, F.mseLoss(y, y.detach().add(1)).dtype());
      try (Autocast off = Autocast.disable()) {
        assertEquals(DType.FLOAT32, F.linear(x, w, bias).dtype());
      }
      assertEquals(DType.BFLOAT16, F.linear(x, w, bias).dtype());
    }
    assertEquals(null, Autocast.current());
    assertEquals(DType.FLOAT32, F.linear(x, w, bias).dtype());
    loss.backward();
    assertEquals(DType.FLOAT32, w.grad().dtype());
    assertEquals(DType.FLOAT32, x.grad().dtype());
    assertEquals(DType.FLOAT32, bias.grad().dtype());
    try (Autocast a = Autocast.enable(DType.FLOAT16)) {
      assertEquals(DType.FLOAT16, F.linear(x, w, bias).dtype());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Autocast.enable(DType.FLOAT32));
    assertTrue(e.getMessage().contains("autocast") && e.getMessage().contains("float32"), e.getMessage());
  }
}
