package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.spi.BinaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The float32 where and binary loops on broadcast (stride-0) and strided operands, the layouts a
 * backward pass feeds them (the gradient of a sum arrives as an expanded scalar), against a plain
 * per-element reference: where must copy the chosen bits exactly (NaN payloads, -0.0).
 */
class FastLoopsTest {
  private static final int N = 1_003; // odd: covers any unrolled tail
  private long cond;
  private long a;
  private long b;
  private long y;
  private final List<Pointer> blocks = new ArrayList<>();
  private final Random random = new Random(7);
  private final float[] specials = {Float.NaN, Float.intBitsToFloat(0x7fc01234), -0f, 0f,
      Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -3.5f};

  /** Native memory of {@code bytes} bytes (JavaCPP's malloc), freed after each test; its address. */
  private long allocate(long bytes) {
    Pointer p = Pointer.malloc(bytes);
    blocks.add(p);
    return p.address();
  }

  @BeforeEach
  void allocateOperands() {
    cond = allocate(2L * N);
    a = allocate(8L * N);
    b = allocate(8L * N);
    y = allocate(8L * N);
    for (int k = 0; k < 2 * N; k++) {
      Raw.putByte(cond + k, (byte) (random.nextBoolean() ? random.nextInt(3) + 1 : 0));
      Raw.putFloat(a + 4L * k, k < specials.length ? specials[k] : (float) random.nextGaussian());
      Raw.putFloat(b + 4L * k, k % 7 < specials.length ? specials[k % 7] : (float) random.nextGaussian());
    }
  }

  @AfterEach
  void free() {
    blocks.forEach(Pointer::free);
    blocks.clear();
  }

  @Test
  void whereCopiesTheChosenBitsForEveryStrideLayout() {
    long[][] layouts = {{1, 4, 4, 4}, {1, 0, 0, 4}, {1, 0, 4, 4}, {1, 4, 0, 4}, {2, 8, 0, 8}, {0, 4, 8, 4},
        {2, 0, 8, 8}};
    for (long[] l : layouts) {
      long sc = l[0];
      long sa = l[1];
      long sb = l[2];
      long sy = l[3];
      FastLoops.whereF32(cond, sc, a, sa, b, sb, y, sy, N);
      for (int k = 0; k < N; k++) {
        int want = Raw.getByte(cond + sc * k) != 0 ? Raw.getInt(a + sa * k) : Raw.getInt(b + sb * k);
        assertEquals(want, Raw.getInt(y + sy * k), "where, strides c/a/b/y " + java.util.Arrays.toString(l)
            + ", element " + k);
      }
    }
  }

  @Test
  void addAndMulTakeABroadcastLeftOperand() {
    for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.MUL, BinaryOp.SUB, BinaryOp.DIV}) {
      for (int first = 0; first < 3; first++) {
        long scalar = a + 4L * (first * 4 + 3); // -0.0, Infinity, a Gaussian value
        FastLoops.binaryF32(op, scalar, 0, b, 4, y, 4, N);
        for (int k = 0; k < N; k++) {
          float s = Raw.getFloat(scalar);
          float v = Raw.getFloat(b + 4L * k);
          float want = switch (op) {
            case ADD -> s + v;
            case MUL -> s * v;
            case SUB -> s - v;
            default -> s / v;
          };
          assertEquals(want, Raw.getFloat(y + 4L * k), op + " of " + s + " and " + v);
        }
      }
    }
  }

  /**
   * Fills and broadcast copies store exactly the value's bits into every element of the run, and
   * nothing past its end (the moving-address loop of {@link FastLoops#storeInts}).
   */
  @Test
  void fillsAndBroadcastCopiesStoreEveryElementOfTheRunOnly() {
    for (int n : new int[] {0, 1, 7, 8, 9, N}) {
      for (int k = 0; k <= n; k++) {
        Raw.putInt(y + 4L * k, 0x55555555);
      }
      FastLoops.fillF32(y, 4, n, Float.intBitsToFloat(0x7fc01234));
      assertRun(n, 0x7fc01234, "fill");
      FastLoops.copySame(4, a + 4L * 2, 0, y, 4, n); // a[2] is -0.0
      assertRun(n, Float.floatToRawIntBits(-0f), "broadcast copy");
    }
  }

  private void assertRun(int n, int bits, String what) {
    for (int k = 0; k < n; k++) {
      assertEquals(bits, Raw.getInt(y + 4L * k), what + " of " + n + ", element " + k);
    }
    assertEquals(0x55555555, Raw.getInt(y + 4L * n), what + " of " + n + " wrote past the run");
  }

  /** A row added into a row (scatter-add's run with one index), from a strided row or one value. */
  @Test
  void rowAddsTakeAUnitStrideOrBroadcastSource() {
    for (long step : new long[] {4, 0}) {
      for (int k = 0; k < N; k++) {
        Raw.putFloat(y + 4L * k, k * 0.5f);
      }
      Scatter.addRowF32(b, step, y, N);
      for (int k = 0; k < N; k++) {
        assertEquals(k * 0.5f + Raw.getFloat(b + step * k), Raw.getFloat(y + 4L * k), "source step " + step
            + ", element " + k);
      }
    }
  }
}
