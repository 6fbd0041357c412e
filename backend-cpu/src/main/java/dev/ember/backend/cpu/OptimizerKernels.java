package dev.ember.backend.cpu;

import dev.ember.DType;
import dev.ember.spi.AdamStep;
import dev.ember.spi.Strided;
import java.util.Arrays;

/**
 * Fused optimizer updates: one pass per element over the parameter, its gradient and its state, in
 * place, with the roundings of the composed ops ({@link dev.ember.spi.Backend#adamStep}). Each
 * scalar is rounded to the dtype first, as {@code Tensor.mul(double)} and {@code axpby} round theirs.
 */
final class OptimizerKernels {
  private OptimizerKernels() {}

  /**
   * Applies {@link AdamStep}'s update to contiguous float32 or float64 operands of one shape;
   * returns false (the composition runs) for anything else.
   */
  static boolean adamStep(Strided param, Strided grad, Strided expAvg, Strided expAvgSq, Strided maxExpAvgSq,
      AdamStep s) {
    Strided[] all = maxExpAvgSq == null ? new Strided[] {param, grad, expAvg, expAvgSq}
        : new Strided[] {param, grad, expAvg, expAvgSq, maxExpAvgSq};
    DType dtype = param.dtype();
    if (dtype != DType.FLOAT32 && dtype != DType.FLOAT64) {
      return false;
    }
    for (Strided x : all) {
      if (!x.isContiguous() || x.dtype() != dtype || !Arrays.equals(x.shape(), param.shape())) {
        return false;
      }
    }
    if (param.numel() > Integer.MAX_VALUE) {
      return false;
    }
    int n = (int) param.numel();
    long max = maxExpAvgSq == null ? 0 : addr(maxExpAvgSq);
    if (dtype == DType.FLOAT32) {
      adamF32(addr(param), addr(grad), addr(expAvg), addr(expAvgSq), max, n, s);
    } else {
      adamF64(addr(param), addr(grad), addr(expAvg), addr(expAvgSq), max, n, s);
    }
    return true;
  }

  private static long addr(Strided s) {
    return ((CpuStorage) s.storage()).at(s.offset());
  }

  private static void adamF32(long p, long gr, long m, long v, long vmax, int n, AdamStep s) {
    float l2 = (float) s.l2WeightDecay();
    boolean hasL2 = s.l2WeightDecay() != 0;
    boolean lerpLow = s.lerpWeight() < 0.5;
    float w = (float) s.lerpWeight();
    float oneMinusW = (float) (1 - s.lerpWeight());
    float b2 = (float) s.beta2();
    float oneMinusB2 = (float) (1 - s.beta2());
    float bc2 = (float) s.biasCorrection2Sqrt();
    float eps = (float) s.eps();
    float scale = (float) s.paramScale();
    float negStep = (float) -s.stepSize();
    if (!s.maximize() && !hasL2 && lerpLow && vmax == 0) {
      if (VectorSupport.ENABLED) {
        VectorMath.adamF32(p, gr, m, v, n, w, b2, oneMinusB2, bc2, eps, scale, negStep);
        return;
      }
      // The usual case without branches, an int-counted loop over unit strides.
      for (int k = 0; k < n; k++) {
        float g = Raw.getFloat(gr + 4L * k);
        float mk = Raw.getFloat(m + 4L * k);
        mk = mk + w * (g - mk);
        Raw.putFloat(m + 4L * k, mk);
        float vk = b2 * Raw.getFloat(v + 4L * k) + oneMinusB2 * (g * g);
        Raw.putFloat(v + 4L * k, vk);
        Raw.putFloat(p + 4L * k, scale * Raw.getFloat(p + 4L * k) + negStep * (mk / ((float) Math.sqrt(vk) / bc2 + eps)));
      }
      return;
    }
    for (int k = 0; k < n; k++) {
      long o = 4L * k;
      float pk = Raw.getFloat(p + o);
      // -g is exact, as grad.neg(); lerp's 1 * m in axpby is exact too.
      float g = s.maximize() ? -Raw.getFloat(gr + o) : Raw.getFloat(gr + o);
      if (hasL2) {
        g = g + pk * l2;
      }
      float mk = Raw.getFloat(m + o);
      float diff = g - mk;
      mk = lerpLow ? mk + w * diff : g - diff * oneMinusW;
      Raw.putFloat(m + o, mk);
      float vk = b2 * Raw.getFloat(v + o) + oneMinusB2 * (g * g);
      Raw.putFloat(v + o, vk);
      if (vmax != 0) {
        float old = Raw.getFloat(vmax + o);
        vk = Float.isNaN(old) || Float.isNaN(vk) ? Float.NaN : Math.max(old, vk);
        Raw.putFloat(vmax + o, vk);
      }
      float denom = (float) Math.sqrt(vk) / bc2 + eps;
      Raw.putFloat(p + o, scale * pk + negStep * (mk / denom));
    }
  }

  private static void adamF64(long p, long gr, long m, long v, long vmax, int n, AdamStep s) {
    double l2 = s.l2WeightDecay();
    boolean lerpLow = s.lerpWeight() < 0.5;
    double w = s.lerpWeight();
    double oneMinusW = 1 - s.lerpWeight();
    double b2 = s.beta2();
    double oneMinusB2 = 1 - s.beta2();
    double bc2 = s.biasCorrection2Sqrt();
    double eps = s.eps();
    double scale = s.paramScale();
    double negStep = -s.stepSize();
    if (!s.maximize() && l2 == 0 && lerpLow && vmax == 0) {
      for (int k = 0; k < n; k++) {
        double g = Raw.getDouble(gr + 8L * k);
        double mk = Raw.getDouble(m + 8L * k);
        mk = mk + w * (g - mk);
        Raw.putDouble(m + 8L * k, mk);
        double vk = b2 * Raw.getDouble(v + 8L * k) + oneMinusB2 * (g * g);
        Raw.putDouble(v + 8L * k, vk);
        Raw.putDouble(p + 8L * k, scale * Raw.getDouble(p + 8L * k) + negStep * (mk / (Math.sqrt(vk) / bc2 + eps)));
      }
      return;
    }
    for (int k = 0; k < n; k++) {
      long o = 8L * k;
      double pk = Raw.getDouble(p + o);
      double g = s.maximize() ? -Raw.getDouble(gr + o) : Raw.getDouble(gr + o);
      if (l2 != 0) {
        g = g + pk * l2;
      }
      double mk = Raw.getDouble(m + o);
      double diff = g - mk;
      mk = lerpLow ? mk + w * diff : g - diff * oneMinusW;
      Raw.putDouble(m + o, mk);
      double vk = b2 * Raw.getDouble(v + o) + oneMinusB2 * (g * g);
      Raw.putDouble(v + o, vk);
      if (vmax != 0) {
        double old = Raw.getDouble(vmax + o);
        vk = Double.isNaN(old) || Double.isNaN(vk) ? Double.NaN : Math.max(old, vk);
        Raw.putDouble(vmax + o, vk);
      }
      double denom = Math.sqrt(vk) / bc2 + eps;
      Raw.putDouble(p + o, scale * pk + negStep * (mk / denom));
    }
  }
}
