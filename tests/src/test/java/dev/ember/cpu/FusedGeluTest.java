package dev.ember.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ember.Autograd;
import dev.ember.DType;
import dev.ember.GradCheck;
import dev.ember.Tensor;
import dev.ember.ops.Activations;
import org.junit.jupiter.api.Test;

/**
 * GELU runs as one fused primitive forward and one for its derivative; the gradient of the gradient
 * takes the composite formula. Both must agree with the composite definition.
 */
class FusedGeluTest {
  private static Tensor composite(Tensor x, boolean tanh) {
    if (tanh) {
      Tensor inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
      return x.mul(inner.tanh().add(1)).mul(0.5);
    }
    return x.mul(x.mul(1 / Math.sqrt(2)).erf().add(1)).mul(0.5);
  }

  @Test
  void fusedMatchesCompositeValuesAndGradients() {
    for (String mode : new String[] {"none", "tanh"}) {
      boolean tanh = mode.equals("tanh");
      Tensor x = Tensor.randn(200).to(DType.FLOAT64).mul(3).requiresGrad(true);
      Tensor fused = Activations.gelu(x, mode);
      Tensor ref = composite(x, tanh);
      assertArrayEquals(ref.toDoubleArray(), fused.toDoubleArray(), 1e-12, mode);
      Tensor gf = Autograd.grad(new Tensor[] {fused.sum()}, new Tensor[] {x}, null, false, false, false)[0];
      Tensor gr = Autograd.grad(new Tensor[] {ref.sum()}, new Tensor[] {x}, null, false, false, false)[0];
      assertArrayEquals(gr.toDoubleArray(), gf.toDoubleArray(), 1e-12, mode + " gradient");
    }
  }

  @Test
  void secondDerivativeIsCorrect() {
    for (String mode : new String[] {"none", "tanh"}) {
      GradCheck.check(in -> {
        // GradCheck's numeric pass runs without recording; the inner gradient needs it.
        try (var on = dev.ember.GradMode.enableGrad()) {
          Tensor x = in[0].requiresGrad() ? in[0] : in[0].detach().requiresGrad(true);
          Tensor y = Activations.gelu(x, mode).sum();
          return Autograd.grad(new Tensor[] {y}, new Tensor[] {x}, null, true, true, false)[0];
        }
      }, Tensor.randn(3, 4));
    }
  }
}
