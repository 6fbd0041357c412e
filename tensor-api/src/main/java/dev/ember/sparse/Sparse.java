package dev.ember.sparse;

import dev.ember.Shape;
import dev.ember.Tensor;
import java.util.Arrays;

/**
 * PyTorch's {@code torch.sparse} functions over {@link SparseCooTensor}: {@link #mm}. (PyTorch's
 * {@code torch.sparse_coo_tensor} is {@link SparseCooTensor#of}.)
 */
public final class Sparse {
  private Sparse() {}

  /**
   * Multiplies a sparse matrix by a dense one, PyTorch's {@code torch.sparse.mm(sparse, dense)}:
   * {@code sparse} [n, m] (two sparse dims, no dense dims) times {@code dense} [m, p] is a dense [n,
   * p]; a 1-d {@code dense} [m] gives [n] (as {@code sparse @ vector}). Only the stored entries are
   * visited: row {@code i} of the result sums {@code value * dense[j]} over the entries at (i, j),
   * repeats included, so the tensor need not be coalesced. Differentiable w.r.t. {@code dense} and
   * the sparse tensor's values (one gradient per stored entry).
   *
   * @throws IllegalArgumentException naming both shapes if they cannot be multiplied, or if the
   *     dtypes or devices differ
   */
  public static Tensor mm(SparseCooTensor sparse, Tensor dense) {
    if (sparse.sparseDim() != 2 || sparse.denseDim() != 0) {
      throw new IllegalArgumentException("sparse.mm: expected a sparse matrix (2 sparse dims, no dense dims), got"
          + " size " + sparse.shape() + " with sparse_dim " + sparse.sparseDim() + ", dense_dim " + sparse.denseDim());
    }
    if (dense.dim() != 1 && dense.dim() != 2) {
      throw new IllegalArgumentException("sparse.mm: expected a dense matrix or vector, got shape " + dense.shape()
          + " (sparse " + sparse.shape() + ")");
    }
    int[] size = sparse.shapeArray();
    if (dense.size(0) != size[1]) {
      throw new IllegalArgumentException("sparse.mm: sparse " + sparse.shape() + " and dense " + dense.shape()
          + " cannot be multiplied (" + size[1] + " != " + dense.size(0) + ")");
    }
    if (sparse.dtype() != dense.dtype() || !sparse.device().equals(dense.device())) {
      throw new IllegalArgumentException("sparse.mm: sparse " + sparse.dtype() + " on " + sparse.device()
          + " and dense " + dense.dtype() + " on " + dense.device() + " must have the same dtype and device");
    }
    boolean vector = dense.dim() == 1;
    Tensor matrix = vector ? dense.unsqueeze(1) : dense;
    int nnz = sparse.nnz();
    long[] host = sparse.hostIndices();
    Tensor rows = Tensor.of(Arrays.copyOfRange(host, 0, nnz)).to(dense.device());
    Tensor cols = Tensor.of(Arrays.copyOfRange(host, nnz, 2 * nnz)).to(dense.device());
    Tensor products = matrix.indexSelect(0, cols).mul(sparse.rawValues().unsqueeze(1));
    Tensor out = Tensor.zeros(Shape.of(size[0], matrix.size(1)), dense.dtype(), dense.device())
        .indexAdd(0, rows, products);
    return vector ? out.squeeze(1) : out;
  }
}
