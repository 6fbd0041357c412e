package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.DType;
import dev.ember.Shape;
import dev.ember.Tensor;

/**
 * {@code cumprod} and its gradient. The forward runs on the host in float64 (int64 for integer and
 * bool inputs, which PyTorch promotes to int64) and is cast back; the gradient is Tensor ops, so it
 * runs on the input's device and has gradients of its own.
 */
public final class Cumulative {
  private Cumulative() {}

  /**
   * Returns the running product along {@code dim} ({@code torch.cumprod}): {@code out[i] = x[0] *
   * ... * x[i]}. Gradient: {@code sum_{j >= i} g[j] * out[j] / x[i]} when {@code x} has no zeros;
   * with zeros, the exact products that leave {@code x[i]} out (PyTorch's result, no NaN).
   */
  public static Tensor cumprod(Tensor x, int dim) {
    int d = Shape.normalizeDim(dim, x.dim(), "cumprod");
    DType type = x.dtype().isFloatingPoint() ? x.dtype() : DType.INT64;
    HostLanes h = HostLanes.of(x, d);
    Tensor out;
    if (h.integral) {
      long[] v = h.longs.clone();
      for (int l = 0; l < h.lanes(); l++) {
        for (int j = 1; j < h.length; j++) {
          v[h.at(l, j)] *= v[h.at(l, j - 1)];
        }
      }
      out = HostLanes.longs(v, x.shapeArray(), x.device());
    } else {
      double[] v = h.doubles.clone();
      for (int l = 0; l < h.lanes(); l++) {
        for (int j = 1; j < h.length; j++) {
          v[h.at(l, j)] *= v[h.at(l, j - 1)];
        }
      }
      out = HostLanes.values(v, x.shapeArray(), type, x.device());
    }
    if (!type.isFloatingPoint()) {
      return out;
    }
    return record("cumprod", out, new Tensor[] {x}, new Tensor[] {x, out},
        g -> new Tensor[] {cumprodBackward(g, x, out, d)});
  }

  private static Tensor cumprodBackward(Tensor g, Tensor x, Tensor out, int d) {
    if (x.dim() == 0 || x.numel() == 0) {
      return g;
    }
    boolean hasZero;
    try (var off = dev.ember.GradMode.noGrad()) {
      hasZero = x.eq(0).to(DType.INT64).sum().item() > 0;
    }
    if (!hasZero) {
      // sum_{j >= i} (g * out)_j, divided by x_i
      Tensor go = g.mul(out);
      return go.sum(d, true).sub(go.cumsum(d)).add(go).div(x);
    }
    // With zeros: P[i, j] = prod_{k <= j, k != i} x_k, the cumprod of x with x_i set to 1, and
    // grad_i = sum_{j >= i} g_j P[i, j]. Move dim d last and build the n x n products per lane.
    int n = x.size(d);
    Tensor xl = x.transpose(d, -1);
    Tensor gl = g.transpose(d, -1);
    int[] lead = xl.shapeArray();
    int[] square = new int[lead.length + 1];
    System.arraycopy(lead, 0, square, 0, lead.length);
    square[lead.length] = n; // [..., i, k]
    Tensor eye = Tensor.eye(n).to(x.device()).to(DType.BOOL);
    Tensor rows = Tensor.where(eye, Tensor.ones(Shape.of(1), x.dtype(), x.device()),
        xl.unsqueeze(-2).expand(square));
    Tensor products = cumprod(rows, -1); // [..., i, j]
    Tensor upper = Tensor.ones(Shape.of(n, n), x.dtype(), x.device()).triu(0); // j >= i
    Tensor grad = products.mul(upper).mul(gl.unsqueeze(-2)).sum(-1, false);
    return grad.transpose(d, -1);
  }
}
