package dev.ember.backend.cpu;

/**
 * Conversions between float32 and the 2-byte floating types, bit for bit as PyTorch's CPU does
 * them ({@code c10::Half}, {@code c10::BFloat16}): float32 to float16 or bfloat16 rounds to nearest,
 * ties to even; float16 overflows to infinity from 65520 up, keeps subnormals down to 2^-24 and
 * writes every NaN as the quiet NaN {@code 0x7e00} with the input's sign; bfloat16 writes every NaN
 * as {@code 0x7fc0}. The widening directions are exact.
 */
final class HalfFloats {
  private HalfFloats() {}

  /** float32 bits of 65520, the smallest magnitude that rounds to float16 infinity. */
  private static final int HALF_OVERFLOW = 0x477ff000;
  /** float32 bits of 2^-14, the smallest normal float16. */
  private static final int HALF_MIN_NORMAL = 0x38800000;

  /** Returns the float16 bits nearest to {@code f} (ties to even). */
  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs > 0x7f800000) {
      return (short) (sign | 0x7e00);
    }
    if (abs >= HALF_OVERFLOW) {
      return (short) (sign | 0x7c00);
    }
    if (abs < HALF_MIN_NORMAL) {
      // Subnormal (or zero): the value in units of 2^-24, rounded half to even; exact in double.
      return (short) (sign | (int) Math.rint(Math.abs((double) f) * 0x1p24));
    }
    int h = ((abs >>> 23) - 127 + 15) << 10 | (abs >>> 13) & 0x3ff;
    int rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
      h++; // a carry into the exponent is the correct next binade
    }
    return (short) (sign | h);
  }

  /** Returns the float32 value of float16 bits {@code h} (exact; NaN payloads kept). */
  static float halfToFloat(short h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13);
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | (exp - 15 + 127) << 23 | mant << 13);
  }

  /** Returns the bfloat16 bits nearest to {@code f} (ties to even); NaN becomes {@code 0x7fc0}. */
  static short floatToBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) 0x7fc0;
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7fff + lsb) >>> 16);
  }

  /** Returns the float32 value of bfloat16 bits {@code b} (exact). */
  static float bfloat16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /**
   * Widens {@code n} float16 or bfloat16 elements at raw address {@code src} (step {@code srcStep}
   * bytes) to float32 at {@code dst} (step {@code dstStep} bytes).
   */
  static void toFloat32(boolean bfloat, long src, long srcStep, long dst, long dstStep, int n) {
    for (int k = 0; k < n; k++, src += srcStep, dst += dstStep) {
      short h = Raw.getShort(src);
      Raw.putFloat(dst, bfloat ? bfloat16ToFloat(h) : halfToFloat(h));
    }
  }

  /**
   * Rounds {@code n} float32 elements at raw address {@code src} (step {@code srcStep} bytes) to
   * float16 or bfloat16 at {@code dst} (step {@code dstStep} bytes).
   */
  static void fromFloat32(boolean bfloat, long src, long srcStep, long dst, long dstStep, int n) {
    for (int k = 0; k < n; k++, src += srcStep, dst += dstStep) {
      float f = Raw.getFloat(src);
      Raw.putShort(dst, bfloat ? floatToBfloat16(f) : floatToHalf(f));
    }
  }
}
