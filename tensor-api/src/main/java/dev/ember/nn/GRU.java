package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.FusedGru;
import dev.ember.ops.Linalg;

/**
 * A gated recurrent unit network, PyTorch's {@code nn.GRU}. Per step, with gates in PyTorch's
 * order r, z, n (rows of the weights):
 *
 * <pre>
 * r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)      z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
 * n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))   h' = (1 - z) * n + z * h
 * </pre>
 *
 * <p>Shapes as {@link RNN}; parameters {@code weight_ih_l0} [3H, in], {@code weight_hh_l0} [3H, H],
 * {@code bias_ih_l0}, {@code bias_hh_l0} [3H], ... as in PyTorch.
 */
public final class GRU extends Recurrent {
  /** Creates a one-layer GRU with biases, sequence-first. */
  public GRU(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, 1, true, false, 0, false, null);
  }

  /** Creates a stacked GRU with biases. */
  public GRU(int inputSize, int hiddenSize, int numLayers, boolean batchFirst) {
    this(inputSize, hiddenSize, numLayers, true, batchFirst, 0, false, null);
  }

  /**
   * Creates a GRU with every option, in PyTorch's order.
   *
   * @param dropout the dropout probability on the outputs of every layer but the last (training only)
   * @param generator the initializer's (and dropout's) generator, or null for the global one
   */
  public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
      boolean bidirectional, Generator generator) {
    super(3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator);
  }

  /** Runs the network from zero states; returns only the output sequence. */
  @Override
  public Tensor forward(Tensor input) {
    return forward(input, null).output();
  }

  /** Runs the network from {@code h0} (null: zeros); returns the outputs and final states. */
  public RNN.Output forward(Tensor input, Tensor h0) {
    Tensor[] r = run(input, new Tensor[] {h0});
    return new RNN.Output(r[0], r[1]);
  }

  @Override
  Tensor[] cell(Tensor gx, Tensor[] state, Tensor whh, Tensor bhh) {
    Tensor gh = hiddenProjection(state[0], whh, bhh);
    int h = hiddenSize;
    Tensor r = gx.narrow(1, 0, h).add(gh.narrow(1, 0, h)).sigmoid();
    Tensor z = gx.narrow(1, h, h).add(gh.narrow(1, h, h)).sigmoid();
    Tensor n = gx.narrow(1, 2 * h, h).add(r.mul(gh.narrow(1, 2 * h, h))).tanh();
    // h' = (1 - z) * n + z * h = n + z * (h - n)
    return new Tensor[] {n.add(z.mul(state[0].sub(n)))};
  }

  /**
   * The whole sequence as one op while the fused primitives are on: the backend's GRU layer kernel
   * where it has one ({@link FusedGru#gruLayer}, oneDNN on the CPU for float32), else {@link
   * FusedGru#gru} (one GEMM for every step's input projection, then the recurrence as one node); null
   * while they are off, and then {@link #cell} runs step by step.
   */
  @Override
  Tensor[] sequence(Tensor x, String suffix, Tensor[] state, boolean reverse) {
    Tensor whh = param("weight_hh" + suffix);
    if (!FusedGru.applies(x, state[0], whh)) {
      return null;
    }
    Tensor wih = param("weight_ih" + suffix);
    Tensor bih = bias ? param("bias_ih" + suffix) : null;
    Tensor bhh = bias ? param("bias_hh" + suffix) : null;
    Tensor out = FusedGru.gruLayer(x, state[0], wih, whh, bih, bhh, reverse);
    if (out == null) {
      out = FusedGru.gru(Linalg.linear(x, wih, bih), state[0], whh, bhh, reverse);
      if (out == null) {
        return null;
      }
    }
    return new Tensor[] {out, out.select(0, reverse ? 0 : x.size(0) - 1)};
  }

  @Override
  int stateCount() {
    return 1;
  }
}
