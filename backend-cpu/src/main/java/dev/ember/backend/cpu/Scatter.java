package dev.ember.backend.cpu;

import dev.ember.spi.Strided;

/** Gather and scatter-add along one dim, driven by an int64 index tensor. */
final class Scatter {
  private Scatter() {}

  /** Returns strides of {@code s} with {@code dim} zeroed: the base position of each index entry. */
  private static int[] withoutDim(int[] strides, int dim) {
    int[] out = strides.clone();
    out[dim] = 0;
    return out;
  }

  static void gather(Strided xs, int dim, Strided index, Strided out) {
    CpuStorage x = Elementwise.storage(xs);
    CpuStorage idx = Elementwise.storage(index);
    CpuStorage y = Elementwise.storage(out);
    int step = xs.strides()[dim];
    boolean floating = xs.dtype().isFloatingPoint();
    if (xs.dtype() == dev.ember.DType.FLOAT32 && out.dtype() == dev.ember.DType.FLOAT32) {
      StridedLoop.forEachParallel(index.shape(), new int[][] {out.strides(), index.strides(),
          withoutDim(xs.strides(), dim)}, new long[] {out.offset(), index.offset(), xs.offset()},
          (o, so, i, si, b, sb, n) -> {
            if (si == 0 && so == 1 && sb == 1) {
              // One index for the whole run, read and written with unit strides: a row copy
              // (index_select and embedding along dim 0, the index expanded over the row).
              Raw.copyMemory(x.at(b + Raw.getLong(idx.at(i)) * step), y.at(o), 4L * n);
              return;
            }
            for (int k = 0; k < n; k++, o += so, i += si, b += sb) {
              Raw.putFloat(y.at(o), Raw.getFloat(x.at(b + Raw.getLong(idx.at(i)) * step)));
            }
          });
      return;
    }
    StridedLoop.forEach(index.shape(), new int[][] {out.strides(), index.strides(), withoutDim(xs.strides(), dim)},
        new long[] {out.offset(), index.offset(), xs.offset()}, (o, so, i, si, b, sb, n) -> {
          for (int k = 0; k < n; k++, o += so, i += si, b += sb) {
            int at = (int) (b + idx.i64.get(i) * step);
            if (floating) {
              y.setDouble(o, x.getDouble(at));
            } else {
              y.setLong(o, x.getLong(at));
            }
          }
        });
  }

  /**
   * Adds the {@code n} floats at {@code src} (byte stride {@code srcStep}: 4, or 0 for one value
   * broadcast over the run) into the {@code n} consecutive floats at {@code dst}, with moving
   * addresses (the loop form JDK 17's C2 compiles best, see {@link FastLoops#storeInts}).
   */
  static void addRowF32(long src, long srcStep, long dst, int n) {
    long end = dst + 4L * n;
    if (srcStep == 0) {
      float v = Raw.getFloat(src);
      for (long at = dst; at < end; at += 4) {
        Raw.putFloat(at, Raw.getFloat(at) + v);
      }
      return;
    }
    for (long at = dst, from = src; at < end; at += 4, from += srcStep) {
      Raw.putFloat(at, Raw.getFloat(at) + Raw.getFloat(from));
    }
  }

  static void scatterAdd(Strided src, int dim, Strided index, Strided out) {
    CpuStorage s = Elementwise.storage(src);
    CpuStorage idx = Elementwise.storage(index);
    CpuStorage y = Elementwise.storage(out);
    int step = out.strides()[dim];
    boolean floating = out.dtype().isFloatingPoint();
    if (out.dtype() == dev.ember.DType.FLOAT32 && src.dtype() == dev.ember.DType.FLOAT32) {
      StridedLoop.forEach(index.shape(), new int[][] {src.strides(), index.strides(), withoutDim(out.strides(), dim)},
          new long[] {src.offset(), index.offset(), out.offset()}, (q, sq, i, si, b, sb, n) -> {
            if (si == 0 && sb == 1) {
              // One index for the whole run, written with unit stride: a row added into a row
              // (index_add and embedding's gradient along dim 0, the index expanded over the row).
              addRowF32(s.at(q), 4L * sq, y.at(b + Raw.getLong(idx.at(i)) * step), n);
              return;
            }
            for (int k = 0; k < n; k++, q += sq, i += si, b += sb) {
              long at = y.at(b + Raw.getLong(idx.at(i)) * step);
              Raw.putFloat(at, Raw.getFloat(at) + Raw.getFloat(s.at(q)));
            }
          });
      return;
    }
    StridedLoop.forEach(index.shape(), new int[][] {src.strides(), index.strides(), withoutDim(out.strides(), dim)},
        new long[] {src.offset(), index.offset(), out.offset()}, (q, sq, i, si, b, sb, n) -> {
          for (int k = 0; k < n; k++, q += sq, i += si, b += sb) {
            int at = (int) (b + idx.i64.get(i) * step);
            if (floating) {
              y.setDouble(at, y.getDouble(at) + s.getDouble(q));
            } else {
              y.setLong(at, y.getLong(at) + s.getLong(q));
            }
          }
        });
  }
}
