package dev.ember.ops;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.FusedPrimitives;
import dev.ember.spi.Backend;
import dev.ember.spi.Storage;
import dev.ember.spi.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The GRU recurrence of one layer and direction over a whole sequence as one autograd node, in
 * PyTorch's formulation (gates r, z, n in the weights' rows):
 *
 * <pre>
 * r = sigmoid(gx_r + hh_r)    z = sigmoid(gx_z + hh_z)    with gx = x W_ih^T + b_ih, hh = h W_hh^T + b_hh
 * n = tanh(gx_n + r * hh_n)   h' = (1 - z) * n + z * h
 * </pre>
 *
 * <p>Two paths. {@link #gruLayer} hands the whole layer direction, input projection included, to the
 * backend's sequence kernel ({@link Backend#gruSequence}: oneDNN's linear-before-reset GRU on the CPU
 * for float32), and its backward to {@link Backend#gruSequenceBackward}. Where a backend has none
 * (null), {@link #gru} runs the recurrence from the input projection {@code gx} (one GEMM over all
 * steps, a separate recorded op): per step one product {@code h W_hh^T + b_hh} and the gate
 * arithmetic as unrecorded Tensor ops; in backward per step the gate gradients and one product
 * {@code dG W_hh}, then {@code W_hh}'s gradient for all steps as one product ({@code [3H, T*N] x [T*N,
 * H]}) and {@code b_hh}'s as one sum, instead of one small product and one accumulation per step.
 * This path works on every backend and dtype (float64 runs here on the CPU).
 *
 * <p>A backward that is itself recorded ({@code createGraph}) recomputes the forward as recorded
 * Tensor ops from the node's inputs and runs the same formulas, so gradients of gradients are exact.
 * Used by {@link dev.ember.nn.GRU} while {@link FusedPrimitives} is on; off, the GRU runs its
 * per-step composition.
 */
public final class FusedGru {
  private FusedGru() {}

  /**
   * The per-step tensors of a forward, indexed by time, each [N, H]: the new h, the gates r, z, n,
   * and {@code hn = h_prev W_hn^T + b_hn} (what r multiplies).
   */
  private record Steps(Tensor[] h, Tensor[] r, Tensor[] z, Tensor[] n, Tensor[] hn) {
    Steps(int steps) {
      this(new Tensor[steps], new Tensor[steps], new Tensor[steps], new Tensor[steps], new Tensor[steps]);
    }
  }

  /**
   * Returns whether the fused GRU runs for these operands: the fused primitives are on, {@code
   * xOrGates} is a non-empty 3-d floating tensor, and {@code h0} and {@code whh} share its dtype and
   * device.
   */
  public static boolean applies(Tensor xOrGates, Tensor h0, Tensor whh) {
    DType dtype = xOrGates.dtype();
    return FusedPrimitives.enabled() && dtype.isFloatingPoint() && xOrGates.dim() == 3 && xOrGates.numel() > 0
        && h0.dtype() == dtype && whh.dtype() == dtype && h0.device().equals(xOrGates.device())
        && whh.device().equals(xOrGates.device());
  }

  private static boolean matches(Tensor x, Tensor t) {
    return t == null || (t.dtype() == x.dtype() && t.device().equals(x.device()));
  }

  /**
   * Runs the GRU recurrence from the input projection: {@code gx} [T, N, 3H] holds every step's {@code
   * x W_ih^T + b_ih}, {@code h0} [N, H] the initial state, {@code whh} [3H, H] the hidden weights and
   * {@code bhh} [3H] their bias (or null); {@code reverse} runs t = T-1 down to 0. Returns every step's
   * h [T, N, H] (in time order), recorded as one node; or null where {@link #applies} is false.
   */
  public static Tensor gru(Tensor gx, Tensor h0, Tensor whh, Tensor bhh, boolean reverse) {
    if (!applies(gx, h0, whh) || !matches(gx, bhh)) {
      return null;
    }
    checkShapes(gx, whh.dim() == 2 ? whh.size(1) : -1, h0, whh, null, bhh, gx.size(2));
    Tensor out;
    Tensor acts;
    try (GradMode off = GradMode.noGrad()) {
      Steps st = forward(gx, h0, whh, bhh, reverse);
      out = Shaping.stack(Arrays.asList(st.h), 0);
      acts = Shaping.stack(List.of(Shaping.stack(Arrays.asList(st.r), 0), Shaping.stack(Arrays.asList(st.z), 0),
          Shaping.stack(Arrays.asList(st.n), 0), Shaping.stack(Arrays.asList(st.hn), 0)), 0);
    }
    FusedPrimitives.countCall();
    return Autograd.record("gru", out, new Tensor[] {gx, h0, whh, bhh}, saved(gx, h0, whh, bhh, out, acts),
        g -> backward(g, gx, h0, whh, bhh, out, acts, reverse));
  }

  /**
   * Runs a whole GRU layer direction on the backend's sequence kernel ({@link Backend#gruSequence}),
   * input projection included: {@code x} [T, N, in], {@code h0} [N, H], {@code wih} [3H, in], {@code
   * whh} [3H, H], {@code bih} and {@code bhh} [3H] (both null for a layer without biases). Returns
   * every step's h [T, N, H], recorded as one node whose backward is the backend's too (or, where it
   * declines or a double backward records it, the recurrence's formulas as Tensor ops). Null where the
   * fused primitives are off, the operands don't share a dtype and device, or the backend has no such
   * kernel: then run {@link #gru} on the input projection.
   */
  public static Tensor gruLayer(Tensor x, Tensor h0, Tensor wih, Tensor whh, Tensor bih, Tensor bhh,
      boolean reverse) {
    if (!applies(x, h0, whh) || !matches(x, wih) || !matches(x, bih) || !matches(x, bhh)) {
      return null;
    }
    int hidden = whh.dim() == 2 ? whh.size(1) : -1;
    checkShapes(x, hidden, h0, whh, wih, bih, 3 * hidden);
    if ((bih == null) != (bhh == null)) {
      throw new IllegalArgumentException("gru: bias_ih and bias_hh must both be given or both be null");
    }
    checkShapes(x, hidden, h0, whh, wih, bhh, 3 * hidden);
    Backend backend = Dispatch.backendOf("gru", x, h0, wih, whh);
    Tensor[] operands;
    Tensor out;
    Storage ws;
    try (GradMode off = GradMode.noGrad()) {
      Tensor zeros = bih == null ? Tensor.zeros(Shape.of(3 * hidden), x.dtype(), x.device()) : null;
      operands = new Tensor[] {Dispatch.contiguous(x), Dispatch.contiguous(h0), Dispatch.contiguous(wih),
          Dispatch.contiguous(whh), bih == null ? zeros : Dispatch.contiguous(bih),
          bhh == null ? zeros : Dispatch.contiguous(bhh)};
      out = Dispatch.empty(backend, x.dtype(), new int[] {x.size(0), x.size(1), hidden});
      ws = backend.gruSequence(operands[0].strided(), operands[1].strided(), operands[2].strided(),
          operands[3].strided(), operands[4].strided(), operands[5].strided(), reverse, out.strided());
    }
    if (ws == null) {
      out.close();
      return null;
    }
    FusedPrimitives.countCall();
    Tensor workspace = Tensor.wrap(backend, Strided.contiguous(ws, Math.toIntExact(ws.numel())));
    Tensor[] inputs = {x, h0, wih, whh, bih, bhh};
    List<Tensor> saved = new ArrayList<>(Arrays.asList(operands));
    saved.add(out);
    saved.add(workspace);
    return Autograd.record("gru", out, inputs, saved.toArray(new Tensor[0]),
        g -> layerBackward(backend, g, operands, inputs, out, workspace, reverse));
  }

  /**
   * Checks {@code gatesOrX} [T, N, *], {@code h0} [N, H], {@code whh} [3H, H], {@code wih} [3H, in]
   * (or null) and {@code bias} [3H] (or null), and that the projection's width is {@code width}.
   */
  private static void checkShapes(Tensor gatesOrX, int hidden, Tensor h0, Tensor whh, Tensor wih, Tensor bias,
      int width) {
    boolean ok = whh.dim() == 2 && whh.size(0) == 3 * hidden && whh.size(1) == hidden && width == 3 * hidden
        && Arrays.equals(h0.shapeArray(), new int[] {gatesOrX.size(1), hidden})
        && (wih == null || (wih.dim() == 2 && wih.size(0) == 3 * hidden && wih.size(1) == gatesOrX.size(2)))
        && (bias == null || Arrays.equals(bias.shapeArray(), new int[] {3 * hidden}));
    if (!ok) {
      throw new IllegalArgumentException("gru: " + (wih == null ? "gates " : "input ") + gatesOrX.shape()
          + ", h0 " + h0.shape() + ", weight_hh " + whh.shape() + (wih == null ? "" : ", weight_ih " + wih.shape())
          + (bias == null ? "" : ", bias " + bias.shape()) + " don't match (expected "
          + (wih == null ? "[T, N, 3H]" : "[T, N, in]") + ", [N, H], [3H, H]"
          + (wih == null ? "" : ", [3H, in]") + (bias == null ? "" : ", [3H]") + ")");
    }
  }

  /** The non-null tensors among {@code ts}, for {@link Autograd#record}'s saved list. */
  private static Tensor[] saved(Tensor... ts) {
    return Arrays.stream(ts).filter(t -> t != null).toArray(Tensor[]::new);
  }

  // ---------------------------------------------------------------- forward

  /** The forward as Tensor ops (recorded if grad mode is on), per step. */
  private static Steps forward(Tensor gx, Tensor h0, Tensor whh, Tensor bhh, boolean reverse) {
    int steps = gx.size(0);
    int hidden = whh.size(1);
    Steps st = new Steps(steps);
    Tensor h = h0;
    for (int s = 0; s < steps; s++) {
      int t = reverse ? steps - 1 - s : s;
      Tensor g = gx.select(0, t);
      Tensor hh = Linalg.linear(h, whh, bhh);
      Tensor r = g.narrow(1, 0, hidden).add(hh.narrow(1, 0, hidden)).sigmoid();
      Tensor z = g.narrow(1, hidden, hidden).add(hh.narrow(1, hidden, hidden)).sigmoid();
      Tensor hn = hh.narrow(1, 2 * hidden, hidden);
      Tensor n = g.narrow(1, 2 * hidden, hidden).add(r.mul(hn)).tanh();
      h = n.add(z.mul(h.sub(n)));
      st.h[t] = h;
      st.r[t] = r;
      st.z[t] = z;
      st.n[t] = n;
      st.hn[t] = hn;
    }
    return st;
  }

  // ---------------------------------------------------------------- backward

  /** The backward of {@link #gru}: {dgx, dh0, dW_hh, db_hh (null without a bias)}. */
  private static Tensor[] backward(Tensor grad, Tensor gx, Tensor h0, Tensor whh, Tensor bhh, Tensor out,
      Tensor acts, boolean reverse) {
    Steps st;
    if (GradMode.isEnabled()) {
      // A recorded backward (createGraph): the activations as functions of the inputs.
      st = forward(gx, h0, whh, bhh, reverse);
    } else {
      int steps = out.size(0);
      st = new Steps(steps);
      for (int t = 0; t < steps; t++) {
        st.h[t] = out.select(0, t);
        st.r[t] = acts.select(0, 0).select(0, t);
        st.z[t] = acts.select(0, 1).select(0, t);
        st.n[t] = acts.select(0, 2).select(0, t);
        st.hn[t] = acts.select(0, 3).select(0, t);
      }
    }
    Tensor[] grads = recurrenceBackward(grad, st, h0, whh, bhh != null, reverse);
    if (!GradMode.isEnabled()) {
      FusedPrimitives.countCall();
    }
    return grads;
  }

  /**
   * The backward of the layer kernel ({@link #gruLayer}): the backend's, or the formulas over a
   * forward recomputed from the recorded {@code inputs} (so a double backward differentiates them).
   * {@code operands} are the contiguous tensors the kernel ran on (zero biases where the layer has
   * none). Returns {dx, dh0, dW_ih, dW_hh, db_ih, db_hh}.
   */
  private static Tensor[] layerBackward(Backend backend, Tensor grad, Tensor[] operands, Tensor[] inputs,
      Tensor out, Tensor workspace, boolean reverse) {
    boolean hasBias = inputs[4] != null;
    if (!GradMode.isEnabled() && FusedPrimitives.enabled() && grad.dtype() == out.dtype()) {
      Tensor g = Dispatch.contiguous(grad);
      Tensor[] grads = new Tensor[operands.length];
      Strided[] gs = new Strided[operands.length];
      for (int i = 0; i < operands.length; i++) {
        grads[i] = Dispatch.empty(backend, out.dtype(), operands[i].shapeArray());
        gs[i] = grads[i].strided();
      }
      if (backend.gruSequenceBackward(operands[0].strided(), operands[1].strided(), operands[2].strided(),
          operands[3].strided(), operands[4].strided(), operands[5].strided(), reverse, out.strided(),
          workspace.strided().storage(), g.strided(), gs[0], gs[1], gs[2], gs[3], gs[4], gs[5])) {
        FusedPrimitives.countCall();
        if (!hasBias) {
          grads[4].close();
          grads[5].close();
          grads[4] = null;
          grads[5] = null;
        }
        return grads;
      }
      for (Tensor t : grads) {
        t.close();
      }
    }
    Tensor x = inputs[0];
    Tensor wih = inputs[2];
    int hidden = inputs[3].size(1);
    Tensor gx = Linalg.linear(x, wih, inputs[4]);
    Steps st = forward(gx, inputs[1], inputs[3], inputs[5], reverse);
    Tensor[] r = recurrenceBackward(grad, st, inputs[1], inputs[3], hasBias, reverse);
    Tensor dG = r[0].reshape(-1, 3 * hidden);
    Tensor dx = dG.mm(wih).reshape(x.shapeArray());
    Tensor dWih = dG.t().mm(x.reshape(-1, x.size(2)));
    Tensor dbih = hasBias ? dG.sum(new int[] {0}, false) : null;
    return new Tensor[] {dx, r[1], dWih, r[2], dbih, r[3]};
  }

  /**
   * The recurrence's gradients as Tensor ops (recorded if grad mode is on) from the gradient of every
   * step's h ({@code gh} [T, N, H], the final h's included): {dgx [T, N, 3H], dh0, dW_hh, db_hh (or
   * null)}. Per step, with {@code dh} the step's total gradient: {@code dn = dh (1 - z) (1 - n^2)},
   * {@code dz = dh (h_prev - n) z (1 - z)}, {@code dr = dn hn r (1 - r)}; the hidden projection's
   * gradient is {@code (dr, dz, dn r)} and h_prev's {@code dh z + (dr, dz, dn r) W_hh}.
   */
  private static Tensor[] recurrenceBackward(Tensor gh, Steps st, Tensor h0, Tensor whh, boolean hasBias,
      boolean reverse) {
    int steps = st.h.length;
    Tensor[] dGx = new Tensor[steps];
    Tensor[] dGh = new Tensor[steps];
    Tensor[] hPrev = new Tensor[steps];
    Tensor dhPrev = null;
    for (int s = steps - 1; s >= 0; s--) {
      int t = reverse ? steps - 1 - s : s;
      int before = reverse ? t + 1 : t - 1;
      Tensor prev = s == 0 ? h0 : st.h[before];
      Tensor dh = dhPrev == null ? gh.select(0, t) : gh.select(0, t).add(dhPrev);
      Tensor r = st.r[t];
      Tensor z = st.z[t];
      Tensor n = st.n[t];
      Tensor dn = dh.mul(z.rsub(1)).mul(n.square().rsub(1));
      Tensor dz = dh.mul(prev.sub(n)).mul(z.mul(z.rsub(1)));
      Tensor dr = dn.mul(st.hn[t]).mul(r.mul(r.rsub(1)));
      dGx[t] = Shaping.cat(List.of(dr, dz, dn), 1);
      dGh[t] = Shaping.cat(List.of(dr, dz, dn.mul(r)), 1);
      dhPrev = dh.mul(z).add(dGh[t].mm(whh));
      hPrev[t] = prev;
    }
    int hidden = whh.size(1);
    Tensor dG = Shaping.stack(Arrays.asList(dGh), 0).reshape(-1, 3 * hidden);
    Tensor dW = dG.t().mm(Shaping.stack(Arrays.asList(hPrev), 0).reshape(-1, hidden));
    Tensor db = hasBias ? dG.sum(new int[] {0}, false) : null;
    return new Tensor[] {Shaping.stack(Arrays.asList(dGx), 0), dhPrev, dW, db};
  }
}
