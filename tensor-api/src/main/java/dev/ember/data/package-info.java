/**
 * Datasets and loading ({@code torch.utils.data}): {@link dev.ember.data.Dataset}, {@link
 * dev.ember.data.TensorDataset}, {@link dev.ember.data.Subset} and {@link
 * dev.ember.data.Dataset#randomSplit}; {@link dev.ember.data.DataLoader} for shuffled batches
 * loaded on a background thread; readers for MNIST's IDX files ({@link dev.ember.data.Mnist}) and
 * numeric CSV ({@link dev.ember.data.Csv}); and {@link dev.ember.data.SyntheticDigits}, an MNIST-like
 * digit set generated from a seed, for examples and tests that must not download anything.
 *
 * <p>Uses only the public {@code dev.ember} API and {@code dev.ember.ops} functions.
 */
package dev.ember.data;
