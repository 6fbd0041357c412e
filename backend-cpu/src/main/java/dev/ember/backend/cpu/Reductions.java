package dev.ember.backend.cpu;

import dev.ember.spi.ReduceOp;
import dev.ember.spi.Strided;

/**
 * Reductions and scans. Every element of {@code x} is folded into the output slot it maps to (the
 * output broadcast over {@code x}'s shape, stride 0 on reduced dims); floating sums accumulate in
 * double.
 */
final class Reductions {
  private Reductions() {}

  static void reduce(ReduceOp op, Strided broadcast, Strided out) {
    // A reduced dim of stride 0 (a broadcast view, possibly of more than 2^31 elements) repeats the
    // same values: fold one copy and account for the repeats once at the end.
    long repeats = 1;
    int[] collapsed = broadcast.shape().clone();
    for (int d = 0; d < collapsed.length; d++) {
      if (broadcast.strides()[d] == 0 && collapsed[d] > 1 && out.shape()[d] == 1) {
        repeats *= collapsed[d];
        collapsed[d] = 1;
      }
    }
    Strided xs = repeats == 1 ? broadcast : new Strided(broadcast.storage(), broadcast.dtype(), collapsed,
        broadcast.strides(), broadcast.offset());
    CpuStorage x = Elementwise.storage(xs);
    CpuStorage y = Elementwise.storage(out);
    int[] shape = xs.shape();
    int[] outStrides = new int[shape.length];
    int[] outContig = Strided.contiguousStrides(out.shape());
    for (int d = 0; d < shape.length; d++) {
      outStrides[d] = out.shape()[d] == shape[d] ? outContig[d] : 0;
    }
    int m = (int) out.numel();
    boolean floating = xs.dtype().isFloatingPoint();
    double[] acc = new double[m];
    long[] accLong = floating ? null : new long[m];
    long[] position = (op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN) ? new long[m] : null;
    int reducedDim = -1;
    for (int d = 0; d < shape.length; d++) {
      if (outStrides[d] == 0 && shape[d] != 1) {
        reducedDim = d;
      }
    }
    int[] counterStride = new int[shape.length];
    if (position != null && reducedDim >= 0) {
      counterStride[reducedDim] = 1;
    }
    if (op == ReduceOp.PROD) {
      java.util.Arrays.fill(acc, 1);
      if (accLong != null) {
        java.util.Arrays.fill(accLong, 1);
      }
    }
    boolean raw = xs.dtype() == dev.ember.DType.FLOAT32 || xs.dtype() == dev.ember.DType.FLOAT64;
    if (op == ReduceOp.SUM && sumMiddleF32(x, xs, outStrides, acc)) {
      // done: a contiguous float32 [outer, R, inner] summed over R
    } else if (raw && position == null) {
      foldFloating(op, x, xs, outStrides, acc);
    } else if (raw && reducedDim >= 0 && xs.isContiguous()) {
      argContiguous(op == ReduceOp.ARGMAX, x, xs, reducedDim, acc, position);
    } else if (raw && reducedDim >= 0) {
      argFloating(op == ReduceOp.ARGMAX, x, xs, outStrides, counterStride, acc, position);
    } else {
      foldGeneric(op, x, xs, floating, shape, outStrides, counterStride, acc, accLong, position);
    }
    if (repeats > 1) {
      applyRepeats(op, repeats, acc, accLong);
    }
    writeOut(out, y, m, position, floating, acc, accLong);
  }

  /**
   * Sums a contiguous float32 tensor over one block of adjacent dims with kept dims after it, i.e.
   * [outer, R, inner] over R with inner > 1 (a bias gradient: the sum over the batch; a sum over a
   * middle dim): each output adds its R values in row order in double, as the general fold does, bit
   * for bit, with the outputs split across threads from {@link StridedLoop#PARALLEL_THRESHOLD}
   * elements (from 32k, [16, 64, 128] measured slower split than on one thread). With the Vector API
   * on, the rows are added by {@link VectorSums#addRows} (whole rows widened to double 4 at a time,
   * the same additions in the same order). Returns false, touching nothing, for any other layout.
   */
  private static boolean sumMiddleF32(CpuStorage x, Strided xs, int[] outStrides, double[] acc) {
    if (xs.dtype() != dev.ember.DType.FLOAT32 || !xs.isContiguous()) {
      return false;
    }
    int[] shape = xs.shape();
    int first = -1;
    int last = -1;
    for (int d = 0; d < shape.length; d++) {
      if (outStrides[d] == 0 && shape[d] != 1) {
        if (first < 0) {
          first = d;
        } else {
          for (int k = last + 1; k < d; k++) {
            if (shape[k] != 1) {
              return false; // a kept dim lies between two reduced ones
            }
          }
        }
        last = d;
      }
    }
    if (first < 0) {
      return false;
    }
    long outer = 1;
    long rows = 1;
    long inner = 1;
    for (int d = 0; d < shape.length; d++) {
      if (d < first) {
        outer *= shape[d];
      } else if (d <= last) {
        rows *= shape[d];
      } else {
        inner *= shape[d];
      }
    }
    if (inner < 2 || rows < 2 || outer * rows * inner > Integer.MAX_VALUE) {
      return false;
    }
    long base = x.at(xs.offset());
    int r = (int) rows;
    int in = (int) inner;
    // Pieces: whole outer indices when there are enough of them for the threads (full rows stage in one
    // copy), else column blocks of at least 64 outputs (whole cache lines of acc) within each outer index.
    int blocksPerOuter = outer >= 2L * StridedLoop.THREADS ? 1
        : (int) Math.max(1, Math.min(in / 64, 2L * StridedLoop.THREADS));
    int pieces = (int) Math.min(Integer.MAX_VALUE, outer * blocksPerOuter);
    StridedLoop.Piece piece = t -> {
      long o = t / blocksPerOuter;
      int b = t % blocksPerOuter;
      int from = (int) ((long) in * b / blocksPerOuter);
      int to = (int) ((long) in * (b + 1) / blocksPerOuter);
      int at = (int) (o * in);
      long block = base + 4L * o * r * in;
      int scalarFrom = from;
      if (FloatSums.vector()) { // cold (ROWS_GATE): a few columns on the vector loop, the rest below
        VectorGate gate = FloatSums.ROWS_GATE;
        scalarFrom = from + gate.vectorFloats(to - from);
        long started = gate.begin();
        VectorRowSums.addRows(block, r, in, from, scalarFrom, acc, at + from);
        gate.end(started, (scalarFrom - from) * r);
      }
      for (int row = 0; row < r && scalarFrom < to; row++) {
        long a = block + 4L * ((long) row * in);
        for (int k = scalarFrom; k < to; k++) {
          acc[at + k] += Raw.getFloat(a + 4L * k);
        }
      }
    };
    long n = outer * rows * inner;
    if (n >= StridedLoop.COSTLY_PARALLEL_THRESHOLD) {
      StridedLoop.runInShares(pieces, piece);
    } else {
      for (int t = 0; t < pieces; t++) {
        piece.run(t);
      }
    }
    return true;
  }

  /**
   * Folds float32/float64 {@code x} into {@code acc} with raw loads: a run along a reduced dim
   * (output stride 0) folds into one local before touching {@code acc}; a run along a kept dim adds
   * a row into {@code acc}.
   */
  private static void foldFloating(ReduceOp op, CpuStorage x, Strided xs, int[] outStrides, double[] acc) {
    boolean single = xs.dtype() == dev.ember.DType.FLOAT32;
    int size = single ? 4 : 8;
    if (op == ReduceOp.MAX || op == ReduceOp.MIN) {
      java.util.Arrays.fill(acc, op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
    }
    boolean max = op == ReduceOp.MAX;
    StridedLoop.forEach(xs.shape(), new int[][] {xs.strides(), outStrides}, new long[] {xs.offset(), 0},
        (i, si, o, so, u, su, n) -> {
          long a = x.at(i);
          long step = (long) si * size;
          if (so == 0) {
            double r = acc[o];
            switch (op) {
              case SUM -> {
                int k = 0;
                if (single && step == 4) {
                  // Sixteen independent partial sums in double, on vectors where it can, in chunks
                  // split across threads for long runs (FloatSums fixes the order everywhere).
                  r += FloatSums.sum(a, n);
                  k = n;
                }
                for (; k < n; k++, a += step) {
                  r += single ? Raw.getFloat(a) : Raw.getDouble(a);
                }
              }
              case PROD -> {
                for (int k = 0; k < n; k++, a += step) {
                  r *= single ? Raw.getFloat(a) : Raw.getDouble(a);
                }
              }
              default -> {
                // Math.max/min propagate NaN, as PyTorch's amax/amin do, without branches.
                for (int k = 0; k < n; k++, a += step) {
                  double v = single ? Raw.getFloat(a) : Raw.getDouble(a);
                  r = max ? Math.max(r, v) : Math.min(r, v);
                }
              }
            }
            acc[o] = r;
          } else if (op == ReduceOp.SUM && single && step == 4 && so == 1) {
            // A row added into a row of sums: unit strides, no switch in the loop.
            for (int k = 0; k < n; k++) {
              acc[o + k] += Raw.getFloat(a + 4L * k);
            }
          } else {
            for (int k = 0, q = o; k < n; k++, a += step, q += so) {
              double v = single ? Raw.getFloat(a) : Raw.getDouble(a);
              switch (op) {
                case SUM -> acc[q] += v;
                case PROD -> acc[q] *= v;
                default -> acc[q] = max ? Math.max(acc[q], v) : Math.min(acc[q], v);
              }
            }
          }
        });
  }

  /**
   * Arg-max (or min) of a contiguous float tensor viewed as [outer, K, inner] along K, a block of the
   * inner dim at a time so the running extremes stay in small arrays: with one output row per
   * element of the slices, folding slice after slice over whole rows streams twice the data through
   * the cache (max pooling's windows). The first extreme wins; NaN counts as the extreme.
   */
  private static void argContiguous(boolean max, CpuStorage x, Strided xs, int dim, double[] best,
      long[] position) {
    int[] shape = xs.shape();
    int k = shape[dim];
    long outer = 1;
    long inner = 1;
    for (int d = 0; d < dim; d++) {
      outer *= shape[d];
    }
    for (int d = dim + 1; d < shape.length; d++) {
      inner *= shape[d];
    }
    boolean single = xs.dtype() == dev.ember.DType.FLOAT32;
    int size = single ? 4 : 8;
    long base = x.at(xs.offset());
    int block = 512;
    double[] bv = new double[block];
    int[] bi = new int[block];
    for (long o = 0; o < outer; o++) {
      for (long c0 = 0; c0 < inner; c0 += block) {
        int len = (int) Math.min(block, inner - c0);
        long row = base + ((o * k) * inner + c0) * size;
        for (int j = 0; j < len; j++) {
          bv[j] = single ? Raw.getFloat(row + 4L * j) : Raw.getDouble(row + 8L * j);
          bi[j] = 0;
        }
        for (int s = 1; s < k; s++) {
          long slice = row + (long) s * inner * size;
          if (single && max) {
            // Non-short-circuit logic keeps the loop free of data-dependent branches, which random
            // data would mispredict half the time.
            for (int j = 0; j < len; j++) {
              double v = Raw.getFloat(slice + 4L * j);
              double r = bv[j];
              int better = -(((v > r) | ((v != v) & (r == r))) ? 1 : 0);
              bv[j] = Math.max(v, r);
              bi[j] = (bi[j] & ~better) | (s & better);
            }
            continue;
          }
          for (int j = 0; j < len; j++) {
            double v = single ? Raw.getFloat(slice + 4L * j) : Raw.getDouble(slice + 8L * j);
            double r = bv[j];
            boolean better = (max ? v > r : v < r) | ((v != v) & (r == r));
            bv[j] = better ? v : r;
            bi[j] = better ? s : bi[j];
          }
        }
        int out = (int) (o * inner + c0);
        for (int j = 0; j < len; j++) {
          best[out + j] = bv[j];
          position[out + j] = bi[j];
        }
      }
    }
  }

  /**
   * Finds the first maximum (or minimum) of float32/float64 {@code x} along its one reduced dim, NaN
   * counting as the extreme, with raw loads.
   */
  private static void argFloating(boolean max, CpuStorage x, Strided xs, int[] outStrides, int[] counterStride,
      double[] best, long[] position) {
    boolean single = xs.dtype() == dev.ember.DType.FLOAT32;
    int size = single ? 4 : 8;
    boolean[] seen = new boolean[best.length];
    StridedLoop.forEach(xs.shape(), new int[][] {xs.strides(), outStrides, counterStride},
        new long[] {xs.offset(), 0, 0}, (i, si, o, so, c, sc, n) -> {
          long a = x.at(i);
          long step = (long) si * size;
          if (so == 0) {
            // The run lies along the reduced dim: find its extreme locally, then merge once.
            double r = single ? Raw.getFloat(a) : Raw.getDouble(a);
            int at = 0;
            a += step;
            for (int k = 1; k < n && r == r; k++, a += step) {
              double v = single ? Raw.getFloat(a) : Raw.getDouble(a);
              if (v != v || (max ? v > r : v < r)) {
                r = v;
                at = k;
              }
            }
            double prior = best[o];
            if (!seen[o] || (prior == prior && (r != r || (max ? r > prior : r < prior)))) {
              best[o] = r;
              position[o] = c + (long) at * sc;
              seen[o] = true;
            }
            return;
          }
          if (sc == 0 && so == 1) {
            // The reduced index c is the same along the run: the first slice initializes a row of
            // outputs, later ones update it with branch-free selects.
            if (!seen[o]) {
              for (int k = 0; k < n; k++, a += step) {
                best[o + k] = single ? Raw.getFloat(a) : Raw.getDouble(a);
                position[o + k] = c;
                seen[o + k] = true;
              }
              return;
            }
            for (int k = 0; k < n; k++, a += step) {
              double v = single ? Raw.getFloat(a) : Raw.getDouble(a);
              double r = best[o + k];
              boolean better = (max ? v > r : v < r) || (v != v && r == r);
              best[o + k] = better ? v : r;
              position[o + k] = better ? c : position[o + k];
            }
            return;
          }
          for (int k = 0, q = o, idx = c; k < n; k++, a += step, q += so, idx += sc) {
            double v = single ? Raw.getFloat(a) : Raw.getDouble(a);
            double r = best[q];
            if (!seen[q] || (r == r && (v != v || (max ? v > r : v < r)))) {
              best[q] = v;
              position[q] = idx;
              seen[q] = true;
            }
          }
        });
  }

  private static void foldGeneric(ReduceOp op, CpuStorage x, Strided xs, boolean floating, int[] shape,
      int[] outStrides, int[] counterStride, double[] acc, long[] accLong, long[] position) {
    boolean[] started = new boolean[acc.length];
    StridedLoop.forEach(shape, new int[][] {xs.strides(), outStrides, counterStride},
        new long[] {xs.offset(), 0, 0}, (i, si, o, so, c, sc, n) -> {
          for (int k = 0; k < n; k++, i += si, o += so, c += sc) {
            if (floating) {
              double v = x.getDouble(i);
              switch (op) {
                case SUM -> acc[o] += v;
                case PROD -> acc[o] *= v;
                case MAX -> acc[o] = !started[o] || (!Double.isNaN(acc[o]) && (Double.isNaN(v) || v > acc[o]))
                    ? v : acc[o];
                case MIN -> acc[o] = !started[o] || (!Double.isNaN(acc[o]) && (Double.isNaN(v) || v < acc[o]))
                    ? v : acc[o];
                case ARGMAX, ARGMIN -> {
                  boolean better = !started[o]
                      || (!Double.isNaN(acc[o]) && (Double.isNaN(v)
                      || (op == ReduceOp.ARGMAX ? v > acc[o] : v < acc[o])));
                  if (better) {
                    acc[o] = v;
                    position[o] = c;
                  }
                }
              }
            } else {
              long v = x.getLong(i);
              switch (op) {
                case SUM -> accLong[o] += v;
                case PROD -> accLong[o] *= v;
                case MAX -> accLong[o] = !started[o] ? v : Math.max(accLong[o], v);
                case MIN -> accLong[o] = !started[o] ? v : Math.min(accLong[o], v);
                case ARGMAX, ARGMIN -> {
                  if (!started[o] || (op == ReduceOp.ARGMAX ? v > accLong[o] : v < accLong[o])) {
                    accLong[o] = v;
                    position[o] = c;
                  }
                }
              }
            }
            started[o] = true;
          }
        });
  }

  /**
   * Turns the fold of one copy into the fold of {@code repeats} copies: SUM multiplies, PROD raises
   * to the power (int64 by squaring, wrapping as repeated products do); MAX, MIN and the first
   * position of an extreme don't change.
   */
  private static void applyRepeats(ReduceOp op, long repeats, double[] acc, long[] accLong) {
    if (op != ReduceOp.SUM && op != ReduceOp.PROD) {
      return;
    }
    for (int i = 0; i < acc.length; i++) {
      if (accLong != null) {
        accLong[i] = op == ReduceOp.SUM ? accLong[i] * repeats : power(accLong[i], repeats);
      } else {
        acc[i] = op == ReduceOp.SUM ? acc[i] * repeats : Math.pow(acc[i], repeats);
      }
    }
  }

  private static long power(long base, long exponent) {
    long result = 1;
    for (long b = base, e = exponent; e > 0; e >>= 1, b *= b) {
      if ((e & 1) != 0) {
        result *= b;
      }
    }
    return result;
  }

  private static void writeOut(Strided out, CpuStorage y, int m, long[] position, boolean floating, double[] acc,
      long[] accLong) {
    if (out.isContiguous() && (position != null ? out.dtype() == dev.ember.DType.INT64
        : out.dtype() == dev.ember.DType.FLOAT32)) {
      long at = y.at(out.offset());
      if (position != null) {
        for (int lin = 0; lin < m; lin++) {
          Raw.putLong(at + 8L * lin, position[lin]);
        }
      } else {
        for (int lin = 0; lin < m; lin++) {
          Raw.putFloat(at + 4L * lin, (float) acc[lin]);
        }
      }
      return;
    }
    if (out.isContiguous()) {
      int base = (int) out.offset();
      for (int lin = 0; lin < m; lin++) {
        if (position != null) {
          y.setLong(base + lin, position[lin]);
        } else if (floating) {
          y.setDouble(base + lin, acc[lin]);
        } else {
          y.setLong(base + lin, accLong[lin]);
        }
      }
      return;
    }
    int[] outStrided = out.strides();
    int[] outShape = out.shape();
    for (int lin = 0; lin < m; lin++) {
      int rem = lin;
      long at = out.offset();
      for (int d = outShape.length - 1; d >= 0; d--) {
        at += (long) (rem % outShape[d]) * outStrided[d];
        rem /= outShape[d];
      }
      if (position != null) {
        y.setLong((int) at, position[lin]);
      } else if (floating) {
        y.setDouble((int) at, acc[lin]);
      } else {
        y.setLong((int) at, accLong[lin]);
      }
    }
  }


  static void cumsum(Strided xs, int dim, Strided out) {
    CpuStorage x = Elementwise.storage(xs);
    CpuStorage y = Elementwise.storage(out);
    int[] shape = xs.shape().clone();
    int len = shape[dim];
    shape[dim] = 1;
    int sx = xs.strides()[dim];
    int so = out.strides()[dim];
    boolean floating = xs.dtype().isFloatingPoint();
    StridedLoop.forEach(shape, new int[][] {xs.strides(), out.strides()}, new long[] {xs.offset(), out.offset()},
        (i, si, o, sOut, u, su, n) -> {
          for (int k = 0; k < n; k++, i += si, o += sOut) {
            if (floating) {
              double run = 0;
              for (int t = 0; t < len; t++) {
                run += x.getDouble(i + t * sx);
                y.setDouble(o + t * so, run);
              }
            } else {
              long run = 0;
              for (int t = 0; t < len; t++) {
                run += x.getLong(i + t * sx);
                y.setLong(o + t * so, run);
              }
            }
          }
        });
  }
}
