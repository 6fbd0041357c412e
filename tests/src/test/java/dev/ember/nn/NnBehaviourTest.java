package dev.ember.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.Device;
import dev.ember.Tensor;
import dev.ember.nn.functional.F;
import dev.ember.ops.Losses.Reduction;
import dev.ember.ops.Pooling.Pool2d;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Behaviour of the nn ops beyond gradients: convolution against a naive loop oracle, running
 * statistics of batch norm, PyTorch's tie and padding rules, finite losses at the clamps, and
 * error messages that name the op and the shapes.
 */
@ParameterizedClass(name = "[{0}]")
@MethodSource("dev.ember.conformance.Devices#underTest")
class NnBehaviourTest {
  @Parameter
  Device device;

  private final Random random = new Random(11);

  private double[] normal(int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian();
    }
    return v;
  }

  private Tensor t(double[] v, int... shape) {
    return Tensor.of(v, shape).to(device);
  }

  /** conv2d by its definition, in plain loops. */
  private static double[] naiveConv2d(double[] x, int n, int c, int h, int w, double[] k, int o, int kh, int kw,
      double[] bias, int sh, int sw, int ph, int pw, int dh, int dw, int groups, int oh, int ow) {
    double[] out = new double[n * o * oh * ow];
    int cg = c / groups;
    int og = o / groups;
    for (int b = 0; b < n; b++) {
      for (int oc = 0; oc < o; oc++) {
        int g = oc / og;
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            double s = bias == null ? 0 : bias[oc];
            for (int ic = 0; ic < cg; ic++) {
              for (int u = 0; u < kh; u++) {
                for (int v = 0; v < kw; v++) {
                  int y = i * sh - ph + u * dh;
                  int xx = j * sw - pw + v * dw;
                  if (y >= 0 && y < h && xx >= 0 && xx < w) {
                    s += x[((b * c + g * cg + ic) * h + y) * w + xx] * k[((oc * cg + ic) * kh + u) * kw + v];
                  }
                }
              }
            }
            out[((b * o + oc) * oh + i) * ow + j] = s;
          }
        }
      }
    }
    return out;
  }

  @Test
  void conv2dMatchesNaiveLoops() {
    int[][] configs = {
        // n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups
        {2, 3, 7, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1},
        {1, 4, 8, 9, 6, 3, 2, 2, 3, 1, 2, 1, 2, 2},
        {3, 2, 5, 5, 2, 2, 2, 1, 2, 2, 1, 2, 1, 2},
        {2, 6, 6, 4, 3, 1, 3, 2, 1, 0, 1, 1, 1, 3},
    };
    for (int[] cf : configs) {
      int n = cf[0], c = cf[1], h = cf[2], w = cf[3], o = cf[4], kh = cf[5], kw = cf[6];
      int sh = cf[7], sw = cf[8], ph = cf[9], pw = cf[10], dh = cf[11], dw = cf[12], g = cf[13];
      int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
      int ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
      double[] x = normal(n * c * h * w);
      double[] k = normal(o * (c / g) * kh * kw);
      double[] b = normal(o);
      Tensor y = F.conv2d(t(x, n, c, h, w), t(k, o, c / g, kh, kw), t(b, o), new int[] {sh, sw},
          new int[] {ph, pw}, new int[] {dh, dw}, g);
      assertArrayEquals(new int[] {n, o, oh, ow}, y.shapeArray());
      assertTrue(y.isContiguous(), "conv2d output should be contiguous, as PyTorch's");
      assertArrayEquals(naiveConv2d(x, n, c, h, w, k, o, kh, kw, b, sh, sw, ph, pw, dh, dw, g, oh, ow),
          y.toDoubleArray(), 1e-12, java.util.Arrays.toString(cf));
    }
  }

  @Test
  void convTranspose2dIsTheAdjointOfConv2d() {
    // <conv(x, w), y> == <x, convT(y, w)> for matching geometry: the defining property.
    int[][] configs = {{2, 4, 7, 7, 6, 3, 3, 2, 1, 1, 2}, {1, 2, 6, 8, 4, 2, 3, 3, 0, 2, 2}};
    for (int[] cf : configs) {
      int n = cf[0], c = cf[1], h = cf[2], w = cf[3], o = cf[4], kh = cf[5], kw = cf[6], s = cf[7], p = cf[8];
      int d = cf[9], g = cf[10];
      Tensor x = t(normal(n * c * h * w), n, c, h, w);
      Tensor k = t(normal(o * (c / g) * kh * kw), o, c / g, kh, kw);
      Tensor y = F.conv2d(x, k, null, new int[] {s}, new int[] {p}, new int[] {d}, g);
      Tensor r = t(normal((int) y.numel()), y.shapeArray());
      int opH = h - ((y.size(2) - 1) * s - 2 * p + d * (kh - 1) + 1);
      int opW = w - ((y.size(3) - 1) * s - 2 * p + d * (kw - 1) + 1);
      Tensor back = F.convTranspose2d(r, k, null, new int[] {s}, new int[] {p}, new int[] {opH, opW}, g,
          new int[] {d});
      assertArrayEquals(x.shapeArray(), back.shapeArray());
      assertEquals(y.mul(r).sum().item(), x.mul(back).sum().item(), 1e-10);
    }
  }

  @Test
  void batchNormUpdatesRunningStatsWithUnbiasedVariance() {
    double[] xv = normal(4 * 2 * 3);
    Tensor x = t(xv, 4, 2, 3);
    Tensor rm = t(new double[] {0.5, -1}, 2);
    Tensor rv = t(new double[] {2, 3}, 2);
    F.batchNorm(x, rm, rv, null, null, true, 0.2, 1e-5);
    for (int ch = 0; ch < 2; ch++) {
      double sum = 0;
      double sq = 0;
      int cnt = 0;
      for (int b = 0; b < 4; b++) {
        for (int i = 0; i < 3; i++) {
          double v = xv[(b * 2 + ch) * 3 + i];
          sum += v;
          sq += v * v;
          cnt++;
        }
      }
      double mean = sum / cnt;
      double unbiased = (sq - cnt * mean * mean) / (cnt - 1);
      assertEquals(0.8 * (ch == 0 ? 0.5 : -1) + 0.2 * mean, rm.toDoubleArray()[ch], 1e-12);
      assertEquals(0.8 * (ch == 0 ? 2 : 3) + 0.2 * unbiased, rv.toDoubleArray()[ch], 1e-12);
    }
    Tensor eval = F.batchNorm(x, rm, rv, null, null, false);
    double expected = (xv[0] - rm.toDoubleArray()[0]) / Math.sqrt(rv.toDoubleArray()[0] + 1e-5);
    assertEquals(expected, eval.toDoubleArray()[0], 1e-12);
  }

  @Test
  void embeddingPaddingRowGetsNoGradientButKeepsItsValue() {
    Tensor weight = t(normal(12), 4, 3).requiresGrad(true);
    Tensor idx = Tensor.of(new long[] {1, 3, 0, 3}, 2, 2).to(device);
    Tensor out = F.embedding(idx, weight, 3L);
    assertArrayEquals(new int[] {2, 2, 3}, out.shapeArray());
    assertArrayEquals(weight.detach().select(0, 3).toDoubleArray(), out.select(0, 1).select(0, 1).toDoubleArray());
    out.mul(2).sum().backward();
    assertArrayEquals(new double[] {2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0}, weight.grad().toDoubleArray());
    Tensor w2 = t(normal(12), 4, 3).requiresGrad(true);
    F.embedding(idx, w2, -1L).sum().backward();   // -1 means row 3
    assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, w2.grad().toDoubleArray());
  }

  @Test
  void maxPoolSendsTiedGradientsToTheFirstMaximum() {
    Tensor x = t(new double[] {1, 1, 3, 0, 1, 0, 3, 3}, 1, 1, 2, 4).requiresGrad(true);
    Tensor y = F.maxPool2d(x, 2);
    assertArrayEquals(new double[] {1, 3}, y.toDoubleArray());
    y.sum().backward();
    assertArrayEquals(new double[] {1, 0, 1, 0, 0, 0, 0, 0}, x.grad().toDoubleArray());
  }

  @Test
  void maxPoolPaddingNeverWins() {
    Tensor x = t(new double[] {-5, -6, -7, -8}, 1, 1, 2, 2);
    assertArrayEquals(new double[] {-5, -5, -6, -5, -5, -6, -7, -7, -8}, F.maxPool2d(x, 2, 1, 1).toDoubleArray(),
        0, "-inf padding, not zeros");
  }

  @Test
  void binaryCrossEntropyIsFiniteAtZeroAndOne() {
    Tensor x = t(new double[] {0, 1, 0.5}, 3).requiresGrad(true);
    Tensor target = t(new double[] {1, 0, 1}, 3);
    Tensor loss = F.binaryCrossEntropy(x, target, null, Reduction.NONE);
    assertArrayEquals(new double[] {100, 100, Math.log(2)}, loss.toDoubleArray(), 1e-12);
    loss.sum().backward();
    for (double g : x.grad().toDoubleArray()) {
      assertTrue(Double.isFinite(g), "bce gradient should be finite, got " + g);
    }
  }

  @Test
  void bceWithLogitsGradientAtZeroIsSigmoidMinusTarget() {
    Tensor x = t(new double[] {0, 0}, 2).requiresGrad(true);
    F.binaryCrossEntropyWithLogits(x, t(new double[] {1, 0.25}, 2), null, null, Reduction.SUM).backward();
    assertArrayEquals(new double[] {-0.5, 0.25}, x.grad().toDoubleArray(), 1e-15);
    Tensor big = t(new double[] {800, -800}, 2);
    assertArrayEquals(new double[] {0, 800}, F.binaryCrossEntropyWithLogits(big, t(new double[] {1, 1}, 2),
        null, null, Reduction.NONE).toDoubleArray(), 1e-12);
  }

  @Test
  void causalAttentionEqualsAnExplicitUpperTriangleMask() {
    Tensor q = t(normal(2 * 4 * 3), 2, 4, 3);
    Tensor k = t(normal(2 * 5 * 3), 2, 5, 3);
    Tensor v = t(normal(2 * 5 * 2), 2, 5, 2);
    boolean[] keep = new boolean[20];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 5; j++) {
        keep[i * 5 + j] = j <= i;
      }
    }
    Tensor masked = F.scaledDotProductAttention(q, k, v, Tensor.of(keep, 4, 5).to(device), 0, false, null);
    assertArrayEquals(masked.toDoubleArray(), F.scaledDotProductAttention(q, k, v, true).toDoubleArray(), 1e-12);
  }

  private static void assertMessage(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  @Test
  void errorsNameTheOpAndTheShapes() {
    Tensor x = Tensor.zeros(2, 3, 5, 5).to(device);
    assertMessage(() -> F.conv2d(x, Tensor.zeros(4, 2, 3, 3).to(device), null), "conv2d", "[4, 2, 3, 3]",
        "[2, 3, 5, 5]", "3 channels");
    assertMessage(() -> F.conv2d(Tensor.zeros(3, 5).to(device), Tensor.zeros(4, 3, 3, 3).to(device), null),
        "conv2d", "[3, 5]");
    assertMessage(() -> F.conv2d(x, Tensor.zeros(4, 3, 7, 7).to(device), null), "conv2d", "(5 x 5)",
        "(7 x 7)");
    assertMessage(() -> F.conv2d(x, Tensor.zeros(4, 3, 3, 3).to(device), Tensor.zeros(5).to(device)),
        "conv2d", "bias", "[5]");
    assertMessage(() -> F.conv2d(x, Tensor.zeros(5, 1, 3, 3).to(device), null, new int[] {1}, new int[] {0},
        new int[] {1}, 3), "conv2d", "groups=3");
    assertMessage(() -> F.conv2d(x, Tensor.zeros(4, 3, 3, 3).to(device), null, new int[] {2}, "same",
        new int[] {1}, 1), "conv2d", "same", "strided");
    assertMessage(() -> F.conv1d(Tensor.zeros(2, 3, 4).to(device), Tensor.zeros(4, 2, 3).to(device), null),
        "conv1d", "[2, 3, 4]");
    assertMessage(() -> F.convTranspose2d(x, Tensor.zeros(4, 2, 3, 3).to(device), null), "conv_transpose2d",
        "[4, 2, 3, 3]");
    assertMessage(() -> F.maxPool2d(x, Pool2d.of(2).withPadding(2)), "max_pool2d", "half");
    assertMessage(() -> F.maxPool2d(x, 6), "max_pool2d", "[2, 3, 5, 5]");
    assertMessage(() -> F.avgPool2d(Tensor.zeros(5).to(device), 2), "avg_pool2d", "[5]");
    assertMessage(() -> F.layerNorm(x, new int[] {4}, null, null), "layer_norm", "[2, 3, 5, 5]", "[4]");
    assertMessage(() -> F.groupNorm(x, 2, null, null, 1e-5), "group_norm", "num_groups=2");
    assertMessage(() -> F.batchNorm(Tensor.zeros(1, 3).to(device), null, null, null, null, true), "batch_norm",
        "more than 1 value per channel", "[1, 3]");
    assertMessage(() -> F.batchNorm(x, null, null, null, null, false), "batch_norm", "running_mean");
    assertThrows(IndexOutOfBoundsException.class, () -> F.embedding(Tensor.of(new long[] {4}).to(device),
        Tensor.zeros(4, 2).to(device)));
    assertMessage(() -> F.embedding(Tensor.zeros(2).to(device), Tensor.zeros(4, 2).to(device)), "embedding",
        "int64");
    assertMessage(() -> F.scaledDotProductAttention(Tensor.zeros(2, 3).to(device), Tensor.zeros(4, 5).to(device),
        Tensor.zeros(4, 5).to(device), false), "scaled_dot_product_attention", "[2, 3]", "[4, 5]");
    assertMessage(() -> F.binaryCrossEntropy(Tensor.full(1.5, 2).to(device), Tensor.zeros(2).to(device)),
        "binary_cross_entropy", "between 0 and 1");
    assertMessage(() -> F.binaryCrossEntropyWithLogits(Tensor.zeros(2, 3).to(device), Tensor.zeros(3).to(device)),
        "binary_cross_entropy_with_logits", "[3]", "[2, 3]");
    assertMessage(() -> F.mseLoss(Tensor.zeros(2, 3).to(device), Tensor.zeros(4).to(device)), "mse_loss");
  }
}
