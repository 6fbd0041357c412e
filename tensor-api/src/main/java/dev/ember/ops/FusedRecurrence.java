package dev.ember.ops;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.GradMode;
import dev.ember.Tensor;
import dev.ember.internal.Dispatch;
import dev.ember.internal.FusedPrimitives;
import dev.ember.spi.Backend;
import dev.ember.spi.BinaryOp;
import dev.ember.spi.Strided;
import java.util.Arrays;
import java.util.List;

/**
 * The LSTM recurrence of one layer and direction over a whole sequence as one autograd node: per
 * step one matrix product {@code h W_hh^T} and the backend's fused cell kernel ({@link
 * Backend#lstmCell}: the four gate activations and the c and h updates in one pass), and in backward
 * per step the fused cell gradient ({@link Backend#lstmCellBackward}) and one product {@code dG
 * W_hh}, then the gradient of {@code W_hh} for all steps as one product {@code dG^T H_prev} ([4H,
 * T*N] x [T*N, H]) instead of one small product and one accumulation per step. The input projection
 * of every step ({@code x W_ih^T + b_ih + b_hh}, one GEMM over [T*N, in]) stays a separate op whose
 * own backward gives {@code W_ih}'s and the biases' gradients in one product each.
 *
 * <p>Where a backend has no cell kernel (it returns false), the cell is composed from Tensor ops
 * inside the same node, so every backend gets the batched structure. A backward that is itself
 * recorded ({@code createGraph}) recomputes the forward as recorded Tensor ops and runs the same
 * formulas as Tensor ops, so gradients of gradients stay exact. Used by {@link dev.ember.nn.LSTM}
 * while {@link FusedPrimitives} is on; off, the LSTM runs its per-step composition.
 */
public final class FusedRecurrence {
  private FusedRecurrence() {}

  /** The per-step tensors a composed forward produced, indexed by time: acts [N, 4H], h and c [N, H]. */
  private record Steps(Tensor[] acts, Tensor[] h, Tensor[] c) {}

  /**
   * Returns whether {@link #lstm} runs for these operands: the fused primitives are on, and the
   * operands share one floating dtype and one device.
   */
  public static boolean applies(Tensor gxOrInput, Tensor h0, Tensor c0, Tensor whh) {
    DType dtype = gxOrInput.dtype();
    return FusedPrimitives.enabled() && dtype.isFloatingPoint() && gxOrInput.dim() == 3 && gxOrInput.numel() > 0
        && h0.dtype() == dtype && c0.dtype() == dtype && whh.dtype() == dtype
        && h0.device().equals(gxOrInput.device()) && c0.device().equals(gxOrInput.device())
        && whh.device().equals(gxOrInput.device());
  }

  /**
   * Runs the LSTM recurrence: {@code gx} [T, N, 4H] holds every step's input projection with both
   * biases, {@code h0}, {@code c0} [N, H] the initial state and {@code whh} [4H, H] the hidden
   * weights; {@code reverse} runs t = T-1 down to 0. Returns [2, T, N, H]: every step's h (index 0)
   * and c (index 1), recorded as one node; or null if {@link #applies} is false.
   */
  public static Tensor lstm(Tensor gx, Tensor h0, Tensor c0, Tensor whh, boolean reverse) {
    if (!applies(gx, h0, c0, whh)) {
      return null;
    }
    Backend backend = Dispatch.backendOf("lstm", gx, h0, c0, whh);
    int hidden = whh.size(1);
    if (whh.dim() != 2 || whh.size(0) != 4 * hidden || gx.size(2) != 4 * hidden
        || !Arrays.equals(h0.shapeArray(), new int[] {gx.size(1), hidden})
        || !Arrays.equals(c0.shapeArray(), h0.shapeArray())) {
      throw new IllegalArgumentException("lstm: gates " + gx.shape() + ", h0 " + h0.shape() + ", c0 " + c0.shape()
          + " and weight_hh " + whh.shape() + " don't match (expected [T, N, 4H], [N, H], [N, H], [4H, H])");
    }
    Tensor[] result;
    try (GradMode off = GradMode.noGrad()) {
      Tensor gxc = Dispatch.contiguous(gx);
      Tensor h0c = Dispatch.contiguous(h0);
      Tensor c0c = Dispatch.contiguous(c0);
      result = fusedForward(backend, gxc, h0c, c0c, whh, reverse);
      if (result == null) {
        Steps st = composedSteps(gxc, h0c, c0c, whh, reverse);
        result = new Tensor[] {
            Shaping.stack(List.of(Shaping.stack(Arrays.asList(st.h), 0), Shaping.stack(Arrays.asList(st.c), 0)), 0),
            Shaping.stack(Arrays.asList(st.acts), 0)};
      }
    }
    Tensor packed = result[0];
    Tensor acts = result[1];
    return Autograd.record("lstm", packed, new Tensor[] {gx, h0, c0, whh},
        new Tensor[] {gx, h0, c0, whh, packed, acts},
        g -> backward(backend, g, gx, h0, c0, whh, packed, acts, reverse));
  }

  /**
   * Runs a whole LSTM layer direction on the backend's sequence kernel ({@link
   * Backend#lstmSequence}: oneDNN's LSTM on the CPU), input projection included: {@code x} [T, N,
   * in], {@code h0}, {@code c0} [N, H], {@code wih} [4H, in], {@code whh} [4H, H], {@code bias} [4H]
   * (b_ih + b_hh) or null. Returns [T + 1, N, H]: every step's h, then the final c; recorded as one
   * node whose backward is the backend's too (or, where it declines or a double backward records it,
   * the recurrence's formulas as Tensor ops). Null where the fused primitives are off or the backend
   * has no such kernel: then run {@link #lstm} on the input projection.
   */
  public static Tensor lstmLayer(Tensor x, Tensor h0, Tensor c0, Tensor wih, Tensor whh, Tensor bias,
      boolean reverse) {
    if (!applies(x, h0, c0, whh) || wih.dtype() != x.dtype() || !wih.device().equals(x.device())
        || (bias != null && (bias.dtype() != x.dtype() || !bias.device().equals(x.device())))) {
      return null;
    }
    Backend backend = Dispatch.backendOf("lstm", x, h0, c0, whh);
    int steps = x.size(0);
    int n = x.size(1);
    int hidden = whh.size(1);
    Tensor xc;
    Tensor h0c;
    Tensor c0c;
    Tensor wihc;
    Tensor whhc;
    Tensor b;
    Tensor packed;
    dev.ember.spi.Storage ws;
    try (GradMode off = GradMode.noGrad()) {
      xc = Dispatch.contiguous(x);
      h0c = Dispatch.contiguous(h0);
      c0c = Dispatch.contiguous(c0);
      wihc = Dispatch.contiguous(wih);
      whhc = Dispatch.contiguous(whh);
      b = bias == null ? Tensor.zeros(dev.ember.Shape.of(4 * hidden), x.dtype(), x.device()) : Dispatch.contiguous(bias);
      packed = Dispatch.empty(backend, x.dtype(), new int[] {steps + 1, n, hidden});
      Strided p = packed.strided();
      ws = backend.lstmSequence(xc.strided(), h0c.strided(), c0c.strided(), wihc.strided(), whhc.strided(),
          b.strided(), reverse, range(p, 0, steps), at(p, steps));
    }
    if (ws == null) {
      packed.close();
      return null;
    }
    FusedPrimitives.countCall();
    Tensor workspace = Tensor.wrap(backend, Strided.contiguous(ws, Math.toIntExact(ws.numel())));
    Tensor[] operands = {xc, h0c, c0c, wihc, whhc, b};
    Tensor[] inputs = {x, h0, c0, wih, whh, bias};
    return Autograd.record("lstm", packed, inputs, new Tensor[] {xc, h0c, c0c, wihc, whhc, b, packed, workspace},
        g -> layerBackward(backend, g, operands, inputs, packed, workspace, reverse));
  }

  /**
   * The backward of {@link #lstmLayer}: {@code operands} are the contiguous tensors the kernel ran on
   * (the bias summed or zeros), {@code inputs} the recorded inputs (bias null if none).
   */
  private static Tensor[] layerBackward(Backend backend, Tensor grad, Tensor[] operands, Tensor[] inputs,
      Tensor packed, Tensor workspace, boolean reverse) {
    boolean hasBias = inputs[5] != null;
    Tensor x = operands[0];
    Tensor h0 = operands[1];
    Tensor c0 = operands[2];
    Tensor wih = operands[3];
    Tensor whh = operands[4];
    Tensor b = operands[5];
    int steps = x.size(0);
    if (!GradMode.isEnabled() && FusedPrimitives.enabled() && grad.dtype() == packed.dtype()) {
      Tensor g = Dispatch.contiguous(grad);
      DType dtype = x.dtype();
      Tensor[] grads = {Dispatch.empty(backend, dtype, x.shapeArray()), Dispatch.empty(backend, dtype, h0.shapeArray()),
          Dispatch.empty(backend, dtype, c0.shapeArray()), Dispatch.empty(backend, dtype, wih.shapeArray()),
          Dispatch.empty(backend, dtype, whh.shapeArray()), Dispatch.empty(backend, dtype, b.shapeArray())};
      Strided p = packed.strided();
      if (backend.lstmSequenceBackward(x.strided(), h0.strided(), c0.strided(), wih.strided(), whh.strided(),
          b.strided(), reverse, range(p, 0, steps), at(p, steps), workspace.strided().storage(),
          range(g.strided(), 0, steps), at(g.strided(), steps), grads[0].strided(), grads[1].strided(),
          grads[2].strided(), grads[3].strided(), grads[4].strided(), grads[5].strided())) {
        FusedPrimitives.countCall();
        if (!hasBias) {
          grads[5] = null;
        }
        return grads;
      }
      for (Tensor t : grads) {
        t.close();
      }
    }
    // The formulas as Tensor ops over a recomputed forward from the recorded inputs, so that a double
    // backward differentiates them too.
    int hidden = whh.size(1);
    Tensor xIn = inputs[0];
    Tensor wihIn = inputs[3];
    Tensor gx = Linalg.linear(xIn, wihIn, hasBias ? inputs[5] : b);
    Steps st = composedSteps(gx, inputs[1], inputs[2], inputs[4], reverse);
    Tensor[] r = composedBackward(grad.narrow(0, 0, steps), null, grad.select(0, steps), st, inputs[1], inputs[2],
        inputs[4], reverse);
    Tensor dG = r[0].reshape(-1, 4 * hidden);
    Tensor dx = dG.mm(wihIn).reshape(xIn.shapeArray());
    Tensor dWih = dG.t().mm(xIn.reshape(-1, xIn.size(2)));
    Tensor db = hasBias ? dG.sum(new int[] {0}, false) : null;
    return new Tensor[] {dx, r[1], r[2], dWih, r[3], db};
  }

  // ---------------------------------------------------------------- forward

  /** The forward on the backend's cell kernel: {packed [2, T, N, H], acts [T, N, 4H]}, or null. */
  private static Tensor[] fusedForward(Backend backend, Tensor gx, Tensor h0, Tensor c0, Tensor whh,
      boolean reverse) {
    int steps = gx.size(0);
    int n = gx.size(1);
    int hidden = whh.size(1);
    DType dtype = gx.dtype();
    Tensor packed = Dispatch.empty(backend, dtype, new int[] {2, steps, n, hidden});
    Tensor acts = Dispatch.empty(backend, dtype, new int[] {steps, n, 4 * hidden});
    Tensor hh = Dispatch.empty(backend, dtype, new int[] {n, 4 * hidden});
    try {
      Strided p = packed.strided();
      Strided h = h0.strided();
      Strided c = c0.strided();
      Strided whhT = transpose(whh.strided());
      for (int s = 0; s < steps; s++) {
        int t = reverse ? steps - 1 - s : s;
        matmul(backend, h, whhT, hh.strided());
        Strided hOut = at(p, 0, t);
        Strided cOut = at(p, 1, t);
        if (!backend.lstmCell(at(gx.strided(), t), hh.strided(), c, at(acts.strided(), t), hOut, cOut)) {
          packed.close();
          acts.close();
          return null;
        }
        h = hOut;
        c = cOut;
      }
      FusedPrimitives.countCall();
      return new Tensor[] {packed, acts};
    } finally {
      hh.close();
    }
  }

  /** The forward as Tensor ops (recorded if grad mode is on), per step. */
  private static Steps composedSteps(Tensor gx, Tensor h0, Tensor c0, Tensor whh, boolean reverse) {
    int steps = gx.size(0);
    int hidden = whh.size(1);
    Tensor whhT = whh.t();
    Steps st = new Steps(new Tensor[steps], new Tensor[steps], new Tensor[steps]);
    Tensor h = h0;
    Tensor c = c0;
    for (int s = 0; s < steps; s++) {
      int t = reverse ? steps - 1 - s : s;
      Tensor gates = gx.select(0, t).add(h.mm(whhT));
      Tensor i = gates.narrow(1, 0, hidden).sigmoid();
      Tensor f = gates.narrow(1, hidden, hidden).sigmoid();
      Tensor g = gates.narrow(1, 2 * hidden, hidden).tanh();
      Tensor o = gates.narrow(1, 3 * hidden, hidden).sigmoid();
      c = f.mul(c).add(i.mul(g));
      h = o.mul(c.tanh());
      st.acts[t] = Shaping.cat(List.of(i, f, g, o), 1);
      st.h[t] = h;
      st.c[t] = c;
    }
    return st;
  }

  // ---------------------------------------------------------------- backward

  private static Tensor[] backward(Backend backend, Tensor grad, Tensor gx, Tensor h0, Tensor c0, Tensor whh,
      Tensor packed, Tensor acts, boolean reverse) {
    if (!GradMode.isEnabled()) {
      if (FusedPrimitives.enabled() && grad.dtype() == packed.dtype()) {
        Tensor[] r = fusedBackward(backend, Dispatch.contiguous(grad), h0, c0, whh, packed, acts, reverse);
        if (r != null) {
          return r;
        }
      }
      int steps = packed.size(1);
      Steps saved = new Steps(new Tensor[steps], new Tensor[steps], new Tensor[steps]);
      for (int t = 0; t < steps; t++) {
        saved.acts[t] = acts.select(0, t);
        saved.h[t] = packed.select(0, 0).select(0, t);
        saved.c[t] = packed.select(0, 1).select(0, t);
      }
      return composedBackward(grad.select(0, 0), grad.select(0, 1), null, saved, h0, c0, whh, reverse);
    }
    // A recorded backward (createGraph): the activations as functions of the inputs, then the same
    // formulas as Tensor ops.
    return composedBackward(grad.select(0, 0), grad.select(0, 1), null, composedSteps(gx, h0, c0, whh, reverse), h0,
        c0, whh, reverse);
  }

  /** The backward on the backend's cell kernel: {dgx, dh0, dc0, dW_hh}, or null. */
  private static Tensor[] fusedBackward(Backend backend, Tensor grad, Tensor h0, Tensor c0, Tensor whh,
      Tensor packed, Tensor acts, boolean reverse) {
    int steps = packed.size(1);
    int n = packed.size(2);
    int hidden = packed.size(3);
    DType dtype = packed.dtype();
    Tensor h0c = Dispatch.contiguous(h0);
    Tensor c0c = Dispatch.contiguous(c0);
    Tensor dGates = Dispatch.empty(backend, dtype, new int[] {steps, n, 4 * hidden});
    Tensor dh = Dispatch.empty(backend, dtype, new int[] {n, hidden});
    Tensor dc = Dispatch.empty(backend, dtype, new int[] {n, hidden});
    Tensor dhPrev = Dispatch.empty(backend, dtype, new int[] {n, hidden});
    Tensor dcPrev = Dispatch.empty(backend, dtype, new int[] {n, hidden});
    Tensor hPrev = Dispatch.empty(backend, dtype, new int[] {steps, n, hidden});
    Strided g = grad.strided();
    Strided p = packed.strided();
    try {
      for (int s = steps - 1; s >= 0; s--) {
        int t = reverse ? steps - 1 - s : s;
        int before = reverse ? t + 1 : t - 1;
        if (s == steps - 1) {
          backend.copy(at(g, 0, t), dh.strided());
          backend.copy(at(g, 1, t), dc.strided());
        } else {
          backend.binary(BinaryOp.ADD, at(g, 0, t), dhPrev.strided(), dh.strided());
          backend.binary(BinaryOp.ADD, at(g, 1, t), dcPrev.strided(), dc.strided());
        }
        Strided cPrev = s == 0 ? c0c.strided() : at(p, 1, before);
        Strided dG = at(dGates.strided(), t);
        if (!backend.lstmCellBackward(at(acts.strided(), t), cPrev, at(p, 1, t), dh.strided(), dc.strided(), dG,
            dcPrev.strided())) {
          dGates.close();
          dhPrev.close();
          dcPrev.close();
          hPrev.close();
          return null;
        }
        matmul(backend, dG, whh.strided(), dhPrev.strided());
      }
      // Every step's previous h, in time order: h0 at the first step, the output before it elsewhere.
      int first = reverse ? steps - 1 : 0;
      backend.copy(h0c.strided(), at(hPrev.strided(), first));
      if (steps > 1) {
        backend.copy(range(at(p, 0), reverse ? 1 : 0, steps - 1), range(hPrev.strided(), reverse ? 0 : 1, steps - 1));
      }
      Tensor dW = Dispatch.empty(backend, dtype, new int[] {4 * hidden, hidden});
      matmul(backend, transpose(rows(dGates.strided())), rows(hPrev.strided()), dW.strided());
      FusedPrimitives.countCall();
      return new Tensor[] {dGates, dhPrev, dcPrev, dW};
    } finally {
      dh.close();
      dc.close();
      hPrev.close();
    }
  }

  /**
   * The backward as Tensor ops (recorded if grad mode is on) from the gradients of every step's h
   * ({@code gh} [T, N, H]) and c ({@code gc}, or null) and of the final c ({@code gcLast}, or null):
   * {dgx, dh0, dc0, dW_hh}.
   */
  private static Tensor[] composedBackward(Tensor gh, Tensor gc, Tensor gcLast, Steps st, Tensor h0, Tensor c0,
      Tensor whh, boolean reverse) {
    int steps = st.acts.length;
    Tensor[] dGates = new Tensor[steps];
    Tensor[] hPrev = new Tensor[steps];
    Tensor dhPrev = null;
    Tensor dcPrev = null;
    for (int s = steps - 1; s >= 0; s--) {
      int t = reverse ? steps - 1 - s : s;
      int before = reverse ? t + 1 : t - 1;
      Tensor dh = dhPrev == null ? gh.select(0, t) : gh.select(0, t).add(dhPrev);
      Tensor dc = gc != null ? gc.select(0, t) : gcLast != null && s == steps - 1 ? gcLast : null;
      dc = dcPrev == null ? dc : dc == null ? dcPrev : dc.add(dcPrev);
      if (dc == null) {
        dc = Tensor.zeros(dev.ember.Shape.of(st.c[t].shapeArray()), st.c[t].dtype(), st.c[t].device());
      }
      Tensor[] r = cellBackward(st.acts[t], s == 0 ? c0 : st.c[before], st.c[t], dh, dc);
      dGates[t] = r[0];
      dcPrev = r[1];
      dhPrev = r[0].mm(whh);
      hPrev[t] = s == 0 ? h0 : st.h[before];
    }
    Tensor dG = Shaping.stack(Arrays.asList(dGates), 0);
    int hidden = whh.size(1);
    Tensor dW = dG.reshape(-1, 4 * hidden).t().mm(Shaping.stack(Arrays.asList(hPrev), 0).reshape(-1, hidden));
    return new Tensor[] {dG, dhPrev, dcPrev, dW};
  }

  /**
   * One cell's gradients as Tensor ops from its activations: {gradient of the gate pre-activations
   * [N, 4H], gradient of cPrev [N, H]}.
   */
  private static Tensor[] cellBackward(Tensor acts, Tensor cPrev, Tensor c, Tensor dh, Tensor dc) {
    int hidden = c.size(1);
    Tensor i = acts.narrow(1, 0, hidden);
    Tensor f = acts.narrow(1, hidden, hidden);
    Tensor g = acts.narrow(1, 2 * hidden, hidden);
    Tensor o = acts.narrow(1, 3 * hidden, hidden);
    Tensor tc = c.tanh();
    Tensor dcTotal = dc.add(dh.mul(o).mul(tc.square().rsub(1)));
    Tensor di = dcTotal.mul(g).mul(i.mul(i.rsub(1)));
    Tensor df = dcTotal.mul(cPrev).mul(f.mul(f.rsub(1)));
    Tensor dg = dcTotal.mul(i).mul(g.square().rsub(1));
    Tensor dout = dh.mul(tc).mul(o.mul(o.rsub(1)));
    return new Tensor[] {Shaping.cat(List.of(di, df, dg, dout), 1), dcTotal.mul(f)};
  }

  // ---------------------------------------------------------------- strided views

  /** {@code s} indexed at its leading dims: {@code s[i0][i1]...}. */
  private static Strided at(Strided s, int... index) {
    int k = index.length;
    long offset = s.offset();
    for (int d = 0; d < k; d++) {
      offset += (long) index[d] * s.strides()[d];
    }
    return new Strided(s.storage(), s.dtype(), Arrays.copyOfRange(s.shape(), k, s.rank()),
        Arrays.copyOfRange(s.strides(), k, s.rank()), offset);
  }

  /** {@code s[from : from + length]} along dim 0. */
  private static Strided range(Strided s, int from, int length) {
    int[] shape = s.shape().clone();
    shape[0] = length;
    return new Strided(s.storage(), s.dtype(), shape, s.strides(), s.offset() + (long) from * s.strides()[0]);
  }

  /** A contiguous [T, N, C] as [T * N, C]. */
  private static Strided rows(Strided s) {
    int c = s.shape()[s.rank() - 1];
    return new Strided(s.storage(), s.dtype(), new int[] {(int) (s.numel() / c), c}, new int[] {c, 1}, s.offset());
  }

  /** The transpose of a 2-d view (no copy). */
  private static Strided transpose(Strided s) {
    return new Strided(s.storage(), s.dtype(), new int[] {s.shape()[1], s.shape()[0]},
        new int[] {s.strides()[1], s.strides()[0]}, s.offset());
  }

  /** {@code out = a @ b} for 2-d views ({@code out} contiguous), as a batch of one. */
  private static void matmul(Backend backend, Strided a, Strided b, Strided out) {
    backend.matmul(batchOfOne(a), batchOfOne(b), new Strided(out.storage(), out.dtype(),
        new int[] {1, out.shape()[0], out.shape()[1]}, new int[] {out.shape()[0] * out.shape()[1], out.shape()[1], 1},
        out.offset()));
  }

  private static Strided batchOfOne(Strided s) {
    return new Strided(s.storage(), s.dtype(), new int[] {1, s.shape()[0], s.shape()[1]},
        new int[] {0, s.strides()[0], s.strides()[1]}, s.offset());
  }
}
