package dev.ember.sparse;

import dev.ember.DType;
import dev.ember.Device;
import dev.ember.Shape;
import dev.ember.Tensor;
import dev.ember.ops.Shaping;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A sparse tensor in coordinate (COO) format, PyTorch's {@code torch.sparse_coo_tensor}: the
 * non-zero entries are listed by {@code indices} [sparseDim, nnz] (int64) and {@code values} [nnz,
 * d...] (the dense dims of a hybrid tensor, none for a plain one); the tensor's size is the sparse
 * sizes followed by {@code d...}. A separate class, not a layout of {@link Tensor}: only the ops
 * below take it, and {@link #toDense()} leaves it.
 *
 * <p>Entries may repeat an index ("uncoalesced"); they then add up. {@link #coalesce()} sorts the
 * entries by index (row-major) and sums the repeats. As in PyTorch, {@link #indices()} and {@link
 * #values()} need a coalesced tensor; {@link #rawIndices()} and {@link #rawValues()} ({@code
 * _indices()}, {@code _values()}) give the entries as stored.
 *
 * <p>Gradients flow through {@code values}: a {@code values} tensor that requires grad gets
 * gradients from {@link #toDense()}, {@link #coalesce()}, {@link #add(SparseCooTensor)} and {@link
 * Sparse#mm} (one gradient per stored entry, as PyTorch's {@code values.grad}); indices are
 * integers and have none. Unlike PyTorch's default, every index is checked against the size when
 * the tensor is made (PyTorch checks only with {@code check_invariants=True}): an out-of-range
 * index is an error, not a later wrong answer. The indices are read to the host once for that
 * check and kept there (index bookkeeping runs on the host; the values stay on their device).
 *
 * <p>Immutable: every op returns a new tensor.
 */
public final class SparseCooTensor {
  private final long[] hostIndices;
  private final Tensor indices;
  private final Tensor values;
  private final int[] size;
  private final int sparseDim;
  private final boolean coalesced;

  private SparseCooTensor(long[] hostIndices, Tensor indices, Tensor values, int[] size, int sparseDim,
      boolean coalesced) {
    this.hostIndices = hostIndices;
    this.indices = indices;
    this.values = values;
    this.size = size;
    this.sparseDim = sparseDim;
    this.coalesced = coalesced;
  }

  /**
   * Makes a sparse tensor of {@code size} from {@code indices} [sparseDim, nnz] (int64, or int32
   * converted) and {@code values} [nnz, d...], PyTorch's {@code torch.sparse_coo_tensor(indices,
   * values, size)}; {@code size} is the sparseDim sparse sizes then {@code d...}. It shares {@code
   * values} (gradients reach it) and is uncoalesced unless it has at most one entry.
   *
   * @throws IllegalArgumentException naming the shapes for indices that are not 2-d integers,
   *     counts of entries that differ, a size of the wrong length, dense dims that differ from
   *     {@code size}, an index outside its dim, or indices and values on different devices
   */
  public static SparseCooTensor of(Tensor indices, Tensor values, int... size) {
    checkParts(indices, values);
    if (size == null) {
      throw new IllegalArgumentException("sparse_coo_tensor: null size");
    }
    int sparseDim = indices.size(0);
    int denseDim = values.dim() - 1;
    if (size.length != sparseDim + denseDim) {
      throw new IllegalArgumentException("sparse_coo_tensor: size " + Arrays.toString(size) + " has " + size.length
          + " dims, but indices " + indices.shape() + " give " + sparseDim + " sparse dims and values "
          + values.shape() + " give " + denseDim + " dense dims");
    }
    for (int s : size) {
      if (s < 0) {
        throw new IllegalArgumentException("sparse_coo_tensor: negative size in " + Arrays.toString(size));
      }
    }
    int[] denseSizes = Arrays.copyOfRange(size, sparseDim, size.length);
    int[] valueDenseSizes = Arrays.copyOfRange(values.shapeArray(), 1, values.dim());
    if (!Arrays.equals(denseSizes, valueDenseSizes)) {
      throw new IllegalArgumentException("sparse_coo_tensor: values " + values.shape() + " have dense sizes "
          + Arrays.toString(valueDenseSizes) + " but size " + Arrays.toString(size) + " ends in "
          + Arrays.toString(denseSizes));
    }
    long[] host = indices.to(DType.INT64).to(Device.CPU).contiguous().toLongArray();
    int nnz = indices.size(1);
    for (int d = 0; d < sparseDim; d++) {
      for (int k = 0; k < nnz; k++) {
        long i = host[d * nnz + k];
        if (i < 0 || i >= size[d]) {
          throw new IllegalArgumentException("sparse_coo_tensor: index " + i + " of entry " + k
              + " is out of range for dim " + d + " of size " + size[d] + " (size " + Arrays.toString(size) + ")");
        }
      }
    }
    return new SparseCooTensor(host, indexTensor(host, sparseDim, nnz, values.device()), values, size.clone(),
        sparseDim, nnz <= 1);
  }

  /**
   * Makes a sparse tensor whose sparse sizes are the largest index + 1 in each dim and whose dense
   * sizes are {@code values}'s ({@code torch.sparse_coo_tensor(indices, values)}).
   */
  public static SparseCooTensor of(Tensor indices, Tensor values) {
    checkParts(indices, values);
    long[] host = indices.to(DType.INT64).to(Device.CPU).contiguous().toLongArray();
    int sparseDim = indices.size(0);
    int nnz = indices.size(1);
    int[] size = new int[sparseDim + values.dim() - 1];
    for (int d = 0; d < sparseDim; d++) {
      long max = -1;
      for (int k = 0; k < nnz; k++) {
        max = Math.max(max, host[d * nnz + k]);
      }
      size[d] = Math.toIntExact(max + 1);
    }
    System.arraycopy(values.shapeArray(), 1, size, sparseDim, values.dim() - 1);
    return of(indices, values, size);
  }

  /**
   * Returns the coalesced sparse form of {@code dense}, PyTorch's {@code dense.to_sparse()}: every
   * dim sparse, one entry per non-zero element (NaN counts as non-zero) in row-major order.
   * Differentiable: the values are gathered from {@code dense}, so gradients reach it.
   */
  public static SparseCooTensor fromDense(Tensor dense) {
    int rank = dense.dim();
    if (rank == 0) {
      int nnz = dense.item() != 0 ? 1 : 0;
      Tensor values = dense.reshape(1).narrow(0, 0, nnz);
      return new SparseCooTensor(new long[0], indexTensor(new long[0], 0, nnz, dense.device()), values, new int[0],
          0, true);
    }
    long[] coords = dense.nonzero().to(Device.CPU).contiguous().toLongArray();
    int nnz = coords.length / rank;
    long[] host = new long[coords.length];
    long[] lin = new long[nnz];
    int[] size = dense.shapeArray();
    for (int k = 0; k < nnz; k++) {
      for (int d = 0; d < rank; d++) {
        host[d * nnz + k] = coords[k * rank + d];
        lin[k] = lin[k] * size[d] + coords[k * rank + d];
      }
    }
    Tensor values = dense.reshape(-1).indexSelect(0, Tensor.of(lin).to(dense.device()));
    return new SparseCooTensor(host, indexTensor(host, rank, nnz, dense.device()), values, size, rank, true);
  }

  private static void checkParts(Tensor indices, Tensor values) {
    if (indices == null || values == null) {
      throw new IllegalArgumentException("sparse_coo_tensor: null indices or values");
    }
    if (indices.dtype() != DType.INT64 && indices.dtype() != DType.INT32) {
      throw new IllegalArgumentException("sparse_coo_tensor: indices must be an int64 tensor, got "
          + indices.dtype());
    }
    if (indices.dim() != 2) {
      throw new IllegalArgumentException("sparse_coo_tensor: indices must be 2-d [sparse_dim, nnz], got shape "
          + indices.shape());
    }
    if (values.dim() < 1) {
      throw new IllegalArgumentException("sparse_coo_tensor: values must be at least 1-d [nnz, ...], got shape "
          + values.shape());
    }
    if (indices.size(1) != values.size(0)) {
      throw new IllegalArgumentException("sparse_coo_tensor: indices and values must have the same nnz, but"
          + " indices " + indices.shape() + " have " + indices.size(1) + " entries and values " + values.shape()
          + " have " + values.size(0));
    }
    if (!indices.device().equals(values.device())) {
      throw new IllegalArgumentException("sparse_coo_tensor: indices are on " + indices.device()
          + " but values on " + values.device());
    }
  }

  private static Tensor indexTensor(long[] host, int sparseDim, int nnz, Device device) {
    return Tensor.of(host, sparseDim, nnz).to(device);
  }

  // ---------------------------------------------------------------- shape and parts

  /** Returns the size (sparse sizes, then dense sizes). */
  public Shape shape() {
    return Shape.of(size);
  }

  /** Returns the size as a fresh array. */
  public int[] shapeArray() {
    return size.clone();
  }

  /** Returns the number of dims (sparse plus dense). */
  public int dim() {
    return size.length;
  }

  /** Returns the number of sparse dims (the rows of {@code indices}). */
  public int sparseDim() {
    return sparseDim;
  }

  /** Returns the number of dense dims (the dims of {@code values} after the first). */
  public int denseDim() {
    return size.length - sparseDim;
  }

  /** Returns the number of stored entries (repeats counted until coalesced). */
  public int nnz() {
    return values.size(0);
  }

  /** Returns the values' dtype. */
  public DType dtype() {
    return values.dtype();
  }

  /** Returns the device of the values and indices. */
  public Device device() {
    return values.device();
  }

  /** Returns whether the values require grad. */
  public boolean requiresGrad() {
    return values.requiresGrad();
  }

  /** Returns whether the entries are sorted by index without repeats (see {@link #coalesce()}). */
  public boolean isCoalesced() {
    return coalesced;
  }

  /**
   * Returns the indices [sparseDim, nnz] (int64) of a coalesced tensor.
   *
   * @throws IllegalStateException if the tensor is not coalesced, as in PyTorch
   */
  public Tensor indices() {
    requireCoalesced("indices");
    return indices;
  }

  /**
   * Returns the values [nnz, d...] of a coalesced tensor.
   *
   * @throws IllegalStateException if the tensor is not coalesced, as in PyTorch
   */
  public Tensor values() {
    requireCoalesced("values");
    return values;
  }

  /** Returns the indices as stored, coalesced or not (PyTorch's {@code _indices()}). */
  public Tensor rawIndices() {
    return indices;
  }

  /** Returns the values as stored, coalesced or not (PyTorch's {@code _values()}). */
  public Tensor rawValues() {
    return values;
  }

  private void requireCoalesced(String what) {
    if (!coalesced) {
      throw new IllegalStateException("sparse: cannot get " + what + " of an uncoalesced tensor (size "
          + Arrays.toString(size) + ", nnz " + nnz() + "); call coalesce() first, or use raw"
          + Character.toUpperCase(what.charAt(0)) + what.substring(1) + "()");
    }
  }

  /** Returns the entries' indices on the host, [sparseDim * nnz] row-major. For {@link Sparse}. */
  long[] hostIndices() {
    return hostIndices;
  }

  /**
   * Returns each entry's row-major position among the sparse sizes ({@code i0 * s1 * s2 + i1 * s2 +
   * i2} for three sparse dims).
   */
  long[] linearIndices() {
    int nnz = nnz();
    long[] lin = new long[nnz];
    for (int d = 0; d < sparseDim; d++) {
      for (int k = 0; k < nnz; k++) {
        lin[k] = lin[k] * size[d] + hostIndices[d * nnz + k];
      }
    }
    return lin;
  }

  /** Returns the number of positions of the sparse dims (their sizes' product). */
  private long sparsePositions() {
    long n = 1;
    for (int d = 0; d < sparseDim; d++) {
      n *= size[d];
    }
    return n;
  }

  // ---------------------------------------------------------------- ops

  /**
   * Returns the dense tensor of this size: zeros, plus every entry's value at its index (repeats
   * add up), PyTorch's {@code to_dense()}. Differentiable w.r.t. the values.
   */
  public Tensor toDense() {
    long positions = sparsePositions();
    if (positions > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("to_dense: sparse dims of " + Arrays.toString(size) + " hold " + positions
          + " positions, more than 2^31 - 1");
    }
    int[] flatShape = values.shapeArray();
    flatShape[0] = (int) positions;
    Tensor flat = Tensor.zeros(Shape.of(flatShape), dtype(), device())
        .indexAdd(0, Tensor.of(linearIndices()).to(device()), values);
    return flat.reshape(size);
  }

  /**
   * Returns the coalesced tensor, PyTorch's {@code coalesce()}: entries sorted by index in row-major
   * order, repeated indices summed into one entry. Returns this tensor if it is coalesced already.
   * Differentiable w.r.t. the values (each stored entry gets the gradient of the entry it was summed
   * into).
   */
  public SparseCooTensor coalesce() {
    if (coalesced) {
      return this;
    }
    int nnz = nnz();
    long[] lin = linearIndices();
    Integer[] order = new Integer[nnz];
    for (int k = 0; k < nnz; k++) {
      order[k] = k;
    }
    Arrays.sort(order, (a, b) -> Long.compare(lin[a], lin[b]));
    long[] inverse = new long[nnz];
    List<Integer> firsts = new ArrayList<>();
    for (int r = 0; r < nnz; r++) {
      int k = order[r];
      if (r == 0 || lin[k] != lin[order[r - 1]]) {
        firsts.add(k);
      }
      inverse[k] = firsts.size() - 1;
    }
    int unique = firsts.size();
    long[] host = new long[sparseDim * unique];
    for (int d = 0; d < sparseDim; d++) {
      for (int u = 0; u < unique; u++) {
        host[d * unique + u] = hostIndices[d * nnz + firsts.get(u)];
      }
    }
    int[] summedShape = values.shapeArray();
    summedShape[0] = unique;
    Tensor summed = Tensor.zeros(Shape.of(summedShape), dtype(), device())
        .indexAdd(0, Tensor.of(inverse).to(device()), values);
    return new SparseCooTensor(host, indexTensor(host, sparseDim, unique, device()), summed, size, sparseDim, true);
  }

  /**
   * Returns {@code this + other} as a coalesced sparse tensor (the entries of both, repeats summed).
   * Differentiable w.r.t. both tensors' values.
   *
   * @throws IllegalArgumentException if the sizes, sparse dims, dtypes or devices differ
   */
  public SparseCooTensor add(SparseCooTensor other) {
    return add(other, 1);
  }

  /** Returns {@code this + alpha * other} as a coalesced sparse tensor; see {@link #add(SparseCooTensor)}. */
  public SparseCooTensor add(SparseCooTensor other, double alpha) {
    if (!Arrays.equals(size, other.size) || sparseDim != other.sparseDim) {
      throw new IllegalArgumentException("sparse add: sizes must match, but " + Arrays.toString(size) + " (sparse_dim "
          + sparseDim + ") != " + Arrays.toString(other.size) + " (sparse_dim " + other.sparseDim + ")");
    }
    if (dtype() != other.dtype() || !device().equals(other.device())) {
      throw new IllegalArgumentException("sparse add: operands must have the same dtype and device, got "
          + dtype() + " on " + device() + " and " + other.dtype() + " on " + other.device());
    }
    int n1 = nnz();
    int n2 = other.nnz();
    long[] host = new long[sparseDim * (n1 + n2)];
    for (int d = 0; d < sparseDim; d++) {
      System.arraycopy(hostIndices, d * n1, host, d * (n1 + n2), n1);
      System.arraycopy(other.hostIndices, d * n2, host, d * (n1 + n2) + n1, n2);
    }
    Tensor otherValues = alpha == 1 ? other.values : other.values.mul(alpha);
    Tensor joined = Shaping.cat(List.of(values, otherValues), 0);
    return new SparseCooTensor(host, indexTensor(host, sparseDim, n1 + n2, device()), joined, size, sparseDim,
        n1 + n2 <= 1).coalesce();
  }

  /** Returns {@code this + dense} as a dense tensor (broadcasting {@code dense}, as {@link Tensor#add}). */
  public Tensor add(Tensor dense) {
    return toDense().add(dense);
  }

  /** Returns this tensor with every value times {@code factor} (same indices, same coalesced state). */
  public SparseCooTensor mul(double factor) {
    return new SparseCooTensor(hostIndices, indices, values.mul(factor), size, sparseDim, coalesced);
  }

  /** Returns {@code this @ dense}, a dense tensor: see {@link Sparse#mm} (a 1-d {@code dense} gives a vector). */
  public Tensor matmul(Tensor dense) {
    return Sparse.mm(this, dense);
  }

  /** Returns this tensor on {@code device} (the values copied differentiably, as {@link Tensor#to}). */
  public SparseCooTensor to(Device device) {
    if (device.equals(device())) {
      return this;
    }
    return new SparseCooTensor(hostIndices, indices.to(device), values.to(device), size, sparseDim, coalesced);
  }

  /** Returns PyTorch's summary: {@code sparse_coo(indices=..., values=..., size=(2, 3), nnz=4)}. */
  @Override
  public String toString() {
    return "sparse_coo(indices=" + indices + ",\n  values=" + values + ",\n  size=" + shape() + ", nnz=" + nnz()
        + ", coalesced=" + coalesced + ")";
  }
}
