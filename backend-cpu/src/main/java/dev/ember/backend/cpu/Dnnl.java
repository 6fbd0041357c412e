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
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Convolution on oneDNN (the library PyTorch runs on CPUs), through JavaCPP's C API bindings, on
 * plain NCHW / OIHW memory over Ember's own contiguous buffers: no copies. Measured per shape class
 * against the composed path (docs/benchmarks.md): the weight gradient of a one-input-channel
 * convolution (a first layer) is declined, oneDNN's plain-layout kernel for it measured 10x slower.
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

  private static final int CACHE_CAPACITY = 128;
  private static final Object DECLINED = new Object();

  private static final String UNAVAILABLE;
  private static final dnnl_engine ENGINE;
  private static final dnnl_stream STREAM;

  static {
    String reason = null;
    dnnl_engine engine = null;
    dnnl_stream stream = null;
    if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
      reason = "switched off by -D" + PROPERTY + "=false";
    } else {
      try {
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

  /** Primitives by key, least recently used first; owns their native objects. */
  private static final Map<String, Object> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
      if (size() > CACHE_CAPACITY) {
        if (eldest.getValue() instanceof Prim p) {
          p.destroy();
        }
        return true;
      }
      return false;
    }
  };

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
      Descs d = convDescs(x.shape(), w.shape(), out.shape(), p, bias != null);
      dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
      check(dnnl_dilated_convolution_forward_desc_init(cd, dnnl_forward_training, dnnl_convolution_direct,
          d.src, d.weights, d.bias, d.dst, d.strides, d.dilates, d.padL, d.padR), "convolution");
      dnnl_primitive_desc pd = createPd(new const_dnnl_op_desc_t(cd), null);
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
      Descs d = convDescs(gradX.shape(), w.shape(), gradOut.shape(), p, false);
      dnnl_primitive_desc hint = convHint(d);
      dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
      check(dnnl_dilated_convolution_backward_data_desc_init(cd, dnnl_convolution_direct, d.src, d.weights,
          d.dst, d.strides, d.dilates, d.padL, d.padR), "convolution backward data");
      dnnl_primitive_desc pd = createPd(new const_dnnl_op_desc_t(cd), hint);
      return new Prim(pd, hint, new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
          d.dst, d.weights, d.src);
    });
    return prim != null && prim.run(gradOut, w, gradX);
  }

  /** Computes the weight (and bias) gradients of a convolution; false where oneDNN is off or declines. */
  static synchronized boolean conv2dBackwardWeights(Strided x, Strided gradOut, ConvParams p, Strided gradW,
      Strided gradB) {
    if (!usable(x, gradOut, gradW) || (gradB != null && !usable(gradB)) || gradW.shape()[1] == 1) {
      return false;   // one input channel per group: oneDNN's gemm kernel measured far slower
    }
    String key = "conv_bwd_weights" + dims(x, gradW, gradOut) + params(p) + (gradB != null);
    Prim prim = prim(key, () -> {
      Descs d = convDescs(x.shape(), gradW.shape(), gradOut.shape(), p, gradB != null);
      dnnl_primitive_desc hint = convHint(d);
      dnnl_convolution_desc_t cd = new dnnl_convolution_desc_t();
      check(dnnl_dilated_convolution_backward_weights_desc_init(cd, dnnl_convolution_direct, d.src, d.weights,
          d.bias, d.dst, d.strides, d.dilates, d.padL, d.padR), "convolution backward weights");
      dnnl_primitive_desc pd = createPd(new const_dnnl_op_desc_t(cd), hint);
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

  private static Descs convDescs(int[] x, int[] w, int[] y, ConvParams p, boolean withBias) {
    dnnl_memory_desc_t weights = p.groups() == 1 ? md(w, dnnl_oihw)
        : md(new int[] {p.groups(), w[0] / p.groups(), w[1], w[2], w[3]}, dnnl_goihw);
    return new Descs(md(x, dnnl_nchw), weights, withBias ? md(new int[] {w[0]}, dnnl_a) : null, md(y, dnnl_nchw),
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

  // ---------------------------------------------------------------- the primitive cache

  /** Creates a primitive for the cache; throws {@link Declined} where oneDNN rejects it. */
  private interface Factory {
    Prim create();
  }

  /** Returns the cached primitive for {@code key}, creating it once; null if declined. */
  private static Prim prim(String key, Factory factory) {
    Object cached = CACHE.get(key);
    if (cached == null) {
      try {
        cached = factory.create();
        created++;
      } catch (Declined e) {
        cached = DECLINED;
      }
      CACHE.put(key, cached);
    }
    return cached instanceof Prim p ? p : null;
  }

  /**
   * One oneDNN primitive with its descriptor, the forward descriptor a backward one was hinted with,
   * and one memory object per argument whose data pointer is set on each run.
   */
  private static final class Prim {
    private final dnnl_primitive_desc pd;
    private final dnnl_primitive_desc hint;
    private final dnnl_primitive primitive;
    private final dnnl_memory[] memories;
    private final dnnl_exec_arg_t args;
    private final Address address = new Address();

    Prim(dnnl_primitive_desc pd, dnnl_primitive_desc hint, int[] argKinds, dnnl_memory_desc_t... descs) {
      this.pd = pd;
      this.hint = hint;
      PointerPointer<?> pp = new PointerPointer<>(1);
      if (dnnl_primitive_create(pp, pd) != dnnl_success) {
        dnnl_primitive_desc_destroy(pd);
        if (hint != null) {
          dnnl_primitive_desc_destroy(hint);
        }
        throw new Declined("primitive");
      }
      primitive = new dnnl_primitive(pp.get(0));
      memories = new dnnl_memory[descs.length];
      args = new dnnl_exec_arg_t(descs.length);
      for (int i = 0; i < descs.length; i++) {
        check(dnnl_memory_create(pp, descs[i], ENGINE, null), "memory");
        memories[i] = new dnnl_memory(pp.get(0));
        args.position(i).arg(argKinds[i]).memory(memories[i]);
      }
      args.position(0);
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
      return dnnl_primitive_execute(primitive, STREAM, memories.length, args) == dnnl_success
          && dnnl_stream_wait(STREAM) == dnnl_success;
    }

    void destroy() {
      for (dnnl_memory m : memories) {
        dnnl_memory_destroy(m);
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

  /** oneDNN rejected a descriptor: the op falls back to tensor-api's composition. */
  private static final class Declined extends RuntimeException {
    Declined(String what) {
      super(what, null, false, false);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static dnnl_primitive_desc createPd(const_dnnl_op_desc_t desc, dnnl_primitive_desc hint) {
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

  private static void check(int status, String what) {
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
