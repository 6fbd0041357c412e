package dev.ember.backend.cpu;


import dev.ember.spi.BinaryOp;
import dev.ember.spi.UnaryOp;

/**
 * Inner loops for float32 and float64 over raw addresses, one loop per (op, dtype) for the cheap
 * ops so the JIT sees a tight body; costly functions (exp, log, ...) share a loop that switches per
 * element, since the math dominates there. Strides are in bytes.
 */
final class FastLoops {
  private FastLoops() {}

  /**
   * PyTorch's ReLU of the float with bits {@code b} ({@code x < 0 ? +0.0 : x}: -0.0 and NaN stay), on
   * the bits and branch-free ({@code Math.max(x, 0f)} would turn -0.0 into +0.0; a float ternary
   * mispredicts on random signs, 6-7x slower). x is negative when {@code b}, as an int, lies in {@code
   * [MIN_VALUE + 1, -2^23]} (sign set, magnitude in (0, +inf]), that is when {@code s = b - 1} and
   * {@code s + 2^23} are both negative (-0.0, {@code b = MIN_VALUE}, makes s wrap to MAX_VALUE; where
   * {@code s + 2^23} wraps, s is positive). One thread, 73,728 floats: 49 us, against 57 for the {@code
   * Math.max} loop.
   */
  static int reluBits(int b) {
    int s = b - 1;
    return b & ~((s & (s + 0x800000)) >> 31);
  }

  /** {@link #reluBits(int)} for a double's bits: negative for {@code [MIN_VALUE + 1, -2^52]}. */
  static long reluBits(long b) {
    long s = b - 1;
    return b & ~((s & (s + (1L << 52))) >> 63);
  }

  static void unaryF32(UnaryOp op, long x, long sx, long y, long sy, int n) {
    if (sx == 4 && sy == 4 && VectorSupport.unaryF32(op, x, y, n)) {
      return;
    }
    if (sx == 4 && sy == 4 && (op == UnaryOp.RELU || op == UnaryOp.NEG)) {
      // Unit stride: constant-stride loops that the JIT vectorizes.
      if (op == UnaryOp.RELU) {
        for (int k = 0; k < n; k++) {
          Raw.putInt(y + 4L * k, reluBits(Raw.getInt(x + 4L * k)));
        }
      } else {
        for (int k = 0; k < n; k++) {
          Raw.putFloat(y + 4L * k, -Raw.getFloat(x + 4L * k));
        }
      }
      return;
    }
    switch (op) {
      case NEG -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putFloat(y, -Raw.getFloat(x));
        }
      }
      case RELU -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putInt(y, reluBits(Raw.getInt(x)));
        }
      }
      case ABS -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putFloat(y, Math.abs(Raw.getFloat(x)));
        }
      }
      default -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putFloat(y, (float) Elementwise.unaryDouble(op, Raw.getFloat(x)));
        }
      }
    }
  }

  static void unaryF64(UnaryOp op, long x, long sx, long y, long sy, int n) {
    switch (op) {
      case NEG -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putDouble(y, -Raw.getDouble(x));
        }
      }
      case RELU -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putLong(y, reluBits(Raw.getLong(x)));
        }
      }
      default -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putDouble(y, Elementwise.unaryDouble(op, Raw.getDouble(x)));
        }
      }
    }
  }

  static void binaryF32(BinaryOp op, long a, long sa, long b, long sb, long y, long sy, int n) {
    if (sa == 0 && sb == 4 && (op == BinaryOp.ADD || op == BinaryOp.MUL)) {
      // A broadcast scalar on the left (a gradient arriving as an expanded view, g * f(x)):
      // float + and * commute exactly, so take the dense loop with the scalar on the right.
      long t = a;
      a = b;
      b = t;
      sa = 4;
      sb = 0;
    }
    if (sa == 0 && sb == 4 && sy == 4 && (op == BinaryOp.SUB || op == BinaryOp.DIV)) {
      // A scalar on the left of a non-commuting op (rsub, rdiv: sigmoid's and tanh's 1 - s).
      float v = Raw.getFloat(a);
      if (op == BinaryOp.SUB) {
        for (int k = 0; k < n; k++) {
          Raw.putFloat(y + 4L * k, v - Raw.getFloat(b + 4L * k));
        }
      } else {
        for (int k = 0; k < n; k++) {
          Raw.putFloat(y + 4L * k, v / Raw.getFloat(b + 4L * k));
        }
      }
      return;
    }
    if (sa == 4 && (sb == 4 || sb == 0) && sy == (op.isPredicate() ? 1 : 4) && denseF32(op, a, b, sb == 0, y, n)) {
      return;
    }
    switch (op) {
      case ADD -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putFloat(y, Raw.getFloat(a) + Raw.getFloat(b));
        }
      }
      case SUB -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putFloat(y, Raw.getFloat(a) - Raw.getFloat(b));
        }
      }
      case MUL -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putFloat(y, Raw.getFloat(a) * Raw.getFloat(b));
        }
      }
      case DIV -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putFloat(y, Raw.getFloat(a) / Raw.getFloat(b));
        }
      }
      case GT -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putByte(y, (byte) (Raw.getFloat(a) > Raw.getFloat(b) ? 1 : 0));
        }
      }
      case POW -> {
        // A constant small integer exponent (x^2, x^3 in GELU and variance) is a product; Math.pow
        // costs 20-50 ns per element here.
        float e = Raw.getFloat(b);
        if (sb == 0 && (e == 1f || e == 2f || e == 3f)) {
          for (int k = 0; k < n; k++, a += sa, y += sy) {
            float v = Raw.getFloat(a);
            Raw.putFloat(y, e == 1f ? v : e == 2f ? v * v : v * v * v);
          }
        } else {
          for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
            Raw.putFloat(y, (float) Elementwise.pow(Raw.getFloat(a), Raw.getFloat(b)));
          }
        }
      }
      case EQ -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putByte(y, (byte) (Raw.getFloat(a) == Raw.getFloat(b) ? 1 : 0));
        }
      }
      default -> {
        if (op.isPredicate()) {
          for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
            Raw.putByte(y, (byte) Elementwise.binaryDouble(op, Raw.getFloat(a), Raw.getFloat(b)));
          }
        } else {
          for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
            Raw.putFloat(y, (float) Elementwise.binaryDouble(op, Raw.getFloat(a), Raw.getFloat(b)));
          }
        }
      }
    }
  }

  /**
   * Unit-stride float32 runs (the common case) with constant strides, which the JIT compiles to
   * vector instructions: about 0.3 ns per element here against 1 ns for the strided loops. {@code b}
   * is either a run too or, with {@code scalarB}, one value broadcast. Returns false for other ops.
   */
  private static boolean denseF32(BinaryOp op, long a, long b, boolean scalarB, long y, int n) {
    if (scalarB && op == BinaryOp.GT) {
      // The ReLU mask: y is bool, one byte per element.
      float v = Raw.getFloat(b);
      for (int k = 0; k < n; k++) {
        Raw.putByte(y + k, (byte) (Raw.getFloat(a + 4L * k) > v ? 1 : 0));
      }
      return true;
    }
    if (op.isPredicate()) {
      return false;
    }
    if (scalarB) {
      float v = Raw.getFloat(b);
      switch (op) {
        case ADD -> {
          for (int k = 0; k < n; k++) {
            Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) + v);
          }
        }
        case SUB -> {
          for (int k = 0; k < n; k++) {
            Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) - v);
          }
        }
        case MUL -> {
          for (int k = 0; k < n; k++) {
            Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) * v);
          }
        }
        case DIV -> {
          for (int k = 0; k < n; k++) {
            Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) / v);
          }
        }
        default -> {
          return false;
        }
      }
      return true;
    }
    switch (op) {
      case ADD -> {
        for (int k = 0; k < n; k++) {
          Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) + Raw.getFloat(b + 4L * k));
        }
      }
      case SUB -> {
        for (int k = 0; k < n; k++) {
          Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) - Raw.getFloat(b + 4L * k));
        }
      }
      case MUL -> {
        for (int k = 0; k < n; k++) {
          Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) * Raw.getFloat(b + 4L * k));
        }
      }
      case DIV -> {
        for (int k = 0; k < n; k++) {
          Raw.putFloat(y + 4L * k, Raw.getFloat(a + 4L * k) / Raw.getFloat(b + 4L * k));
        }
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  static void binaryF64(BinaryOp op, long a, long sa, long b, long sb, long y, long sy, int n) {
    switch (op) {
      case ADD -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putDouble(y, Raw.getDouble(a) + Raw.getDouble(b));
        }
      }
      case MUL -> {
        for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
          Raw.putDouble(y, Raw.getDouble(a) * Raw.getDouble(b));
        }
      }
      default -> {
        if (op.isPredicate()) {
          for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
            Raw.putByte(y, (byte) Elementwise.binaryDouble(op, Raw.getDouble(a), Raw.getDouble(b)));
          }
        } else {
          for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
            Raw.putDouble(y, Elementwise.binaryDouble(op, Raw.getDouble(a), Raw.getDouble(b)));
          }
        }
      }
    }
  }

  /** Copies {@code n} elements of {@code size} bytes between strided addresses (no conversion). */
  static void copySame(int size, long x, long sx, long y, long sy, int n) {
    if (sx == size && sy == size) {
      // A unit-stride run (im2col's rows, slices): one block copy.
      Raw.copyMemory(x, y, (long) n * size);
      return;
    }
    if (sx == 0 && sy == size && size == 4) {
      // One value broadcast into a run (an expanded gradient made contiguous): a constant store
      // loop instead of a load per element.
      storeInts(y, n, Raw.getInt(x));
      return;
    }
    switch (size) {
      case 8 -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putLong(y, Raw.getLong(x));
        }
      }
      case 4 -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putInt(y, Raw.getInt(x));
        }
      }
      case 2 -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putShort(y, Raw.getShort(x));
        }
      }
      default -> {
        for (int k = 0; k < n; k++, x += sx, y += sy) {
          Raw.putByte(y, Raw.getByte(x));
        }
      }
    }
  }

  /** Computes {@code y = alpha * a + beta * b}. */
  static void axpbyF32(float alpha, long a, long sa, float beta, long b, long sb, long y, long sy, int n) {
    if (sa == 4 && sb == 4 && sy == 4) {
      for (int k = 0; k < n; k++) {
        Raw.putFloat(y + 4L * k, alpha * Raw.getFloat(a + 4L * k) + beta * Raw.getFloat(b + 4L * k));
      }
      return;
    }
    for (int k = 0; k < n; k++, a += sa, b += sb, y += sy) {
      Raw.putFloat(y, alpha * Raw.getFloat(a) + beta * Raw.getFloat(b));
    }
  }

  /** Converts bool bytes to float32 ones and zeros. */
  static void boolToF32(long x, long sx, long y, long sy, int n) {
    if (sx == 1 && sy == 4) {
      for (int k = 0; k < n; k++) {
        Raw.putFloat(y + 4L * k, Raw.getByte(x + k) != 0 ? 1f : 0f);
      }
      return;
    }
    for (int k = 0; k < n; k++, x += sx, y += sy) {
      Raw.putFloat(y, Raw.getByte(x) != 0 ? 1f : 0f);
    }
  }

  static void whereF32(long c, long sc, long a, long sa, long b, long sb, long y, long sy, int n) {
    // Select by bit masks: no data-dependent branch to mispredict on a random mask such as
    // ReLU's; the bits are copied exactly (NaN, -0.0, infinities).
    if (sc == 1 && sy == 4 && (sa == 4 || sa == 0) && (sb == 4 || sb == 0)) {
      if (sa == 0) {
        // A broadcast value taken where true (ReLU's gradient of a sum arrives as an expanded view).
        int av = Raw.getInt(a);
        for (int k = 0; k < n; k++) {
          int m = -(Raw.getByte(c + k) != 0 ? 1 : 0);
          Raw.putInt(y + 4L * k, (av & m) | (Raw.getInt(b + sb * k) & ~m));
        }
        return;
      }
      for (int k = 0; k < n; k++) {
        int m = -(Raw.getByte(c + k) != 0 ? 1 : 0);
        Raw.putInt(y + 4L * k, (Raw.getInt(a + 4L * k) & m) | (Raw.getInt(b + sb * k) & ~m));
      }
      return;
    }
    for (int k = 0; k < n; k++, c += sc, a += sa, b += sb, y += sy) {
      int m = -(Raw.getByte(c) != 0 ? 1 : 0);
      Raw.putInt(y, (Raw.getInt(a) & m) | (Raw.getInt(b) & ~m));
    }
  }

  static void fillF32(long y, long sy, int n, float v) {
    if (sy == 4) {
      storeInts(y, n, Float.floatToRawIntBits(v));
      return;
    }
    for (int k = 0; k < n; k++, y += sy) {
      Raw.putFloat(y, v);
    }
  }

  /**
   * Stores the 32-bit pattern {@code bits} into the {@code n} consecutive ints at {@code y}. Written
   * with a moving address and an end address: JDK 17's C2 compiles this form about four times
   * faster than a counted loop over {@code y + 4L * k} (1M floats, one thread: 85 against 315 us).
   */
  static void storeInts(long y, int n, int bits) {
    long end = y + 4L * n;
    for (long at = y; at < end; at += 4) {
      Raw.putInt(at, bits);
    }
  }
}
