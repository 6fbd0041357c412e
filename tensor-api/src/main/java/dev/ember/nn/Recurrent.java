package dev.ember.nn;

import dev.ember.Generator;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import dev.ember.ops.Linalg;
import dev.ember.ops.Shaping;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The machinery shared by {@link RNN}, {@link LSTM} and {@link GRU}: PyTorch's parameter layout
 * and names, the layer and direction loops, batch-first and unbatched inputs. Package-private;
 * each subclass supplies its gate count and its cell.
 *
 * <p>Parameters per layer {@code l} (suffix {@code _reverse} for the backward direction): {@code
 * weight_ih_l<l>} [gates * H, in], {@code weight_hh_l<l>} [gates * H, H], {@code bias_ih_l<l>} and
 * {@code bias_hh_l<l>} [gates * H], all initialized from {@code U(-1/sqrt(H), 1/sqrt(H))} in that
 * order, as PyTorch does.
 */
abstract class Recurrent extends Module {
  final int inputSize;
  final int hiddenSize;
  final int numLayers;
  final boolean bias;
  final boolean batchFirst;
  final double dropout;
  final boolean bidirectional;
  private final Generator generator;

  Recurrent(int gates, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
      double dropout, boolean bidirectional, Generator generator) {
    if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": input_size " + inputSize
          + ", hidden_size " + hiddenSize + " and num_layers " + numLayers + " must be positive");
    }
    if (dropout < 0 || dropout > 1) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": dropout must be in [0, 1], got "
          + dropout);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    this.generator = generator;
    double bound = 1 / Math.sqrt(hiddenSize);
    int dirs = bidirectional ? 2 : 1;
    for (int l = 0; l < numLayers; l++) {
      int in = l == 0 ? inputSize : hiddenSize * dirs;
      for (int d = 0; d < dirs; d++) {
        String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
        registerParameter("weight_ih" + sfx, Init.uniform(Layers.empty(gates * hiddenSize, in), -bound, bound,
            generator));
        registerParameter("weight_hh" + sfx, Init.uniform(Layers.empty(gates * hiddenSize, hiddenSize), -bound,
            bound, generator));
        if (bias) {
          registerParameter("bias_ih" + sfx, Init.uniform(Layers.empty(gates * hiddenSize), -bound, bound,
              generator));
          registerParameter("bias_hh" + sfx, Init.uniform(Layers.empty(gates * hiddenSize), -bound, bound,
              generator));
        }
      }
    }
  }

  /**
   * One time step: from the input projection {@code gx} [N, gates*H] and the state, the new state.
   */
  abstract Tensor[] cell(Tensor gx, Tensor[] state, Tensor whh, Tensor bhh);

  /**
   * Runs one layer and direction over the whole sequence {@code x} [T, N, in] from {@code state}
   * ([N, H] each) as one fused op, returning {@code {output [T, N, H], final states...}}; or null to
   * run {@link #cell} step by step. The default is null.
   */
  Tensor[] sequence(Tensor x, String suffix, Tensor[] state, boolean reverse) {
    return null;
  }

  /** Returns the number of state tensors: 1 (h) or 2 (h, c). */
  abstract int stateCount();

  /**
   * Runs the stack. {@code initial} holds the initial states ([layers * dirs, N, H] each, or
   * unbatched [layers * dirs, H]), or nulls for zeros. Returns {@code {output, h_n[, c_n]}}.
   */
  final Tensor[] run(Tensor input, Tensor[] initial) {
    String name = getClass().getSimpleName();
    boolean unbatched = input.dim() == 2;
    if (input.dim() != 2 && input.dim() != 3) {
      throw new IllegalArgumentException(name + ": expected input to be 2-d (unbatched) or 3-d, got "
          + input.shape());
    }
    if (input.size(-1) != inputSize) {
      throw new IllegalArgumentException(name + ": input.size(-1) must be equal to input_size. Expected "
          + inputSize + ", got " + input.size(-1));
    }
    // Internally [T, N, in].
    Tensor x = unbatched ? input.unsqueeze(1) : (batchFirst ? input.transpose(0, 1) : input);
    int batch = x.size(1);
    int dirs = bidirectional ? 2 : 1;
    int[] stateShape = {numLayers * dirs, batch, hiddenSize};
    Tensor[] init = new Tensor[stateCount()];
    for (int s = 0; s < init.length; s++) {
      Tensor given = initial[s];
      if (given == null) {
        init[s] = Tensor.zeros(dev.ember.Shape.of(stateShape), x.dtype(), x.device());
      } else {
        Tensor g = unbatched ? given.unsqueeze(1) : given;
        if (!Arrays.equals(g.shapeArray(), stateShape)) {
          throw new IllegalArgumentException(name + ": expected hidden size " + Arrays.toString(stateShape)
              + ", got " + given.shape());
        }
        init[s] = g;
      }
    }
    List<List<Tensor>> finals = new ArrayList<>();
    for (int s = 0; s < init.length; s++) {
      finals.add(new ArrayList<>());
    }
    Tensor layerInput = x;
    for (int l = 0; l < numLayers; l++) {
      List<Tensor> dirOutputs = new ArrayList<>();
      for (int d = 0; d < dirs; d++) {
        String sfx = "_l" + l + (d == 1 ? "_reverse" : "");
        Tensor[] state = new Tensor[init.length];
        for (int s = 0; s < init.length; s++) {
          state[s] = init[s].select(0, l * dirs + d);
        }
        Tensor[] whole = sequence(layerInput, sfx, state, d == 1);
        if (whole != null) {
          dirOutputs.add(whole[0]);
          for (int s = 0; s < whole.length - 1; s++) {
            finals.get(s).add(whole[1 + s]);
          }
          continue;
        }
        // The input projection of every time step at once: [T, N, gates*H].
        Tensor gxAll = Linalg.linear(layerInput, param("weight_ih" + sfx), bias ? param("bias_ih" + sfx) : null);
        Tensor whh = param("weight_hh" + sfx);
        Tensor bhh = bias ? param("bias_hh" + sfx) : null;
        int steps = x.size(0);
        Tensor[] outs = new Tensor[steps];
        for (int i = 0; i < steps; i++) {
          int t = d == 0 ? i : steps - 1 - i;
          state = cell(gxAll.select(0, t), state, whh, bhh);
          outs[t] = state[0];
        }
        dirOutputs.add(Shaping.stack(Arrays.asList(outs), 0));
        for (int s = 0; s < state.length; s++) {
          finals.get(s).add(state[s]);
        }
      }
      layerInput = dirs == 1 ? dirOutputs.get(0) : Shaping.cat(dirOutputs, 2);
      if (dropout > 0 && l < numLayers - 1) {
        layerInput = Activations.dropout(layerInput, dropout, isTraining(),
            generator == null ? Generator.global() : generator);
      }
    }
    Tensor output = unbatched ? layerInput.squeeze(1) : (batchFirst ? layerInput.transpose(0, 1) : layerInput);
    Tensor[] result = new Tensor[1 + init.length];
    result[0] = output;
    for (int s = 0; s < init.length; s++) {
      Tensor st = Shaping.stack(finals.get(s), 0);
      result[1 + s] = unbatched ? st.squeeze(1) : st;
    }
    return result;
  }

  /** Returns {@code gx + h W_hh^T + b_hh}, the pre-activation of every gate: [N, gates*H]. */
  static Tensor hiddenProjection(Tensor h, Tensor whh, Tensor bhh) {
    return Linalg.linear(h, whh, bhh);
  }

  @Override
  protected String extraRepr() {
    return inputSize + ", " + hiddenSize + (numLayers != 1 ? ", num_layers=" + numLayers : "")
        + (bias ? "" : ", bias=False") + (batchFirst ? ", batch_first=True" : "")
        + (dropout != 0 ? ", dropout=" + dropout : "") + (bidirectional ? ", bidirectional=True" : "");
  }

  /** Returns the input feature size, PyTorch's {@code input_size}. */
  public int inputSize() {
    return inputSize;
  }

  /** Returns the hidden state size, PyTorch's {@code hidden_size}. */
  public int hiddenSize() {
    return hiddenSize;
  }

  /** Returns the number of stacked layers. */
  public int numLayers() {
    return numLayers;
  }

  /** Returns whether the layers have biases (PyTorch's {@code bias} flag). */
  public boolean hasBias() {
    return bias;
  }

  /** Returns whether inputs are batch-first. */
  public boolean batchFirst() {
    return batchFirst;
  }

  /** Returns the dropout between layers. */
  public double dropout() {
    return dropout;
  }

  /** Returns whether the layers run both directions. */
  public boolean bidirectional() {
    return bidirectional;
  }
}
