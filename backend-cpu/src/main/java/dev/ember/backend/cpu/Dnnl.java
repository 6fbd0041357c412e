package dev.ember.backend.cpu;

import static org.bytedeco.dnnl.global.dnnl.*;

import dev.ember.DType;
import dev.ember.spi.ConvParams;
import dev.ember.spi.Strided;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_matmul_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_rnn_desc_t;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Convolution on oneDNN (the library PyTorch runs on CPUs), through JavaCPP's C API bindings, over
 * Ember's own contiguous NCHW / OIHW buffers. By default ({@link #BLOCKED}) oneDNN picks the layouts
 * its jit kernels run on (nChw8c and blocked weights, as PyTorch's mkldnn path does) and each call
 * reorders its operands in and its result out, 2-3x faster than its gemm kernels on the plain layouts
 * at W3's shapes (docs/benchmarks.md); with plain layouts, the weight gradient of a
 * one-input-channel convolution (a first layer) is declined, its plain-layout kernel measured 100x slower.
 *
 * <p>Primitives are created once per shape, dtype and geometry and kept in a small LRU cache, which
 * owns their native objects and destroys them on eviction; a training step at fixed shapes creates
 * none after its first. A geometry oneDNN rejects is remembered as declined, and every method then
 * returns false so tensor-api composes the op. float32 only (oneDNN has no float64 convolution).
 *
 * <p>If oneDNN's natives cannot load (another OS or CPU), or with {@code -Dember.cpu.dnnl=false},
 * {@link #available()} is false and one line on stderr says why (only for a failed load).
 */
final class Dnnl {
  /** The system property that turns oneDNN off ({@code -Dember.cpu.dnnl=false}). */
  static final String PROPERTY = "ember.cpu.dnnl";

  /**
   * Whether convolutions let oneDNN choose their layouts ({@code -Dember.cpu.dnnl.blocked}, default
   * true): its jit kernels run on blocked layouts (nChw8c), reached by reorders around each call;
   * with false they run on the plain layouts (its gemm-based kernels).
   */
  static final boolean BLOCKED = !"false".equalsIgnoreCase(System.getProperty("ember.cpu.dnnl.blocked", "true"));

  private static final int CACHE_CAPACITY = 128;
  private static final Object DECLINED = new Object();

  private static final String UNAVAILABLE;
  static final dnnl_engine ENGINE;
  private static final dnnl_stream STREAM;

  static {
    String reason = null;
    dnnl_engine engine = null;
    dnnl_stream stream = null;
    if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
      reason = "switched off by -D" + PROPERTY + "=false";
    } else {
      try {
        OpenMpEnvironment.ensurePassive(); // oneDNN's libgomp reads it when it loads
        Loader.load(org.bytedeco.dnnl.global.dnnl.class);
        PointerPointer<?> pp = new PointerPointer<>(1);
        check(dnnl_engine_create(pp, dnnl_cpu, 0), "engine");
        engine = new dnnl_engine(pp.get(0));
        check(dnnl_stream_create(pp, engine, dnnl_stream_default_flags), "stream");
        stream = new dnnl_stream(pp.get(0));
      } catch (Throwable t) {
        reason = "oneDNN failed to load (" + t + ")";
        System.err.println("ember: " + reason + "; convolutions use the Java path");
      }
    }
    UNAVAILABLE = reason;
    ENGINE = engine;
    STREAM = stream;
  }

  /** Convolution, matmul and RNN primitives by key (a String naming shapes and geometry). */
  private static final PrimCache CACHE = new PrimCache(CACHE_CAPACITY);

  private static long created;

  private Dnnl() {}

  /** Returns whether oneDNN is loaded and in use. */
  static boolean available() {
    return UNAVAILABLE == null;
  }

  /** Returns why oneDNN is not in use, or null if it is. */
  static String unavailableReason() {
    return UNAVAILABLE;
  }

  /** Returns how many primitives have been created so far (a training step at fixed shapes adds none). */
  static synchronized long primitivesCreated() {
    return created;
  }

  // ---------------------------------------------------------------- convolution

  /** Computes {@code out = conv2d(x, w) + bias}; false where oneDNN is off or declines. */
  static synchronized boolean conv2d(Strided x, Strided w, Strided bias, ConvParams p, Strided out) {
    if (!usable(x, w, out) || (bias != null && !usable(bias))) {
      return false;
    }
    String key = "conv_fwd" + dims(x, w, out) + params(p) + (bias != null);
    Prim prim = prim(key, () -> {
      Descs d = convDescs(x.shape(), w.shape(), out.shape(), p, bias != null, false);
      dnnl_primitive_desc pd = notReference(
          convHint(convDescs(x.shape(), w.shape(), out.shape(), p, bias != null, BLOCKED)), null);
      return bias != null ? new Prim(pd, null, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
          d.src, d.weights, d.bias, d.dst)
          : new Prim(pd, null, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, d.src, d.weights, d.dst);
    });
    return prim != null && (bias != null ? prim.run(x, w, bias, out) : prim.run(x, w, out));
  }

  /** Computes the input gradient of a convolution; false where oneDNN is off or declines. */
  static synchronized boolean conv2dBackwardData(Strided gradOut, Strided w, ConvParams p, Strided gradX) {
    if (!usable(gradOut, w, gradX)) {
      return false;
    }
    String key = "conv_bwd_data" + dims(gradX, w, gradOut) + params(p);
    Prim prim = prim(key, () -> {
      Descs d = convDescs(gradX.shape(), w.shape(), gradOut.shape(), p, false, false);
      Descs a = convDescs(gradX.shape(), w.shape(), gradOut.shape(), p, false, BLOCKED);
      dnnl_primitive_desc hint = convHint(a);
      dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
      check(dnnl_dilated_convolution_backward_data_desc_init(cd, dnnl_convolution_direct, a.src, a.weights,
          a.dst, a.strides, a.dilates, a.padL, a.padR), "convolution backward data");
      dnnl_primitive_desc pd = notReference(createPd(new const_dnnl_op_desc_t(cd), hint), hint);
      return new Prim(pd, hint, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
          d.dst, d.weights, d.src);
    });
    return prim != null && prim.run(gradOut, w, gradX);
  }

  /** Computes the weight (and bias) gradients of a convolution; false where oneDNN is off or declines. */
  static synchronized boolean conv2dBackwardWeights(Strided x, Strided gradOut, ConvParams p, Strided gradW,
      Strided gradB) {
    if (!usable(x, gradOut, gradW) || (gradB != null && !usable(gradB)) || !BLOCKED && gradW.shape()[1] == 1) {
      return false;   // one input channel per group on plain layouts: oneDNN's gemm kernel took 400 ms
    }
    String key = "conv_bwd_weights" + dims(x, gradW, gradOut) + params(p) + (gradB != null);
    Prim prim = prim(key, () -> {
      Descs d = convDescs(x.shape(), gradW.shape(), gradOut.shape(), p, gradB != null, false);
      Descs a = convDescs(x.shape(), gradW.shape(), gradOut.shape(), p, gradB != null, BLOCKED);
      if (BLOCKED && x.shape()[1] == 1) {
        // One input channel: NHWC is the same memory as NCHW, and oneDNN's jit kernel takes it with an
        // NHWC gradient (3-4x faster than on nChw8c, where the one channel is padded to eight).
        a = new Descs(md(x.shape(), dnnl_nhwc), a.weights, a.bias, md(gradOut.shape(), dnnl_nhwc), a.strides,
            a.dilates, a.padL, a.padR);
      }
      dnnl_primitive_desc hint = convHint(a);
      dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
      check(dnnl_dilated_convolution_backward_weights_desc_init(cd, dnnl_convolution_direct, a.src, a.weights,
          a.bias, a.dst, a.strides, a.dilates, a.padL, a.padR), "convolution backward weights");
      dnnl_primitive_desc pd = notReference(createPd(new const_dnnl_op_desc_t(cd), hint), hint);
      return gradB != null
          ? new Prim(pd, hint, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
              d.src, d.dst, d.weights, d.bias)
          : new Prim(pd, hint, new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS},
              d.src, d.dst, d.weights);
    });
    return prim != null && (gradB != null ? prim.run(x, gradOut, gradW, gradB) : prim.run(x, gradOut, gradW));
  }

  /** The memory descriptors and geometry of one convolution. */
  private record Descs(dnnl_memory_desc_t src, dnnl_memory_desc_t weights, dnnl_memory_desc_t bias,
      dnnl_memory_desc_t dst, long[] strides, long[] dilates, long[] padL, long[] padR) {}

  /**
   * The descriptors of a convolution: plain NCHW / OIHW (GOIHW) as Ember stores them, or with
   * {@code any} the layouts left to oneDNN (the bias stays plain).
   */
  private static Descs convDescs(int[] x, int[] w, int[] y, ConvParams p, boolean withBias, boolean any) {
    dnnl_memory_desc_t weights = p.groups() == 1 ? md(w, any ? dnnl_format_tag_any : dnnl_oihw)
        : md(new int[] {p.groups(), w[0] / p.groups(), w[1], w[2], w[3]}, any ? dnnl_format_tag_any : dnnl_goihw);
    int act = any ? dnnl_format_tag_any : dnnl_nchw;
    return new Descs(md(x, act), weights, withBias ? md(new int[] {w[0]}, dnnl_a) : null, md(y, act),
        new long[] {p.strideH(), p.strideW()}, new long[] {p.dilationH() - 1, p.dilationW() - 1},
        new long[] {p.padTop(), p.padLeft()}, new long[] {p.padBottom(), p.padRight()});
  }

  /** The forward primitive descriptor a backward convolution needs as its hint. */
  private static dnnl_primitive_desc convHint(Descs d) {
    dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
    check(dnnl_dilated_convolution_forward_desc_init(cd, dnnl_forward_training, dnnl_convolution_direct,
        d.src, d.weights, d.bias, d.dst, d.strides, d.dilates, d.padL, d.padR), "convolution");
    return createPd(new const_dnnl_op_desc_t(cd), null);
  }

  // ---------------------------------------------------------------- batched matrix products

  /**
   * Computes {@code out[i] = a[i] @ b[i]} for float32 {@code a} [B or 1, M, K], {@code b} [B or 1, K, N]
   * (a batch of 1 is shared by every entry) and {@code out} [B, M, N] in one call of oneDNN's matmul
   * primitive, which spreads the whole batch over its threads: one OpenMP fork per call instead of
   * one per entry. Each matrix needs a unit stride in one of its last two dims (a transposed view
   * is fine). False where oneDNN is off, or declines the layout or would run it on a reference
   * (unvectorized) kernel; {@link Blas} then runs the entries one by one.
   */
  static boolean matmul(Strided a, Strided b, Strided out) {
    return matmul(a, b, null, out);
  }

  /**
   * {@link #matmul(Strided, Strided, Strided)} plus {@code bias} (float32, contiguous; [1, N] for 2-d
   * operands, [1, 1, N] for 3-d), added to every row of every product inside the primitive (a Linear's forward: no second pass over the
   * result); null for none.
   */
  static synchronized boolean matmul(Strided a, Strided b, Strided bias, Strided out) {
    if (UNAVAILABLE != null || a.dtype() != DType.FLOAT32 || b.dtype() != DType.FLOAT32
        || out.dtype() != DType.FLOAT32 || out.numel() == 0 || (bias != null && bias.dtype() != DType.FLOAT32)) {
      return false;
    }
    String key = "matmul" + layout(a) + layout(b) + (bias == null ? "" : "bias" + layout(bias)) + layout(out);
    Prim prim = prim(key, () -> {
      dnnl_memory_desc_t src = stridedMd(a);
      dnnl_memory_desc_t weights = stridedMd(b);
      dnnl_memory_desc_t biasMd = bias == null ? null : stridedMd(bias);
      dnnl_memory_desc_t dst = stridedMd(out);
      dnnl_matmul_desc_t md = new dnnl_matmul_desc_t();
      check(dnnl_matmul_desc_init(md, src, weights, biasMd, dst), "matmul");
      dnnl_primitive_desc pd = createPd(new const_dnnl_op_desc_t(md), null);
      if (implementation(pd).startsWith("ref")) {
        dnnl_primitive_desc_destroy(pd);
        throw new Declined("matmul: only a reference kernel");
      }
      return bias == null
          ? new Prim(pd, null, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, src, weights, dst)
          : new Prim(pd, null, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST}, src,
              weights, biasMd, dst);
    });
    return prim != null && (bias == null ? prim.run(a, b, out) : prim.run(a, b, bias, out));
  }

  /** A float32 memory descriptor with the operand's own dims and strides. */
  private static dnnl_memory_desc_t stridedMd(Strided s) {
    long[] dims = new long[s.shape().length];
    long[] strides = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = s.shape()[i];
      strides[i] = s.strides()[i];
    }
    dnnl_memory_desc_t md = new dnnl_memory_desc_t();
    check(dnnl_memory_desc_init_by_strides(md, dims.length, dims, dnnl_f32, strides), "memory descriptor");
    return md;
  }

  private static String layout(Strided s) {
    return java.util.Arrays.toString(s.shape()) + java.util.Arrays.toString(s.strides());
  }

  /**
   * Declines (destroys {@code pd} and {@code hint}, throws {@link Declined}) a convolution that oneDNN
   * would run on its reference kernel ({@code ref:any}): it measured 50-100x slower than the composed
   * path (220 ms for the weight gradient of [64, 1, 28, 28] on NHWC).
   */
  private static dnnl_primitive_desc notReference(dnnl_primitive_desc pd, dnnl_primitive_desc hint) {
    String impl = implementation(pd);
    if (impl.startsWith("ref")) {
      dnnl_primitive_desc_destroy(pd);
      if (hint != null) {
        dnnl_primitive_desc_destroy(hint);
      }
      throw new Declined("reference convolution " + impl);
    }
    return pd;
  }

  /** The implementation oneDNN picked for a primitive descriptor, e.g. {@code jit:avx2}. */
  static String implementation(dnnl_primitive_desc pd) {
    try (PointerPointer<?> pp = new PointerPointer<>(1)) {
      check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, pp), "implementation");
      return new BytePointer(pp.get(0)).getString();
    }
  }

  // ---------------------------------------------------------------- LSTM

  /**
   * Runs an LSTM layer direction on oneDNN's LSTM primitive (forward training): weights in its
   * plain ldigo layout (transposed copies of PyTorch's [4H, in]; gate order i, f, g, o is the same),
   * one bias. Returns the workspace backward needs, or null where oneDNN is off or declines.
   */
  static synchronized CpuStorage lstmForward(Strided x, Strided h0, Strided c0, Strided wih, Strided whh,
      Strided bias, boolean reverse, Strided out, Strided cN) {
    if (!usable(x, h0, c0, wih, whh, bias, out, cN)) {
      return null;
    }
    int[] dims = rnnDims(x, whh);
    Prim prim = prim("lstm_fwd" + java.util.Arrays.toString(dims) + reverse, () -> {
      RnnDescs d = rnnDescs(dims, 4);
      dnnl_primitive_desc pd = lstmForwardPd(d, reverse);
      dnnl_memory_desc_t ws = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
      return new Prim(pd, null, new int[] {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C,
          DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER,
          DNNL_ARG_DST_ITER_C, DNNL_ARG_WORKSPACE}, d.src, d.state, d.state, d.weightsLayer, d.weightsIter, d.bias,
          d.dst, d.state, d.state, ws);
    });
    if (prim == null) {
      return null;
    }
    CpuStorage wihT = transposed(wih);
    CpuStorage whhT = transposed(whh);
    CpuStorage hN = new CpuStorage(DType.FLOAT32, h0.numel());
    CpuStorage ws = new CpuStorage(DType.FLOAT32, (prim.workspaceBytes + 3) / 4);
    try {
      if (prim.run(x, h0, c0, flat(wihT), flat(whhT), bias,
          out, flat(hN), cN, flat(ws))) {
        return ws;
      }
      ws.close();
      return null;
    } finally {
      wihT.close();
      whhT.close();
      hN.close();
    }
  }

  /**
   * The gradients of {@link #lstmForward} on oneDNN's LSTM backward primitive: weights in ldgoi (which
   * is PyTorch's own layout, no copy), weight gradients in ldigo, transposed back. oneDNN accumulates
   * into its weight and bias gradients, so they start at zero. False where oneDNN is off or declines.
   */
  static synchronized boolean lstmBackward(Strided x, Strided h0, Strided c0, Strided wih, Strided whh, Strided bias,
      boolean reverse, Strided out, Strided cN, CpuStorage workspace, Strided gradOut, Strided gradCN,
      Strided gradX, Strided gradH0, Strided gradC0, Strided gradWih, Strided gradWhh, Strided gradBias) {
    if (!usable(x, h0, c0, wih, whh, bias, out, cN) || !usable(gradOut, gradCN, gradX, gradH0, gradC0, gradWih)
        || !usable(gradWhh, gradBias)) {
      return false;
    }
    int[] dims = rnnDims(x, whh);
    Prim prim = prim("lstm_bwd" + java.util.Arrays.toString(dims) + reverse, () -> {
      RnnDescs d = rnnDescs(dims, 4);
      dnnl_primitive_desc hint = lstmForwardPd(d, reverse);
      dnnl_memory_desc_t ws = dnnl_primitive_desc_query_md(hint, dnnl_query_workspace_md, 0);
      long[] wl = {1, 1, dims[2], 4, dims[3]};
      long[] wi = {1, 1, dims[3], 4, dims[3]};
      dnnl_memory_desc_t wlPlain = md(wl, dnnl_ldgoi);
      dnnl_memory_desc_t wiPlain = md(wi, dnnl_ldgoi);
      dnnl_rnn_desc_t rd = new dnnl_rnn_desc_t();
      check(dnnl_lstm_backward_desc_init(rd, dnnl_backward, direction(reverse), d.src, d.state, d.state, wlPlain,
          wiPlain, d.bias, d.dst, d.state, d.state, d.src, d.state, d.state, d.weightsLayer, d.weightsIter, d.bias,
          d.dst, d.state, d.state, dnnl_rnn_flags_undef), "lstm backward");
      dnnl_primitive_desc pd = createPd(new const_dnnl_op_desc_t(rd), hint);
      return new Prim(pd, hint, new int[] {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C,
          DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER,
          DNNL_ARG_DST_ITER_C, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC_LAYER, DNNL_ARG_DIFF_SRC_ITER,
          DNNL_ARG_DIFF_SRC_ITER_C, DNNL_ARG_DIFF_WEIGHTS_LAYER, DNNL_ARG_DIFF_WEIGHTS_ITER, DNNL_ARG_DIFF_BIAS,
          DNNL_ARG_DIFF_DST_LAYER, DNNL_ARG_DIFF_DST_ITER, DNNL_ARG_DIFF_DST_ITER_C}, d.src, d.state, d.state, wlPlain,
          wiPlain, d.bias, d.dst, d.state, d.state, ws, d.src, d.state, d.state, d.weightsLayer, d.weightsIter,
          d.bias, d.dst, d.state, d.state);
    });
    if (prim == null) {
      return false;
    }
    int steps = dims[0];
    Strided hN = new Strided(out.storage(), out.dtype(), h0.shape(), h0.strides(),
        out.offset() + (long) (reverse ? 0 : steps - 1) * out.strides()[0]);
    CpuStorage dWihT = new CpuStorage(DType.FLOAT32, wih.numel());
    CpuStorage dWhhT = new CpuStorage(DType.FLOAT32, whh.numel());
    CpuStorage zeros = new CpuStorage(DType.FLOAT32, h0.numel());
    try {
      Strided dWihTs = Strided.contiguous(dWihT, wih.shape()[1], wih.shape()[0]);
      Strided dWhhTs = Strided.contiguous(dWhhT, whh.shape()[1], whh.shape()[0]);
      Elementwise.fill(dWihTs, 0);
      Elementwise.fill(dWhhTs, 0);
      Elementwise.fill(gradBias, 0);
      Strided zero = Strided.contiguous(zeros, h0.shape());
      Elementwise.fill(zero, 0);
      if (!prim.run(x, h0, c0, wih, whh, bias, out, hN, cN,
          flat(workspace), gradX, gradH0, gradC0, dWihTs, dWhhTs, gradBias, gradOut,
          zero, gradCN)) {
        return false;
      }
      Elementwise.copy(transpose(dWihTs), gradWih);
      Elementwise.copy(transpose(dWhhTs), gradWhh);
      return true;
    } finally {
      dWihT.close();
      dWhhT.close();
      zeros.close();
    }
  }

  /** {T, N, in, H} of an LSTM call. */
  private static int[] rnnDims(Strided x, Strided whh) {
    return new int[] {x.shape()[0], x.shape()[1], x.shape()[2], whh.shape()[1]};
  }

  /**
   * The memory descriptors of one RNN layer direction with plain weights: {@code gates} weight blocks
   * per layer (ldigo; 4 for the LSTM, 3 for the GRU) and four bias vectors (ldgo; the LSTM's four
   * gates, the linear-before-reset GRU's three plus {@code b_hn}).
   */
  private record RnnDescs(dnnl_memory_desc_t src, dnnl_memory_desc_t state, dnnl_memory_desc_t weightsLayer,
      dnnl_memory_desc_t weightsIter, dnnl_memory_desc_t bias, dnnl_memory_desc_t dst) {}

  /** {@link RnnDescs} for {@code dims} {T, N, in, H} and {@code gates} weight blocks. */
  private static RnnDescs rnnDescs(int[] dims, int gates) {
    long t = dims[0];
    long n = dims[1];
    long in = dims[2];
    long h = dims[3];
    return new RnnDescs(md(new long[] {t, n, in}, dnnl_tnc), md(new long[] {1, 1, n, h}, dnnl_ldnc),
        md(new long[] {1, 1, in, gates, h}, dnnl_ldigo), md(new long[] {1, 1, h, gates, h}, dnnl_ldigo),
        md(new long[] {1, 1, 4, h}, dnnl_ldgo), md(new long[] {t, n, h}, dnnl_tnc));
  }

  private static dnnl_primitive_desc lstmForwardPd(RnnDescs d, boolean reverse) {
    dnnl_rnn_desc_t rd = new dnnl_rnn_desc_t();
    check(dnnl_lstm_forward_desc_init(rd, dnnl_forward_training, direction(reverse), d.src, d.state, d.state,
        d.weightsLayer, d.weightsIter, d.bias, d.dst, d.state, d.state, dnnl_rnn_flags_undef), "lstm");
    return createPd(new const_dnnl_op_desc_t(rd), null);
  }

  private static int direction(boolean reverse) {
    return reverse ? dnnl_unidirectional_right2left : dnnl_unidirectional_left2right;
  }

  /** A contiguous copy of the transpose of a 2-d {@code w}. */
  private static CpuStorage transposed(Strided w) {
    CpuStorage t = new CpuStorage(DType.FLOAT32, w.numel());
    Elementwise.copy(transpose(w), Strided.contiguous(t, w.shape()[1], w.shape()[0]));
    return t;
  }

  /** A whole storage as a 1-d view (oneDNN reads only its address). */
  private static Strided flat(CpuStorage s) {
    return Strided.contiguous(s, Math.toIntExact(s.numel()));
  }

  private static Strided transpose(Strided s) {
    return new Strided(s.storage(), s.dtype(), new int[] {s.shape()[1], s.shape()[0]},
        new int[] {s.strides()[1], s.strides()[0]}, s.offset());
  }

  // ---------------------------------------------------------------- GRU

  /**
   * oneDNN's gate g of a GRU is PyTorch's gate {@code GRU_GATE[g]}: oneDNN orders u (update, PyTorch's
   * z), r (reset), o (candidate, PyTorch's n); PyTorch orders r, z, n.
   */
  private static final int[] GRU_GATE = {1, 0, 2};

  /**
   * Runs a GRU layer direction on oneDNN's linear-before-reset GRU (forward training), which is
   * PyTorch's formulation: r multiplies {@code h W_hn^T + b_hn}. Weights as permuted ldigo copies
   * (gates u, r, o = PyTorch's z, r, n), four bias vectors {@code (b_iz + b_hz, b_ir + b_hr, b_in,
   * b_hn)}. Returns the workspace backward needs, or null where oneDNN is off or declines.
   */
  static synchronized CpuStorage gruForward(Strided x, Strided h0, Strided wih, Strided whh, Strided bih,
      Strided bhh, boolean reverse, Strided out) {
    if (!usable(x, h0, wih, whh, bih, bhh, out)) {
      return null;
    }
    int[] dims = rnnDims(x, whh);
    Prim prim = prim("gru_fwd" + java.util.Arrays.toString(dims) + reverse, () -> {
      RnnDescs d = rnnDescs(dims, 3);
      dnnl_primitive_desc pd = gruForwardPd(d, reverse);
      dnnl_memory_desc_t ws = dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0);
      return new Prim(pd, null, new int[] {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_WEIGHTS_LAYER,
          DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER, DNNL_ARG_WORKSPACE},
          d.src, d.state, d.weightsLayer, d.weightsIter, d.bias, d.dst, d.state, ws);
    });
    if (prim == null) {
      return null;
    }
    int h = dims[3];
    CpuStorage wl = gruWeights(wih, h, true);
    CpuStorage wi = gruWeights(whh, h, true);
    CpuStorage b = gruBias(bih, bhh, h);
    CpuStorage hN = new CpuStorage(DType.FLOAT32, h0.numel());
    CpuStorage ws = new CpuStorage(DType.FLOAT32, (prim.workspaceBytes + 3) / 4);
    try {
      if (prim.run(x, h0, flat(wl), flat(wi), flat(b), out, flat(hN), flat(ws))) {
        return ws;
      }
      ws.close();
      return null;
    } finally {
      wl.close();
      wi.close();
      b.close();
      hN.close();
    }
  }

  /**
   * The gradients of {@link #gruForward} on oneDNN's lbr GRU backward primitive: weights as permuted
   * ldgoi copies (PyTorch's layout with gates z, r, n), weight gradients in ldigo and the four bias
   * gradients, permuted back into PyTorch's layout ({@code b_ih}'s and {@code b_hh}'s r and z parts
   * get the same gradient, n parts the third and fourth vector). oneDNN accumulates into its weight and
   * bias gradients, so they start at zero. False where oneDNN is off or declines.
   */
  static synchronized boolean gruBackward(Strided x, Strided h0, Strided wih, Strided whh, Strided bih, Strided bhh,
      boolean reverse, Strided out, CpuStorage workspace, Strided gradOut, Strided gradX, Strided gradH0,
      Strided gradWih, Strided gradWhh, Strided gradBih, Strided gradBhh) {
    if (!usable(x, h0, wih, whh, bih, bhh, out) || !usable(gradOut, gradX, gradH0, gradWih, gradWhh, gradBih, gradBhh)) {
      return false;
    }
    int[] dims = rnnDims(x, whh);
    Prim prim = prim("gru_bwd" + java.util.Arrays.toString(dims) + reverse, () -> {
      RnnDescs d = rnnDescs(dims, 3);
      dnnl_primitive_desc hint = gruForwardPd(d, reverse);
      dnnl_memory_desc_t ws = dnnl_primitive_desc_query_md(hint, dnnl_query_workspace_md, 0);
      // Logical dims are always {l, d, i, g, o}; the tag orders them in memory as [g][o][i].
      dnnl_memory_desc_t wlPlain = md(new long[] {1, 1, dims[2], 3, dims[3]}, dnnl_ldgoi);
      dnnl_memory_desc_t wiPlain = md(new long[] {1, 1, dims[3], 3, dims[3]}, dnnl_ldgoi);
      dnnl_rnn_desc_t rd = new dnnl_rnn_desc_t();
      check(dnnl_lbr_gru_backward_desc_init(rd, dnnl_backward, direction(reverse), d.src, d.state, wlPlain, wiPlain,
          d.bias, d.dst, d.state, d.src, d.state, d.weightsLayer, d.weightsIter, d.bias, d.dst, d.state,
          dnnl_rnn_flags_undef), "gru backward");
      dnnl_primitive_desc pd = createPd(new const_dnnl_op_desc_t(rd), hint);
      return new Prim(pd, hint, new int[] {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_WEIGHTS_LAYER,
          DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER, DNNL_ARG_WORKSPACE,
          DNNL_ARG_DIFF_SRC_LAYER, DNNL_ARG_DIFF_SRC_ITER, DNNL_ARG_DIFF_WEIGHTS_LAYER, DNNL_ARG_DIFF_WEIGHTS_ITER,
          DNNL_ARG_DIFF_BIAS, DNNL_ARG_DIFF_DST_LAYER, DNNL_ARG_DIFF_DST_ITER}, d.src, d.state, wlPlain, wiPlain,
          d.bias, d.dst, d.state, ws, d.src, d.state, d.weightsLayer, d.weightsIter, d.bias, d.dst, d.state);
    });
    if (prim == null) {
      return false;
    }
    int steps = dims[0];
    int h = dims[3];
    Strided hN = new Strided(out.storage(), out.dtype(), h0.shape(), h0.strides(),
        out.offset() + (long) (reverse ? 0 : steps - 1) * out.strides()[0]);
    CpuStorage wl = gruWeights(wih, h, false);
    CpuStorage wi = gruWeights(whh, h, false);
    CpuStorage b = gruBias(bih, bhh, h);
    CpuStorage dWl = new CpuStorage(DType.FLOAT32, wih.numel());
    CpuStorage dWi = new CpuStorage(DType.FLOAT32, whh.numel());
    CpuStorage dB = new CpuStorage(DType.FLOAT32, 4L * h);
    CpuStorage zeros = new CpuStorage(DType.FLOAT32, h0.numel());
    try {
      for (CpuStorage z : new CpuStorage[] {dWl, dWi, dB, zeros}) {
        Elementwise.fill(flat(z), 0);
      }
      if (!prim.run(x, h0, flat(wl), flat(wi), flat(b), out, hN, flat(workspace), gradX, gradH0, flat(dWl), flat(dWi),
          flat(dB), gradOut, flat(zeros))) {
        return false;
      }
      fromLdigo(dWl, gradWih, h);
      fromLdigo(dWi, gradWhh, h);
      long db = dB.at(0);
      long dbi = ((CpuStorage) gradBih.storage()).at(gradBih.offset());
      long dbh = ((CpuStorage) gradBhh.storage()).at(gradBhh.offset());
      for (int g = 0; g < 3; g++) {
        long to = 4L * GRU_GATE[g] * h;
        Raw.copyMemory(db + 4L * g * h, dbi + to, 4L * h);
        Raw.copyMemory(db + 4L * (g == 2 ? 3 : g) * h, dbh + to, 4L * h);
      }
      return true;
    } finally {
      wl.close();
      wi.close();
      b.close();
      dWl.close();
      dWi.close();
      dB.close();
      zeros.close();
    }
  }

  private static dnnl_primitive_desc gruForwardPd(RnnDescs d, boolean reverse) {
    dnnl_rnn_desc_t rd = new dnnl_rnn_desc_t();
    check(dnnl_lbr_gru_forward_desc_init(rd, dnnl_forward_training, direction(reverse), d.src, d.state,
        d.weightsLayer, d.weightsIter, d.bias, d.dst, d.state, dnnl_rnn_flags_undef), "gru");
    return createPd(new const_dnnl_op_desc_t(rd), null);
  }

  /**
   * PyTorch's GRU weight {@code w} [3H, k] (gates r, z, n) in oneDNN's gate order u, r, o: as ldigo
   * [k, 3, H] ({@code ldigo} true, what the forward takes) or ldgoi [3, H, k] (the backward's).
   */
  private static CpuStorage gruWeights(Strided w, int h, boolean ldigo) {
    int k = w.shape()[1];
    CpuStorage t = new CpuStorage(DType.FLOAT32, w.numel());
    for (int g = 0; g < 3; g++) {
      long from = w.offset() + (long) GRU_GATE[g] * h * w.strides()[0];
      if (ldigo) {
        Elementwise.copy(new Strided(w.storage(), w.dtype(), new int[] {k, h}, new int[] {w.strides()[1],
            w.strides()[0]}, from), new Strided(t, DType.FLOAT32, new int[] {k, h}, new int[] {3 * h, 1}, (long) g * h));
      } else {
        Elementwise.copy(new Strided(w.storage(), w.dtype(), new int[] {h, k}, w.strides(), from),
            new Strided(t, DType.FLOAT32, new int[] {h, k}, new int[] {k, 1}, (long) g * h * k));
      }
    }
    return t;
  }

  /** An ldigo weight gradient [k, 3, H] (gates u, r, o) into PyTorch's layout {@code grad} [3H, k]. */
  private static void fromLdigo(CpuStorage d, Strided grad, int h) {
    int k = grad.shape()[1];
    for (int g = 0; g < 3; g++) {
      Elementwise.copy(new Strided(d, DType.FLOAT32, new int[] {h, k}, new int[] {1, 3 * h}, (long) g * h),
          new Strided(grad.storage(), grad.dtype(), new int[] {h, k}, grad.strides(),
              grad.offset() + (long) GRU_GATE[g] * h * grad.strides()[0]));
    }
  }

  /** oneDNN's four lbr GRU biases [4, H] from PyTorch's: {@code (b_iz + b_hz, b_ir + b_hr, b_in, b_hn)}. */
  private static CpuStorage gruBias(Strided bih, Strided bhh, int h) {
    CpuStorage b = new CpuStorage(DType.FLOAT32, 4L * h);
    long out = b.at(0);
    long bi = ((CpuStorage) bih.storage()).at(bih.offset());
    long bh = ((CpuStorage) bhh.storage()).at(bhh.offset());
    for (int g = 0; g < 3; g++) {
      long from = 4L * GRU_GATE[g] * h;
      for (int j = 0; j < h; j++) {
        long k = from + 4L * j;
        float v = Raw.getFloat(bi + k);
        float u = Raw.getFloat(bh + k);
        if (g < 2) {
          Raw.putFloat(out + 4L * (g * h + j), v + u);
        } else {
          Raw.putFloat(out + 4L * (2 * h + j), v);
          Raw.putFloat(out + 4L * (3 * h + j), u);
        }
      }
    }
    return b;
  }

  // ---------------------------------------------------------------- the primitive cache

  /** Creates a primitive for the cache; throws {@link Declined} where oneDNN rejects it. */
  interface Factory {
    Prim create();
  }

  /** Returns the cached primitive for {@code key}, creating it once; null if declined. */
  private static Prim prim(String key, Factory factory) {
    return CACHE.get(key, factory);
  }

  /**
   * Primitives by key, least recently used first, at most {@code capacity}; owns their native objects
   * and destroys an evicted one. A key oneDNN declined is remembered, so it is not tried again. Callers
   * hold the {@code Dnnl} class lock.
   */
  static final class PrimCache {
    private final Map<Object, Object> map;

    PrimCache(int capacity) {
      map = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, Object> eldest) {
          if (size() > capacity) {
            if (eldest.getValue() instanceof Prim p) {
              p.destroy();
            }
            return true;
          }
          return false;
        }
      };
    }

    /** Returns the primitive for {@code key} (an object with value equality), creating it once; null if declined. */
    Prim get(Object key, Factory factory) {
      Object cached = map.get(key);
      if (cached == null) {
        try {
          cached = factory.create();
          created++;
        } catch (Declined e) {
          cached = DECLINED;
        }
        map.put(key, cached);
      }
      return cached instanceof Prim p ? p : null;
    }
  }

  /**
   * One oneDNN primitive with its descriptor, the forward descriptor a backward one was hinted with,
   * and one memory object per argument whose data pointer is set on each run. Where the primitive
   * chose another layout for an argument than the caller's plain one (it was created with
   * {@code format_tag_any}: blocked layouts such as nChw8c, on which oneDNN's jit kernels run), the
   * argument is staged: a reorder into a scratch buffer before the run (inputs) or out of it after the
   * run (outputs). The staged buffers of a run lie in one arena shared by all primitives (calls are
   * serialized), so cached primitives hold no copies of activations between calls.
   */
  static final class Prim {
    private final dnnl_primitive_desc pd;
    private final dnnl_primitive_desc hint;
    private final dnnl_primitive primitive;
    /** The caller's plain memory per argument; its data handle is set on each run. */
    private final dnnl_memory[] memories;
    /** Per argument, the memory in the primitive's own layout, or null where it is the plain one. */
    private final dnnl_memory[] staged;
    /** Per argument, the reorder between the plain and the staged memory, or null. */
    private final dnnl_primitive[] reorders;
    private final dnnl_primitive_desc[] reorderPds;
    private final dnnl_exec_arg_t[] reorderArgs;
    private final boolean[] outputs;
    /** Per staged argument, its offset in the scratch arena; the bytes of the arena a run needs. */
    private final long[] stagedOffsets;
    private final long stagedBytes;
    private final dnnl_exec_arg_t args;
    private final Address address = new Address();
    /** The size of the last argument's memory in bytes (an LSTM's workspace). */
    final long workspaceBytes;

    Prim(dnnl_primitive_desc pd, dnnl_primitive_desc hint, int[] argKinds, dnnl_memory_desc_t... descs) {
      this.pd = pd;
      this.hint = hint;
      int n = descs.length;
      memories = new dnnl_memory[n];
      staged = new dnnl_memory[n];
      reorders = new dnnl_primitive[n];
      reorderPds = new dnnl_primitive_desc[n];
      reorderArgs = new dnnl_exec_arg_t[n];
      outputs = new boolean[n];
      stagedOffsets = new long[n];
      args = new dnnl_exec_arg_t(n);
      PointerPointer<?> pp = new PointerPointer<>(1);
      if (dnnl_primitive_create(pp, pd) != dnnl_success) {
        dnnl_primitive_desc_destroy(pd);
        if (hint != null) {
          dnnl_primitive_desc_destroy(hint);
        }
        args.close();
        throw new Declined("primitive");
      }
      primitive = new dnnl_primitive(pp.get(0));
      long bytes = 0;
      try {
        for (int i = 0; i < n; i++) {
          check(dnnl_memory_create(pp, descs[i], ENGINE, null), "memory");
          memories[i] = new dnnl_memory(pp.get(0));
          dnnl_memory_desc_t own = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, argKinds[i]);
          dnnl_memory main = memories[i];
          if (own != null && !own.isNull() && dnnl_memory_desc_equal(own, descs[i]) == 0) {
            outputs[i] = isOutput(argKinds[i]);
            check(dnnl_memory_create(pp, own, ENGINE, null), "staged memory");   // its buffer: set per run
            staged[i] = new dnnl_memory(pp.get(0));
            stagedOffsets[i] = bytes;
            bytes += (dnnl_memory_desc_get_size(own) + 63) & ~63L;
            check(outputs[i] ? dnnl_reorder_primitive_desc_create(pp, own, ENGINE, descs[i], ENGINE, null)
                : dnnl_reorder_primitive_desc_create(pp, descs[i], ENGINE, own, ENGINE, null), "reorder");
            reorderPds[i] = new dnnl_primitive_desc(pp.get(0));
            check(dnnl_primitive_create(pp, reorderPds[i]), "reorder primitive");
            reorders[i] = new dnnl_primitive(pp.get(0));
            reorderArgs[i] = new dnnl_exec_arg_t(2);
            reorderArgs[i].position(0).arg(DNNL_ARG_FROM).memory(outputs[i] ? staged[i] : memories[i]);
            reorderArgs[i].position(1).arg(DNNL_ARG_TO).memory(outputs[i] ? memories[i] : staged[i]);
            reorderArgs[i].position(0);
            main = staged[i];
          }
          args.position(i).arg(argKinds[i]).memory(main);
        }
      } catch (Declined e) {
        destroy();
        throw e;
      }
      if (bytes > Integer.MAX_VALUE) {
        destroy();
        throw new Declined("staged arguments of " + bytes + " bytes");
      }
      args.position(0);
      stagedBytes = bytes;
      workspaceBytes = dnnl_memory_desc_get_size(descs[n - 1]);
    }

    /** Whether oneDNN writes this argument (a staged output is reordered back after the run). */
    private static boolean isOutput(int argKind) {
      return argKind == DNNL_ARG_DST || argKind == DNNL_ARG_DIFF_SRC || argKind == DNNL_ARG_DIFF_WEIGHTS
          || argKind == DNNL_ARG_DIFF_BIAS;
    }

    /** Whether any argument runs in a layout other than the caller's (for tests and the docs). */
    boolean isStaged() {
      for (dnnl_memory m : staged) {
        if (m != null) {
          return true;
        }
      }
      return false;
    }

    /** Runs the primitive on these operands, in the order of the argument kinds. */
    boolean run(Strided... operands) {
      for (int i = 0; i < operands.length; i++) {
        Strided s = operands[i];
        address.set(((CpuStorage) s.storage()).at(s.offset()));
        if (dnnl_memory_set_data_handle(memories[i], address) != dnnl_success) {
          return false;
        }
      }
      if (stagedBytes > 0) {
        long arena = scratch(stagedBytes);
        for (int i = 0; i < operands.length; i++) {
          if (staged[i] != null) {
            address.set(arena + stagedOffsets[i]);
            if (dnnl_memory_set_data_handle(staged[i], address) != dnnl_success) {
              return false;
            }
          }
        }
      }
      for (int i = 0; i < operands.length; i++) {
        if (reorders[i] != null && !outputs[i]
            && dnnl_primitive_execute(reorders[i], STREAM, 2, reorderArgs[i]) != dnnl_success) {
          return false;
        }
      }
      if (dnnl_primitive_execute(primitive, STREAM, memories.length, args) != dnnl_success) {
        return false;
      }
      for (int i = 0; i < operands.length; i++) {
        if (reorders[i] != null && outputs[i]
            && dnnl_primitive_execute(reorders[i], STREAM, 2, reorderArgs[i]) != dnnl_success) {
          return false;
        }
      }
      return dnnl_stream_wait(STREAM) == dnnl_success;
    }

    void destroy() {
      for (int i = 0; i < memories.length; i++) {
        if (reorders[i] != null) {
          dnnl_primitive_destroy(reorders[i]);
        }
        if (reorderPds[i] != null) {
          dnnl_primitive_desc_destroy(reorderPds[i]);
        }
        if (reorderArgs[i] != null) {
          reorderArgs[i].close();
        }
        if (staged[i] != null) {
          dnnl_memory_destroy(staged[i]);
        }
        if (memories[i] != null) {
          dnnl_memory_destroy(memories[i]);
        }
      }
      dnnl_primitive_destroy(primitive);
      dnnl_primitive_desc_destroy(pd);
      if (hint != null) {
        dnnl_primitive_desc_destroy(hint);
      }
      args.close();
    }
  }

  /** A JavaCPP pointer to a raw address (Ember's storage), handed to oneDNN as a data handle. */
  private static final class Address extends Pointer {
    void set(long a) {
      address = a;
    }
  }

  /** The scratch arena of staged arguments (see {@link Prim}); grows to the largest run's need. */
  private static CpuStorage arena;

  /** Returns the address of a scratch arena of at least {@code bytes} (callers hold the class lock). */
  private static long scratch(long bytes) {
    if (arena == null || arena.numel() * 4 < bytes) {
      if (arena != null) {
        arena.close();
      }
      arena = new CpuStorage(DType.FLOAT32, (bytes + 3) / 4);
    }
    return arena.at(0);
  }

  /** oneDNN rejected a descriptor: the op falls back to tensor-api's composition. */
  static final class Declined extends RuntimeException {
    Declined(String what) {
      super(what, null, false, false);
    }
  }

  // ---------------------------------------------------------------- helpers

  static dnnl_primitive_desc createPd(const_dnnl_op_desc_t desc, dnnl_primitive_desc hint) {
    PointerPointer<?> pp = new PointerPointer<>(1);
    check(dnnl_primitive_desc_create(pp, desc, null, ENGINE, hint), "primitive descriptor");
    return new dnnl_primitive_desc(pp.get(0));
  }

  private static dnnl_memory_desc_t md(int[] dims, int tag) {
    long[] d = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      d[i] = dims[i];
    }
    dnnl_memory_desc_t md = new dnnl_memory_desc_t();
    check(dnnl_memory_desc_init_by_tag(md, d.length, d, dnnl_f32, tag), "memory descriptor");
    return md;
  }

  static dnnl_memory_desc_t md(long[] dims, int tag) {
    dnnl_memory_desc_t md = new dnnl_memory_desc_t();
    check(dnnl_memory_desc_init_by_tag(md, dims.length, dims, dnnl_f32, tag), "memory descriptor");
    return md;
  }

  static void check(int status, String what) {
    if (status != dnnl_success) {
      throw new Declined(what + ": status " + status);
    }
  }

  /** oneDNN in use, float32, contiguous and non-empty. */
  private static boolean usable(Strided... operands) {
    if (UNAVAILABLE != null) {
      return false;
    }
    for (Strided s : operands) {
      if (s.dtype() != DType.FLOAT32 || !s.isContiguous() || s.numel() == 0) {
        return false;
      }
    }
    return true;
  }

  private static String dims(Strided... operands) {
    StringBuilder b = new StringBuilder();
    for (Strided s : operands) {
      b.append(java.util.Arrays.toString(s.shape()));
    }
    return b.toString();
  }

  private static String params(Object p) {
    return p.toString();
  }
}
