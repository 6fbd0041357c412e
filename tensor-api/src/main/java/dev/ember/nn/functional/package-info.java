/**
 * The functional neural-network API ({@code torch.nn.functional}): {@link
 * dev.ember.nn.functional.F} gathers activations, convolution, pooling, normalization, embedding,
 * attention and losses as static methods. It uses only the public {@code dev.ember} and {@code
 * dev.ember.ops} APIs, never {@code spi} or {@code internal}.
 */
package dev.ember.nn.functional;
