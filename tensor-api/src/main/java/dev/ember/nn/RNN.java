package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;

/**
 * An Elman recurrent network, PyTorch's {@code nn.RNN}: {@code h_t = act(x_t W_ih^T + b_ih +
 * h_(t-1) W_hh^T + b_hh)} with {@code act} tanh or relu, stacked {@code numLayers} deep.
 *
 * <p>Shapes: input [T, N, inputSize] ([N, T, inputSize] if batch-first, [T, inputSize] unbatched);
 * output [T, N, D * hiddenSize] (D = 2 if bidirectional); h_0 and h_n [numLayers * D, N,
 * hiddenSize]. Parameters are named {@code weight_ih_l0}, {@code weight_hh_l0}, {@code bias_ih_l0},
 * {@code bias_hh_l0}, ... as in PyTorch.
 */
public final class RNN extends Recurrent {
  private final boolean relu;

  /**
   * The result of a forward pass.
   *
   * @param output the top layer's hidden state at every step [T, N, D * H] (batch-first: [N, T, D * H])
   * @param hN every layer's final hidden state [numLayers * D, N, H]
   */
  public record Output(Tensor output, Tensor hN) {}

  /** Creates a one-layer tanh RNN with biases, sequence-first. */
  public RNN(int inputSize, int hiddenSize) {
    this(inputSize, hiddenSize, 1, "tanh", true, false, 0, false, null);
  }

  /**
   * Creates an RNN with every option, in PyTorch's order.
   *
   * @param nonlinearity {@code "tanh"} or {@code "relu"}
   * @param dropout the dropout probability on the outputs of every layer but the last (training only)
   * @param generator the initializer's (and dropout's) generator, or null for the global one
   */
  public RNN(int inputSize, int hiddenSize, int numLayers, String nonlinearity, boolean bias, boolean batchFirst,
      double dropout, boolean bidirectional, Generator generator) {
    super(1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator);
    if (!nonlinearity.equals("tanh") && !nonlinearity.equals("relu")) {
      throw new IllegalArgumentException("RNN: unknown nonlinearity '" + nonlinearity + "'. Select from 'tanh'"
          + " or 'relu'.");
    }
    this.relu = nonlinearity.equals("relu");
  }

  /** Runs the network from zero states; returns only the output sequence. */
  @Override
  public Tensor forward(Tensor input) {
    return forward(input, null).output();
  }

  /** Runs the network from {@code h0} (null: zeros); returns the outputs and final states. */
  public Output forward(Tensor input, Tensor h0) {
    Tensor[] r = run(input, new Tensor[] {h0});
    return new Output(r[0], r[1]);
  }

  @Override
  Tensor[] cell(Tensor gx, Tensor[] state, Tensor whh, Tensor bhh) {
    Tensor pre = gx.add(hiddenProjection(state[0], whh, bhh));
    return new Tensor[] {relu ? pre.relu() : pre.tanh()};
  }

  @Override
  int stateCount() {
    return 1;
  }
}
