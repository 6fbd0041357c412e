package dev.ember.internal;

/**
 * The Philox 4x32-10 counter-based generator (Salmon et al., SC'11). A number depends only on the
 * key (the seed) and a counter, so any backend, CPU or GPU, produces the same stream bit for bit,
 * in any order and in parallel.
 *
 * <p>Element {@code i} of a random fill uses counter {@code offset + i} and the first output word:
 * float32 takes its top 24 bits, float64 combines the first two words into 53 bits.
 */
public final class Philox {
  private static final int M0 = 0xD2511F53;
  private static final int M1 = 0xCD9E8D57;
  private static final int W0 = 0x9E3779B9;
  private static final int W1 = 0xBB67AE85;

  private Philox() {}

  /**
   * Runs the full Philox 4x32-10 block function on a 128-bit counter and 64-bit key; returns the
   * four output words.
   */
  public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
    for (int round = 0; round < 10; round++) {
      long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
      long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
      int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
      int n1 = (int) p1;
      int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
      int n3 = (int) p0;
      c0 = n0;
      c1 = n1;
      c2 = n2;
      c3 = n3;
      k0 += W0;
      k1 += W1;
    }
    return new int[] {c0, c1, c2, c3};
  }

  /**
   * Returns the first two output words for a counter (the low 64 bits of the 128-bit counter; the
   * high words are 0) and key (the seed), packed as {@code word0 << 32 | word1}.
   */
  public static long twoWords(long seed, long counter) {
    int[] w = block((int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32));
    return ((long) w[0] << 32) | (w[1] & 0xFFFFFFFFL);
  }

  /** Returns a float32-precision uniform number in [0, 1) for a counter. */
  public static float uniformFloat(long seed, long counter) {
    int w0 = (int) (twoWords(seed, counter) >>> 32);
    return (w0 >>> 8) * 0x1.0p-24f;
  }

  /** Returns a float64-precision uniform number in [0, 1) for a counter. */
  public static double uniformDouble(long seed, long counter) {
    long w = twoWords(seed, counter);
    long bits53 = ((w >>> 32) << 21) | ((w & 0xFFFFFFFFL) >>> 11);
    return bits53 * 0x1.0p-53;
  }
}
