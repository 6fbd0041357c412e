/**
 * Sparse tensors: {@link dev.ember.sparse.SparseCooTensor} (PyTorch's {@code torch.sparse_coo_tensor},
 * coordinate format) and {@link dev.ember.sparse.Sparse} ({@code torch.sparse.mm}). Values carry
 * gradients; indices are int64 and checked against the size when a tensor is made.
 */
package dev.ember.sparse;
