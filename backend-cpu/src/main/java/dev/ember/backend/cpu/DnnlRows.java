package dev.ember.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.*;

import dev.ember.DType;
import dev.ember.spi.Strided;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_layer_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_reduction_desc_t;
import org.bytedeco.dnnl.dnnl_softmax_desc_t;

/**
 * Softmax and layer norm forward on oneDNN's primitives for float32 rows: the last dim of a
 * contiguous tensor, viewed as [R, C]. oneDNN reads and writes Ember's off-heap rows in place and
 * splits them over its threads, where {@link RowKernels}' Java kernels stage every block of rows
 * through heap arrays (on JDK 17 a copy that costs about what the math does). Measured 1.4-1.8x
 * faster on one thread from 8k elements up (docs/benchmarks.md, section "Softmax, log-softmax,
 * layer norm and cross-entropy rows"); below {@link #MIN_ELEMENTS} a call's fixed cost (about 4 us,
 * and the wake-up of oneDNN's second thread) loses to the Java kernels, which then run.
 *
 * <p>Left to the Java kernels: log-softmax (oneDNN 2.5's log is off by up to 1.4e-6 absolute, so a
 * row whose largest entry takes all the mass gets 1.4e-6 instead of 0, 12 ulps of 1; cross-entropy
 * losses near 0 would lose their digits), every backward (oneDNN's softmax backward measured no
 * faster; its layer-norm backward takes the variance where Ember saves {@code 1 / sqrt(var + eps)}),
 * and softmax rows with a NaN or +inf (see {@link #softmax}).
 *
 * <p>Primitives are created once per shape (about 0.3 ms each) and kept in their own small LRU cache,
 * so a stream of new row shapes (growing sequence lengths) cannot evict the convolutions' primitives
 * from {@link Dnnl}'s. Calls hold {@link Dnnl}'s lock, as its runs do. Every method returns false
 * where oneDNN is off ({@code -Dember.cpu.dnnl=false}, or for these ops alone {@code
 * -Dember.cpu.dnnl.rows=false}), declines (a reference kernel), or the input is too small, and
 * {@link RowKernels} then runs its Java kernel.
 */
final class DnnlRows {
  /** Whether the row ops may use oneDNN ({@code -Dember.cpu.dnnl.rows}, default true). */
  static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("ember.cpu.dnnl.rows", "true"));

  /**
   * The fewest elements a call hands to oneDNN ({@code -Dember.cpu.dnnl.rows.minElements}, default
   * 65,536): at 4096 the Java kernels measured as fast or faster on one thread (layer norm [32, 128]: 4
   * against 11 us), and on two threads softmax [512, 26] (13,312 elements) took 26 or 61-65 us on oneDNN
   * from one JVM to the next against a steady 32 us in Java (PyTorch 35; 13:20 UTC 2026-12-05).
   */
  static final long MIN_ELEMENTS = Long.getLong("ember.cpu.dnnl.rows.minElements", 1L << 16);

  /** Primitives by key ({@link Dnnl.PrimCache}, 64 entries). Guarded by Dnnl.class. */
  private static final Dnnl.PrimCache CACHE = new Dnnl.PrimCache(64);

  private static long calls;

  private DnnlRows() {}

  /** Returns how many row ops oneDNN has run (for tests). */
  static long calls() {
    synchronized (Dnnl.class) {
      return calls;
    }
  }

  /** Float32, contiguous, non-empty, at least {@link #MIN_ELEMENTS}, oneDNN on; null operands are skipped. */
  private static boolean usable(Strided x, Strided... operands) {
    if (!ENABLED || !Dnnl.available() || x.numel() < MIN_ELEMENTS || x.numel() > Integer.MAX_VALUE
        || x.rank() == 0) {
      return false;
    }
    for (Strided s : operands) {
      if (s != null && (s.dtype() != DType.FLOAT32 || !s.isContiguous() || s.numel() == 0)) {
        return false;
      }
    }
    return x.dtype() == DType.FLOAT32 && x.isContiguous();
  }

  /** {@code x} as oneDNN dims {@code {R, C}}: its row count and row length (last dim). */
  private static long[] rows(Strided x) {
    int c = x.shape()[x.rank() - 1];
    return new long[] {x.numel() / c, c};
  }

  /**
   * Softmax of each last-dim row of {@code x} into {@code out}. Where the result holds a NaN, this
   * declines and the Java kernel recomputes every row, so that rows with a NaN or +inf in {@code x}
   * are all NaN, as PyTorch's (oneDNN leaves NaN only where the NaN or +inf was, and zeros beside
   * it; a row of -inf it gives as NaN already). The check is oneDNN's sum of the result, one share per
   * thread ({@link #hasNaN}).
   */
  static boolean softmax(Strided x, Strided out) {
    if (!usable(x, out)) {
      return false;
    }
    long[] dims = rows(x);
    synchronized (Dnnl.class) {
      Dnnl.Prim prim = prim("softmax" + dims[0] + "x" + dims[1], () -> {
        dnnl_memory_desc_t data = Dnnl.md(dims, dnnl_ab);
        dnnl_softmax_desc_t d = new dnnl_softmax_desc_t();
        Dnnl.check(dnnl_softmax_forward_desc_init(d, dnnl_forward_inference, data, 1), "softmax");
        return create(d, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, data, data);
      });
      return run(prim, x, out) && !hasNaN(out);
    }
  }

  /** The share sums {@link #hasNaN} reads, grown to the most shares seen. Guarded by Dnnl.class. */
  private static Strided probe;

  /**
   * Whether any element of contiguous float32 {@code s} ({@code n} floats) is NaN: oneDNN sums it in
   * one contiguous share per thread (a NaN makes its share's sum NaN), and this adds the share sums. True
   * too where oneDNN has no kernel for the sum (the caller then falls back). Each of oneDNN's threads
   * sums about the share it has just written (the softmax splits its rows the same way), so no core
   * reads the other's result: one sum of all the floats ran on one thread and read the other core's
   * half, and with the two vCPUs on cores apart oneDNN's softmax then ran 2.4x slower (170 against
   * 400-430 us on [16, 4, 64, 64]) for seconds at a time, as it had with OpenBLAS's {@code sasum}
   * before (docs/benchmarks.md, "ninth round"); a sum per row instead added 230 us. Call with
   * Dnnl.class held.
   */
  private static boolean hasNaN(Strided s) {
    long n = s.numel();
    int threads = OpenMpEnvironment.threads();
    long shares = n % threads == 0 ? threads : 1;
    Dnnl.Prim sum = prim("sum" + shares + "x" + n / shares, () -> {
      dnnl_memory_desc_t all = Dnnl.md(new long[] {shares, n / shares}, dnnl_ab);
      dnnl_memory_desc_t perShare = Dnnl.md(new long[] {shares, 1}, dnnl_ab);
      dnnl_reduction_desc_t d = new dnnl_reduction_desc_t();
      Dnnl.check(dnnl_reduction_desc_init(d, dnnl_reduction_sum, all, perShare, 0f, 0f), "reduction");
      return create(d, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, all, perShare);
    });
    if (probe == null || probe.numel() < shares) {
      if (probe != null) {
        probe.storage().close();
      }
      probe = Strided.contiguous(new CpuStorage(DType.FLOAT32, shares), new int[] {(int) shares, 1});
    }
    if (sum == null || !sum.run(s, probe)) {
      return true;
    }
    long at = ((CpuStorage) probe.storage()).at(0);
    float total = 0;
    for (long i = 0; i < shares; i++) {
      total += Raw.getFloat(at + 4 * i); // a NaN share sum makes the total NaN
    }
    return Float.isNaN(total);
  }

  /**
   * Layer norm forward over the last dim (see {@link RowKernels#layerNorm}; {@code weight} and
   * {@code bias} may be null): oneDNN writes the output, each row's mean, and its biased variance
   * into {@code rstd}, which then becomes {@code 1 / sqrt(var + eps)} (in double, as the Java kernel).
   */
  static boolean layerNorm(Strided x, Strided weight, Strided bias, double eps, Strided out, Strided mean,
      Strided rstd) {
    if (!usable(x, weight, bias, out, mean, rstd)) {
      return false;
    }
    long[] dims = rows(x);
    float e = (float) eps;
    boolean scale = weight != null;
    boolean shift = bias != null;
    synchronized (Dnnl.class) {
      String key = "layer_norm" + dims[0] + "x" + dims[1] + "e" + Float.floatToIntBits(e) + scale + shift;
      Dnnl.Prim prim = prim(key, () -> {
        dnnl_memory_desc_t data = Dnnl.md(dims, dnnl_ab);
        dnnl_memory_desc_t stat = Dnnl.md(new long[] {dims[0]}, dnnl_a);
        dnnl_memory_desc_t param = Dnnl.md(new long[] {dims[1]}, dnnl_a);
        dnnl_layer_normalization_desc_t d = new dnnl_layer_normalization_desc_t();
        Dnnl.check(dnnl_layer_normalization_forward_desc_init(d, dnnl_forward_training, data, stat, e,
            (scale ? dnnl_use_scale : 0) | (shift ? dnnl_use_shift : 0)), "layer normalization");
        int[] args = {DNNL_ARG_SRC, DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_DST, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
        dnnl_memory_desc_t[] descs = {data, param, param, data, stat, stat};
        boolean[] present = {true, scale, shift, true, true, true};
        return create(d, select(args, present), select(descs, present));
      });
      if (!run(prim, select(new Strided[] {x, weight, bias, out, mean, rstd},
          new boolean[] {true, scale, shift, true, true, true}))) {
        return false;
      }
    }
    long ra = ((CpuStorage) rstd.storage()).at(rstd.offset());
    for (long i = 0; i < dims[0]; i++) {
      Raw.putFloat(ra + 4 * i, (float) (1 / Math.sqrt(Raw.getFloat(ra + 4 * i) + (double) e)));
    }
    return true;
  }

  private static int[] select(int[] all, boolean[] present) {
    return java.util.stream.IntStream.range(0, all.length).filter(i -> present[i]).map(i -> all[i]).toArray();
  }

  private static <T> T[] select(T[] all, boolean[] present) {
    return java.util.stream.IntStream.range(0, all.length).filter(i -> present[i]).mapToObj(i -> all[i])
        .toArray(n -> java.util.Arrays.copyOf(all, n));
  }

  /** Runs a cached primitive (null: declined) and counts the call; false where it did not run. */
  private static boolean run(Dnnl.Prim prim, Strided... operands) {
    if (prim == null || !prim.run(operands)) {
      return false;
    }
    calls++;
    return true;
  }

  /** Returns the cached primitive for {@code key}, creating it once; null if oneDNN declined it. */
  private static Dnnl.Prim prim(String key, Dnnl.Factory factory) {
    return CACHE.get(key, factory);
  }

  /**
   * The primitive of an op descriptor with these argument kinds and memory descriptors, or {@link
   * Dnnl.Declined} where oneDNN would run its reference (unvectorized) kernel.
   */
  private static Dnnl.Prim create(org.bytedeco.javacpp.Pointer opDesc, int[] args, dnnl_memory_desc_t... descs) {
    dnnl_primitive_desc pd = Dnnl.createPd(new const_dnnl_op_desc_t(opDesc), null);
    String impl = Dnnl.implementation(pd);
    if (impl.startsWith("ref")) {
      dnnl_primitive_desc_destroy(pd);
      throw new Dnnl.Declined("row op on the reference kernel " + impl);
    }
    return new Dnnl.Prim(pd, null, args, descs);
  }
}
