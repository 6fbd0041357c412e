/**
 * Op families, each op's forward next to its backward: elementwise ({@code Arithmetic}, {@code
 * Unary}), {@code Reductions}, {@code Views}, {@code Shaping}, {@code Indexing}, {@code Linalg},
 * {@code Activations}, {@code Losses}, and the neural-network ops ({@code Convolution}, {@code
 * Pooling}, {@code Normalization}, {@code Embedding}, {@code Attention}, {@code NnLosses}).
 * Data-dependent ops decide positions on the host ({@code HostLanes}) and move values with the
 * differentiable ops above: {@code Sorting}, {@code Scattering}, {@code Rearranging}, {@code
 * Cumulative}, and the samplers of {@code Sampling}.
 *
 * <p>Forward work goes through {@code internal.Dispatch} or other ops; a backward is recorded with
 * {@code Autograd.record} as a Tensor expression, so every backend gets gradients (and double
 * backward) without gradient code of its own. Composite ops record nothing. Users usually reach
 * these through {@code Tensor}'s methods or {@code dev.ember.nn.functional.F}.
 */
package dev.ember.ops;
