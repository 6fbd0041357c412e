package dev.ember.backend.cpu;

/**
 * Float32 sums of one contiguous off-heap run (a sum over all elements, over a last dim), in one fixed order whatever the machine, the vector
 * width or the number of threads, so a sum is reproducible everywhere. Values are added in float32
 * in short blocks of {@link #BLOCK_ADDS} values, as vector lanes do, and the blocks' sums go into
 * double accumulators: about 8 float roundings per value, against PyTorch's float32 accumulation
 * over whole rows. (Java 17's C2 widens 4 float lanes to 4 doubles in vector code, which {@link
 * VectorSums} uses for the double accumulators, but not 8 floats to 8 doubles in one shape change:
 * that falls back to boxed vectors, several times slower than scalar code.)
 *
 * <p><b>One run</b> ({@link #sum}): the run is cut into chunks of {@link #CHUNK} floats whose sums
 * are added in order (from {@link StridedLoop#PARALLEL_THRESHOLD} floats each thread sums a contiguous
 * share of the chunks). In a chunk, each block of 256 floats is summed by 32 float lanes (lane j takes elements
 * 32i + j, i = 0..7, in order, starting from 0: four independent 8-float vectors), each lane's float
 * sum is added to that lane's double accumulator; the 32 doubles are combined pairwise ({@code d[j] +=
 * d[j + w]} for w = 16, 8, 4, 2, 1), and the floats past the last full block are added one by one.
 *
 * <p>{@link VectorSums} runs the same additions on the Vector API where it is on; the scalar loops
 * here give the same bits.
 */
final class FloatSums {
  /** Floats per chunk of one run: the unit of the fixed order and of the parallel split. */
  static final int CHUNK = 1 << 16;
  /** Lanes of one run's block. */
  static final int LANES = 32;
  /** Float additions per lane before the lane's float sum goes into double. */
  static final int BLOCK_ADDS = 8;

  /** Whether {@link VectorSums#blocks} runs compiled: until then it takes one block of each chunk. */
  static final VectorGate BLOCKS_GATE = new VectorGate("float sums");
  /** Whether {@link VectorSums#addRows} runs compiled: until then it takes a few columns of each piece. */
  static final VectorGate ROWS_GATE = new VectorGate("middle-dim sums");

  private FloatSums() {}

  /** Whether the vector loops run in this JVM. */
  static boolean vector() {
    return VectorSupport.ENABLED && VectorShape.EIGHT_FLOATS;
  }

  /** Returns the sum of the {@code n} floats at {@code address}, in the order above, in double. */
  static double sum(long address, int n) {
    return sum(address, n, vector());
  }

  /** {@link #sum(long, int)} on the vector loops or, with {@code vector} false, the scalar ones (tests). */
  static double sum(long address, int n, boolean vector) {
    int chunks = (n + CHUNK - 1) / CHUNK;
    if (chunks < 2) {
      return chunk(address, n, vector);
    }
    double[] partial = new double[chunks];
    StridedLoop.Piece piece = c -> partial[c] = chunk(address + 4L * c * CHUNK, Math.min(CHUNK, n - c * CHUNK),
        vector);
    if (n >= StridedLoop.PARALLEL_THRESHOLD) {
      StridedLoop.runInShares(chunks, piece);
    } else {
      for (int c = 0; c < chunks; c++) {
        piece.run(c);
      }
    }
    double total = 0;
    for (double p : partial) {
      total += p;
    }
    return total;
  }

  /** Sums one chunk (at most {@link #CHUNK} floats). */
  private static double chunk(long address, int n, boolean vector) {
    int full = n - n % (LANES * BLOCK_ADDS);
    double[] d = new double[LANES];
    int vectorFull = 0;
    if (vector) { // cold (BLOCKS_GATE), one block on the vector loop and the rest below: the same additions
      vectorFull = BLOCKS_GATE.vectorFloats(full, LANES * BLOCK_ADDS);
      long t = BLOCKS_GATE.begin();
      VectorSums.blocks(address, vectorFull, d);
      BLOCKS_GATE.end(t, vectorFull);
    }
    if (vectorFull < full) {
      float[] f = new float[LANES];
      for (int b = vectorFull; b < full; b += LANES * BLOCK_ADDS) {
        java.util.Arrays.fill(f, 0f);
        for (int i = 0; i < BLOCK_ADDS; i++) {
          for (int j = 0; j < LANES; j++) {
            f[j] += Raw.getFloat(address + 4L * (b + LANES * i + j));
          }
        }
        for (int j = 0; j < LANES; j++) {
          d[j] += f[j];
        }
      }
    }
    for (int w = LANES / 2; w >= 1; w /= 2) {
      for (int j = 0; j < w; j++) {
        d[j] += d[j + w];
      }
    }
    double r = d[0];
    for (int k = full; k < n; k++) {
      r += Raw.getFloat(address + 4L * k);
    }
    return r;
  }
}
