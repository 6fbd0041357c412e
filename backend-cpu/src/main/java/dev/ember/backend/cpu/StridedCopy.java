package dev.ember.backend.cpu;

import dev.ember.spi.Strided;

/**
 * Copies between two strided layouts of one dtype whose innermost dim (after merging) runs with
 * unit stride on both sides: a permutation that keeps the last dim (transpose(1, 2) of [B, T, H, D]
 * made contiguous), a narrow or a slice. Each run is one bulk memory copy, and the runs are walked
 * by an odometer over the outer dims with no call per run through {@link StridedLoop}'s generic
 * bodies, which cost more than a short run's copy (on [16, 64, 4, 32] transposed, 4096 runs of 32
 * floats: 92-100 us through the generic loop, one thread, against about 30 us of copying).
 */
final class StridedCopy {
  /** Runs shorter than this many elements go to the element loops: a bulk copy's call costs more. */
  static final int MIN_RUN = 16;

  private StridedCopy() {}

  /**
   * Copies {@code src} into {@code out} (same dtype, same shape, elements of {@code size} bytes) if
   * their merged innermost dim is unit-stride on both sides and at least {@link #MIN_RUN} long;
   * returns false, touching nothing, otherwise. Splits the runs across threads from {@link
   * StridedLoop#PARALLEL_THRESHOLD} elements.
   */
  static boolean copyRuns(Strided src, Strided out, int size) {
    long total = out.numel();
    if (total == 0) {
      return false;
    }
    StridedLoop.Merged m = StridedLoop.merge(out.shape(), new int[][] {out.strides(), src.strides()});
    int r = m.rank();
    int[] sh = m.shape();
    int[] so = m.strides()[0];
    int[] ss = m.strides()[1];
    if (so[r - 1] != 1 || ss[r - 1] != 1 || sh[r - 1] < MIN_RUN) {
      return false;
    }
    long bytes = (long) sh[r - 1] * size;
    long runs = total / sh[r - 1];
    long y = Elementwise.storage(out).at(out.offset());
    long x = Elementwise.storage(src).at(src.offset());
    if (total >= StridedLoop.PARALLEL_THRESHOLD && runs >= 2) {
      int pieces = (int) Math.min(runs, StridedLoop.THREADS);
      StridedLoop.runPieces(pieces, t -> copyRange(sh, so, ss, r, x, y, size, bytes, runs * t / pieces,
          runs * (t + 1) / pieces));
    } else {
      copyRange(sh, so, ss, r, x, y, size, bytes, 0, runs);
    }
    return true;
  }

  /**
   * Copies runs {@code [from, to)} (row-major over the outer dims) of {@code bytes} each: the runs along
   * the innermost outer dim in a plain loop with constant steps, the odometer moving once per such
   * stretch (per run it cost about as much as the copies: [16, 64, 4, 32] transposed 41-44 us against
   * 29 for the same copies in nested loops).
   */
  private static void copyRange(int[] sh, int[] so, int[] ss, int r, long x, long y, int size, long bytes,
      long from, long to) {
    if (r == 1) {
      Raw.copyMemory(x, y, bytes);
      return;
    }
    int[] counter = new int[r - 1];
    long po = 0;
    long ps = 0;
    long rem = from;
    for (int d = r - 2; d >= 0; d--) {
      counter[d] = (int) (rem % sh[d]);
      rem /= sh[d];
      po += (long) counter[d] * so[d];
      ps += (long) counter[d] * ss[d];
    }
    int inner = r - 2;
    long stepOut = (long) so[inner] * size;
    long stepIn = (long) ss[inner] * size;
    for (long it = from; it < to; ) {
      int m = (int) Math.min(sh[inner] - counter[inner], to - it);
      long xs = x + ps * size;
      long ys = y + po * size;
      for (int j = 0; j < m; j++, xs += stepIn, ys += stepOut) {
        Raw.copyMemory(xs, ys, bytes);
      }
      it += m;
      po += (long) m * so[inner];
      ps += (long) m * ss[inner];
      counter[inner] += m;
      for (int d = inner; d >= 0 && counter[d] == sh[d]; d--) {   // carry into the outer dims
        po -= (long) so[d] * sh[d];
        ps -= (long) ss[d] * sh[d];
        counter[d] = 0;
        if (d > 0) {
          po += so[d - 1];
          ps += ss[d - 1];
          counter[d - 1]++;
        }
      }
    }
  }
}
