package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.FusedRecurrence;
import dev.ember.ops.Linalg;

/**
 * A long short-term memory network, PyTorch's {@code nn.LSTM}. Per step, with gates in PyTorch's
 * order i, f, g, o (rows of the weights):
 *
 * <pre>
 * i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)     f = sigmoid(...)
 * g = tanh(...)                                       o = sigmoid(...)
 * c' = f * c + i * g                                  h' = o * tanh(c')
 * </pre>
 *
 * <p>Shapes: input [T, N, inputSize] ([N, T, inputSize] if batch-first, [T, inputSize] unbatched);
 * output [T, N, D * hiddenSize]; h and c states [numLayers * D, N, hiddenSize]. Parameters {@code
 * weight_ih_l0} [4H, in], {@code weight_hh_l0} [4H, H], {@code bias_ih_l0}, {@code bias_hh_l0}
 * [4H], ... as in PyTorch, so state dicts load both ways.
 */
public final class LSTM extends Recurrent {
  /**
   * The result of a forward pass.
   *
   * @param output the top layer's h at every step [T, N, D * H] (batch-first: [N, T, D * H])
   * @param hN every layer's final h [numLayers * D, N, H]
   * @param cN every layer's final cell state [numLayers * D, N, H]
   */
  public record Output(Tensor output, Tensor hN, Tensor cN) {}

  /** Creates a one-layer LSTM with biases, sequence-first. */
  public LSTM(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, 1, true, false, 0, false, null);
  }

  /** Creates a stacked LSTM with biases. */
  public LSTM(int inputSize, int hiddenSize, int numLayers, boolean batchFirst) {
    this(inputSize, hiddenSize, numLayers, true, batchFirst, 0, false, null);
  }

  /**
   * Creates an LSTM with every option, in PyTorch's order.
   *
   * @param dropout the dropout probability on the outputs of every layer but the last (training only)
   * @param generator the initializer's (and dropout's) generator, or null for the global one
   */
  public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, double dropout,
      boolean bidirectional, Generator generator) {
    super(4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator);
  }

  /** Runs the network from zero states; returns only the output sequence. */
  @Override
  public Tensor forward(Tensor input) {
    return forward(input, null, null).output();
  }

  /** Runs the network from {@code (h0, c0)} (nulls: zeros); returns outputs and final states. */
  public Output forward(Tensor input, Tensor h0, Tensor c0) {
    Tensor[] r = run(input, new Tensor[] {h0, c0});
    return new Output(r[0], r[1], r[2]);
  }

  @Override
  Tensor[] cell(Tensor gx, Tensor[] state, Tensor whh, Tensor bhh) {
    Tensor gates = gx.add(hiddenProjection(state[0], whh, bhh));
    int h = hiddenSize;
    Tensor i = gates.narrow(1, 0, h).sigmoid();
    Tensor f = gates.narrow(1, h, h).sigmoid();
    Tensor g = gates.narrow(1, 2 * h, h).tanh();
    Tensor o = gates.narrow(1, 3 * h, h).sigmoid();
    Tensor c = f.mul(state[1]).add(i.mul(g));
    return new Tensor[] {o.mul(c.tanh()), c};
  }

  /**
   * The whole sequence as one op while the fused primitives are on: the backend's LSTM layer kernel
   * where it has one ({@link FusedRecurrence#lstmLayer}, oneDNN on the CPU for float32), else {@link
   * FusedRecurrence#lstm} (one GEMM for every step's input projection, then per step {@code h W_hh^T}
   * and the backend's fused cell); null while they are off, and then {@link #cell} runs step by step.
   */
  @Override
  Tensor[] sequence(Tensor x, String suffix, Tensor[] state, boolean reverse) {
    Tensor whh = param("weight_hh" + suffix);
    if (!FusedRecurrence.applies(x, state[0], state[1], whh)) {
      return null;
    }
    Tensor b = bias ? param("bias_ih" + suffix).add(param("bias_hh" + suffix)) : null;
    Tensor wih = param("weight_ih" + suffix);
    Tensor layer = FusedRecurrence.lstmLayer(x, state[0], state[1], wih, whh, b, reverse);
    if (layer != null) {
      int steps = x.size(0);
      Tensor out = layer.narrow(0, 0, steps);
      return new Tensor[] {out, out.select(0, reverse ? 0 : steps - 1), layer.select(0, steps)};
    }
    Tensor gx = Linalg.linear(x, param("weight_ih" + suffix), b);
    Tensor packed = FusedRecurrence.lstm(gx, state[0], state[1], whh, reverse);
    int last = reverse ? 0 : x.size(0) - 1;
    Tensor h = packed.select(0, 0);
    return new Tensor[] {h, h.select(0, last), packed.select(0, 1).select(0, last)};
  }

  @Override
  int stateCount() {
    return 2;
  }
}
