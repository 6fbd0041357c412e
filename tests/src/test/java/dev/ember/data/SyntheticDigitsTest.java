package dev.ember.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.DType;
import dev.ember.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SyntheticDigitsTest {
  @Test
  void looksLikeMnist() {
    TensorDataset ds = SyntheticDigits.train(600, 1);
    Tensor x = ds.tensor(0);
    Tensor y = ds.tensor(1);
    assertArrayEquals(new int[] {600, 1, 28, 28}, x.shapeArray());
    assertEquals(DType.FLOAT32, x.dtype());
    assertArrayEquals(new int[] {600}, y.shapeArray());
    assertEquals(DType.INT64, y.dtype());
    float[] v = x.toFloatArray();
    double mean = 0;
    for (float f : v) {
      assertTrue(f >= 0 && f <= 1);
      assertEquals(Math.round(f * 255) / 255f, f, 0f, "8-bit levels");
      mean += f;
    }
    mean /= v.length;
    assertTrue(mean > 0.05 && mean < 0.35, "mostly dark background with bright strokes: " + mean);
    int[] counts = new int[10];
    for (long l : y.toLongArray()) {
      counts[(int) l]++;
    }
    for (int c : counts) {
      assertTrue(c > 30, "every digit appears: " + Arrays.toString(counts));
    }
  }

  @Test
  void sameSeedSameBytesIndependentOfSizeAndThreads() {
    ByteBuffer a = SyntheticDigits.train(300, 99).tensor(0).hostBytes(DType.FLOAT32);
    ByteBuffer b = SyntheticDigits.train(300, 99).tensor(0).hostBytes(DType.FLOAT32);
    assertEquals(a, b, "same seed, identical bytes");
    TensorDataset small = SyntheticDigits.train(40, 99);
    float[] prefix = Arrays.copyOf(SyntheticDigits.train(300, 99).tensor(0).toFloatArray(), 40 * 784);
    assertArrayEquals(prefix, small.tensor(0).toFloatArray(), "example i depends only on seed and i");
    SyntheticDigits.Sample s = SyntheticDigits.sample(99, false, 17);
    float[] row = small.tensor(0).select(0, 17).toFloatArray();
    for (int i = 0; i < 784; i++) {
      assertEquals((s.pixels()[i] & 0xff) / 255f, row[i], 0f);
    }
    assertEquals(s.label(), (long) small.tensor(1).select(0, 17).item());
    assertFalse(Arrays.equals(small.tensor(0).toFloatArray(),
        SyntheticDigits.train(40, 100).tensor(0).toFloatArray()), "another seed differs");
    assertFalse(Arrays.equals(small.tensor(0).toFloatArray(),
        SyntheticDigits.test(40, 99).tensor(0).toFloatArray()), "test stream differs from train");
  }

  @Test
  void classesAreSeparableButNotTrivially() {
    // Nearest class mean: a weak classifier. Real structure puts it well above chance (10%),
    // the distortions keep it far from perfect.
    TensorDataset train = SyntheticDigits.train(2000, 5);
    TensorDataset test = SyntheticDigits.test(500, 5);
    float[] x = train.tensor(0).toFloatArray();
    long[] y = train.tensor(1).toLongArray();
    double[][] means = new double[10][784];
    int[] n = new int[10];
    for (int i = 0; i < y.length; i++) {
      n[(int) y[i]]++;
      for (int p = 0; p < 784; p++) {
        means[(int) y[i]][p] += x[i * 784 + p];
      }
    }
    for (int c = 0; c < 10; c++) {
      for (int p = 0; p < 784; p++) {
        means[c][p] /= n[c];
      }
    }
    float[] tx = test.tensor(0).toFloatArray();
    long[] ty = test.tensor(1).toLongArray();
    int correct = 0;
    for (int i = 0; i < ty.length; i++) {
      int best = -1;
      double bestD = Double.MAX_VALUE;
      for (int c = 0; c < 10; c++) {
        double d = 0;
        for (int p = 0; p < 784; p++) {
          double diff = tx[i * 784 + p] - means[c][p];
          d += diff * diff;
        }
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      correct += best == ty[i] ? 1 : 0;
    }
    double acc = correct / (double) ty.length;
    assertTrue(acc > 0.4 && acc < 0.9, "nearest-mean accuracy " + acc);
  }
}
