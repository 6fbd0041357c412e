package dev.ember.ops;

import static dev.ember.Autograd.record;

import dev.ember.Tensor;
import dev.ember.internal.Autocasting;
import dev.ember.internal.Dispatch;
import dev.ember.spi.Backend;
import dev.ember.spi.Strided;
import java.util.Arrays;

/**
 * Matrix products: {@code matmul} with all of PyTorch's rules, {@code bmm}, {@code mm}, {@code
 * outer}, {@code linear} and {@code einsum}. Everything reduces to one batched product primitive
 * whose backward is two more batched products.
 */
public final class Linalg {
  private Linalg() {}

  private static void checkFloating(String op, Tensor a, Tensor b) {
    if (a.dtype() != b.dtype()) {
      throw new IllegalArgumentException(op + ": expected both operands to have the same dtype, but got "
          + a.dtype() + " " + a.shape() + " and " + b.dtype() + " " + b.shape());
    }
    if (!a.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(op + ": only floating dtypes are supported, got " + a.dtype());
    }
  }

  /** The primitive: [B, M, K] x [B, K, N] -> [B, M, N]. */
  private static Tensor batched(String op, Tensor a, Tensor b) {
    return batched(op, a, b, null);
  }

  /**
   * The primitive with the result allocated as {@code outShape} (null: [B, M, N]), any shape of B *
   * M * N elements: the caller's shape comes fresh, not as a view of the product, so in-place ops
   * may follow it as in PyTorch.
   */
  private static Tensor batched(String op, Tensor a, Tensor b, int[] outShape) {
    Backend backend = Dispatch.backendOf(op, a, b);
    int[] as = a.shapeArray();
    int[] bs = b.shapeArray();
    if (as[2] != bs[1] || as[0] != bs[0]) {
      throw new IllegalArgumentException(op + ": shapes " + a.shape() + " and " + b.shape()
          + " cannot be multiplied (" + as[2] + " != " + bs[1] + ")");
    }
    int[] full = {as[0], as[1], bs[2]};
    Tensor out = Dispatch.empty(backend, a.dtype(), outShape == null ? full : outShape);
    if (as[2] == 0) {
      backend.fill(out.strided(), 0);
    } else if (out.numel() > 0) {
      backend.matmul(a.strided(), b.strided(), Strided.contiguous(out.strided().storage(), full));
    }
    return record(op, out, new Tensor[] {a, b}, new Tensor[] {a, b}, g -> {
      Tensor g3 = outShape == null ? g : g.reshape(full);
      return new Tensor[] {
          a.requiresGrad() ? batched(op, g3, b.transpose(1, 2)) : null,
          b.requiresGrad() ? batched(op, a.transpose(1, 2), g3) : null};
    });
  }

  /** Returns the product of [B, n, m] and [B, m, p] tensors: [B, n, p]. */
  public static Tensor bmm(Tensor a, Tensor b) {
    a = Autocasting.lower(a);
    b = Autocasting.lower(b);
    checkFloating("bmm", a, b);
    if (a.dim() != 3 || b.dim() != 3) {
      throw new IllegalArgumentException("bmm: expected 3-d tensors, got " + a.shape() + " and " + b.shape());
    }
    if (a.size(0) != b.size(0) || a.size(2) != b.size(1)) {
      throw new IllegalArgumentException("bmm: shapes " + a.shape() + " and " + b.shape()
          + " cannot be multiplied");
    }
    return batched("bmm", a, b);
  }

  /** Returns the product of [n, m] and [m, p] matrices: [n, p]. */
  public static Tensor mm(Tensor a, Tensor b) {
    checkFloating("mm", a, b);
    if (a.dim() != 2 || b.dim() != 2) {
      throw new IllegalArgumentException("mm: expected 2-d tensors, got " + a.shape() + " and " + b.shape());
    }
    return matmul(a, b);
  }

  /**
   * Returns the matrix product with PyTorch's rules: 1-d @ 1-d is a dot product (0-d); a 1-d operand
   * is a row (left) or column (right) vector whose dim is removed from the result; leading batch
   * dims broadcast.
   *
   * @throws IllegalArgumentException "matmul: inner dimensions differ: [2, 3] @ [4, 5] (3 != 4)"
   */
  public static Tensor matmul(Tensor a, Tensor b) {
    a = Autocasting.lower(a);
    b = Autocasting.lower(b);
    Dispatch.backendOf("matmul", a, b);
    checkFloating("matmul", a, b);
    if (a.dim() == 0 || b.dim() == 0) {
      throw new IllegalArgumentException("matmul: both arguments need at least 1 dim, got " + a.shape()
          + " and " + b.shape());
    }
    int k = a.size(-1);
    int kb = b.dim() == 1 ? b.size(0) : b.size(-2);
    if (k != kb) {
      throw new IllegalArgumentException("matmul: inner dimensions differ: " + a.shape() + " @ " + b.shape()
          + " (" + k + " != " + kb + ")");
    }
    Tensor aa = a.dim() == 1 ? a.unsqueeze(0) : a;
    Tensor bb = b.dim() == 1 ? b.unsqueeze(1) : b;
    int m = aa.size(-2);
    int n = bb.size(-1);
    // The result is allocated in its final shape (a 1-d operand's dim already dropped), never a
    // view of the product, as PyTorch returns it.
    int[] rowsCols = a.dim() == 1 ? (b.dim() == 1 ? new int[0] : new int[] {n})
        : (b.dim() == 1 ? new int[] {m} : new int[] {m, n});
    if (bb.dim() == 2) {
      // Fold a's batch dims into its rows: one big GEMM, no copies of b.
      int[] batch = Arrays.copyOf(aa.shapeArray(), aa.dim() - 2);
      // Rows counted explicitly: with k == 0, reshape's -1 would be ambiguous.
      int rows = (int) dev.ember.Shape.numel(Arrays.copyOf(aa.shapeArray(), aa.dim() - 1));
      Tensor a3 = aa.dim() == 2 ? aa.unsqueeze(0) : aa.reshape(1, rows, k);
      return batched("matmul", a3, bb.unsqueeze(0), concat(batch, rowsCols));
    }
    int[] batchA = Arrays.copyOf(aa.shapeArray(), aa.dim() - 2);
    int[] batchB = Arrays.copyOf(bb.shapeArray(), bb.dim() - 2);
    int[] batch = Dispatch.broadcastShapes("matmul", batchA, batchB);
    int batches = (int) dev.ember.Shape.numel(batch);
    Tensor a3 = aa.expand(concat(batch, new int[] {m, k})).reshape(batches, m, k);
    Tensor b3 = bb.expand(concat(batch, new int[] {k, n})).reshape(batches, k, n);
    return batched("matmul", a3, b3, concat(batch, rowsCols));
  }

  private static int[] concat(int[] x, int[] y) {
    int[] out = Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, out, x.length, y.length);
    return out;
  }

  /** Returns the outer product of two 1-d tensors: [n] x [m] -> [n, m]. */
  public static Tensor outer(Tensor a, Tensor b) {
    if (a.dim() != 1 || b.dim() != 1) {
      throw new IllegalArgumentException("outer: expected 1-d tensors, got " + a.shape() + " and " + b.shape());
    }
    return a.unsqueeze(1).mul(b.unsqueeze(0));
  }

  /**
   * Returns the inner product of two 1-d tensors of equal length and dtype, 0-d ({@code torch.dot};
   * unlike {@code matmul}, mixed dtypes raise, as in PyTorch).
   */
  public static Tensor dot(Tensor a, Tensor b) {
    if (a.dim() != 1 || b.dim() != 1 || a.size(0) != b.size(0)) {
      throw new IllegalArgumentException("dot: expected two 1-d tensors of the same length, got " + a.shape()
          + " and " + b.shape());
    }
    if (a.dtype() != b.dtype()) {
      throw new IllegalArgumentException("dot: expected both tensors to have the same dtype, got " + a.dtype()
          + " and " + b.dtype());
    }
    return a.mul(b).sum();
  }

  /**
   * Returns {@code x @ weight^T + bias}: x is [..., in], weight [out, in], bias [out] or null.
   */
  public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    x = Autocasting.lower(x);
    weight = Autocasting.lower(weight);
    bias = Autocasting.lower(bias);
    Dispatch.backendOf("linear", x, weight);
    checkFloating("linear", x, weight);
    if (weight.dim() != 2 || x.dim() == 0 || x.size(-1) != weight.size(1)) {
      throw new IllegalArgumentException("linear: input " + x.shape() + " and weight " + weight.shape()
          + " don't match (expected weight [out, " + (x.dim() == 0 ? "?" : x.size(-1)) + "])");
    }
    int[] shape = x.shapeArray();
    shape[shape.length - 1] = weight.size(0);
    // The result comes fresh in x's leading shape, not as a view: in-place ops may follow.
    Tensor x2 = x.dim() == 2 ? x : x.reshape(-1, weight.size(1));
    if (bias != null) {
      Tensor fused = FusedLinear.forward(x2, weight, bias, shape);
      if (fused != null) {
        return fused;
      }
    }
    Tensor y = rows(x2, weight, shape);
    return bias == null ? y : y.add(bias);
  }

  /**
   * Returns {@code x @ w^T} for x [N, in] and w [out, in] as one GEMM with w read transposed in
   * place; the weight's gradient {@code g^T @ x} comes out in w's own layout, with no transposed
   * copy (what {@code matmul(x, w.t())} followed by the transpose's backward would make). The
   * result is allocated as {@code shape}, any shape of {@code N * out} elements.
   */
  private static Tensor rows(Tensor x, Tensor w, int[] shape) {
    Backend backend = x.backend();
    int n = x.size(0);
    int in = x.size(1);
    int out = w.size(0);
    Tensor y = Dispatch.empty(backend, x.dtype(), shape);
    if (in == 0) {
      backend.fill(y.strided(), 0);
    } else if (y.numel() > 0) {
      Strided xs = x.strided();
      Strided ws = w.strided();
      backend.matmul(new Strided(xs.storage(), xs.dtype(), new int[] {1, n, in},
              new int[] {0, xs.strides()[0], xs.strides()[1]}, xs.offset()),
          new Strided(ws.storage(), ws.dtype(), new int[] {1, in, out},
              new int[] {0, ws.strides()[1], ws.strides()[0]}, ws.offset()),
          Strided.contiguous(y.strided().storage(), 1, n, out));
    }
    return record("linear", y, new Tensor[] {x, w}, new Tensor[] {x, w},
        g -> linearGrads(x, w, g.dim() == 2 ? g : g.reshape(n, out)));
  }

  /**
   * The gradients of {@code x @ w^T} for the incoming gradient {@code g} [N, out]: {@code g @ w} for x
   * (null unless x requires grad) and {@code g^T @ x} for w. A {@code g} that no GEMM reads in place (no
   * unit stride, such as the scalar gradient of {@code sum()} broadcast with stride 0) is made contiguous
   * once for both products, instead of once inside each.
   */
  static Tensor[] linearGrads(Tensor x, Tensor w, Tensor g) {
    int[] st = g.strided().strides();
    boolean readable = (st[1] == 1 && st[0] >= g.size(1)) || (st[0] == 1 && st[1] >= g.size(0));
    Tensor gm = readable || !(x.requiresGrad() && w.requiresGrad()) ? g : g.contiguous();
    return new Tensor[] {x.requiresGrad() ? gm.mm(w) : null, w.requiresGrad() ? gm.t().mm(x) : null};
  }

  /**
   * Evaluates an Einstein summation such as {@code "bij,bjk->bik"} over any number of operands: the
   * product of all operands broadcast over the union of labels, summed over labels missing from the
   * output. Two-operand contractions run as one batched matrix product.
   */
  public static Tensor einsum(String equation, Tensor... operands) {
    return Einsum.evaluate(equation, operands);
  }
}
