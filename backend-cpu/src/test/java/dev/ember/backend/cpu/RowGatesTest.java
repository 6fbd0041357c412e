package dev.ember.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.Tensor;
import dev.ember.nn.functional.F;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The row kernels give the same bits cold (one row of each block on the vector code, the others on its
 * scalar twins) and open (every row on the vector code): log-softmax, softmax's backward and layer norm's
 * backward, with rows that are not a multiple of 8 long.
 */
class RowGatesTest {
  private static float[][] coldAndOpen(VectorGate gate, Supplier<float[][]> run) {
    gate.close();
    float[][] cold = run.get();
    gate.openNow();
    float[][] open = run.get();
    for (int k = 0; k < cold.length; k++) {
      for (int i = 0; i < cold[k].length; i++) {
        assertEquals(Float.floatToIntBits(open[k][i]), Float.floatToIntBits(cold[k][i]),
            gate + " output " + k + " at " + i + ": open " + open[k][i] + ", cold " + cold[k][i]);
      }
    }
    return cold;
  }

  @Test
  void logSoftmaxRowsAgreeColdAndOpen() {
    assumeTrue(VectorSupport.ENABLED, "no Vector API in this JVM: nothing to compare");
    Tensor.manualSeed(5);
    Tensor x = Tensor.randn(1300, 65).mul(3);
    coldAndOpen(RowKernels.LOG_SOFTMAX_GATE, () -> new float[][] {x.logSoftmax(-1).toFloatArray()});
  }

  @Test
  void softmaxRowsAgreeColdAndOpen() {
    assumeTrue(VectorSupport.ENABLED, "no Vector API in this JVM: nothing to compare");
    Tensor.manualSeed(8);
    Tensor x = Tensor.randn(1000, 37).mul(3);   // 37,000 floats: under oneDNN's threshold, the Java rows
    coldAndOpen(RowKernels.SOFTMAX_GATE, () -> new float[][] {x.softmax(-1).toFloatArray()});
  }

  @Test
  void softmaxBackwardRowsAgreeColdAndOpen() {
    assumeTrue(VectorSupport.ENABLED, "no Vector API in this JVM: nothing to compare");
    Tensor.manualSeed(6);
    Tensor x = Tensor.randn(200, 37);
    Tensor g = Tensor.randn(200, 37);
    coldAndOpen(RowKernels.SOFTMAX_BACKWARD_GATE, () -> {
      Tensor leaf = x.detach().requiresGrad(true);
      leaf.softmax(-1).mul(g).sum().backward();
      return new float[][] {leaf.grad().toFloatArray()};
    });
  }

  @Test
  void layerNormBackwardRowsAgreeColdAndOpen() {
    assumeTrue(VectorSupport.ENABLED, "no Vector API in this JVM: nothing to compare");
    Tensor.manualSeed(7);
    Tensor x = Tensor.randn(130, 53);
    Tensor g = Tensor.randn(130, 53);
    Tensor w0 = Tensor.randn(53);
    Tensor b0 = Tensor.randn(53);
    coldAndOpen(RowKernels.LAYER_NORM_BACKWARD_GATE, () -> {
      Tensor leaf = x.detach().requiresGrad(true);
      Tensor w = w0.detach().requiresGrad(true);
      Tensor b = b0.detach().requiresGrad(true);
      F.layerNorm(leaf, new int[] {53}, w, b).mul(g).sum().backward();
      return new float[][] {leaf.grad().toFloatArray(), w.grad().toFloatArray(), b.grad().toFloatArray()};
    });
  }
}
