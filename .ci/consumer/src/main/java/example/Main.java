package example;

import dev.ember.*;
import dev.ember.nn.*;
import dev.ember.nn.Module; // java.lang.Module would otherwise clash with dev.ember.nn.Module
import dev.ember.optim.*;
import java.util.List;

/**
 * Ember used as a library: the guide's "Write your own Module" example, trained for a few SGD steps.
 * Exits 1 if the loss does not fall, so CI notices a broken artifact.
 */
public final class Main {
  private Main() {}

  /**
   * A module with two inputs: {@code tanh(x W1^T + b1) * sigmoid(z W2^T + b2) * scale}, for {@code x}
   * of shape [n, 3] and {@code z} of shape [n, 2]; the output is [n, 1].
   */
  static final class GatedSum extends Module {
    private final Linear value = registerModule("value", new Linear(3, 1)); // "value.weight", ...
    private final Linear gate = registerModule("gate", new Linear(2, 1));

    GatedSum() {
      registerParameter("scale", Tensor.ones(1)); // a parameter of its own: "scale"
      registerBuffer("calls", Tensor.zeros(1)); // state, not trained
    }

    /** The computation, for inputs x [n, 3] and z [n, 2]. */
    Tensor forward(Tensor x, Tensor z) {
      return value.call(x).tanh().mul(gate.call(z).sigmoid()).mul(param("scale"));
    }

    /** PyTorch's module(x, z): forward, then the forward hooks. */
    Tensor call(Tensor x, Tensor z) {
      return runHooks(List.of(x, z), forward(x, z));
    }
  }

  /** Fits GatedSum to a fixed target for 200 SGD steps and prints the loss before and after. */
  public static void main(String[] args) {
    Tensor.manualSeed(1);
    GatedSum model = new GatedSum();
    Tensor x = Tensor.randn(64, 3);
    Tensor z = Tensor.randn(64, 2);
    Tensor y = x.narrow(1, 0, 1).mul(0.5);
    SGD opt = new SGD(model.parameters(), 0.5);
    double first = Double.NaN;
    double last = Double.NaN;
    for (int step = 0; step < 200; step++) {
      Tensor loss = model.call(x, z).sub(y).square().mean();
      if (step == 0) {
        first = loss.item();
      }
      last = loss.item();
      opt.zeroGrad();
      loss.backward();
      opt.step();
    }
    System.out.printf("consumer: %s; loss %.4f -> %.4f; state dict %s%n",
        System.getProperty("os.name") + "/" + System.getProperty("os.arch"), first, last,
        model.stateDict().keySet());
    if (!(last < first / 4)) {
      System.err.println("consumer: the loss did not fall");
      System.exit(1);
    }
  }
}
