package dev.ember.spi;

/**
 * Gradients of elementwise activations computed from the activation's output {@code y} and the
 * incoming gradient {@code g} (PyTorch's {@code threshold_backward}, {@code sigmoid_backward} and
 * {@code tanh_backward}): see {@link Backend#unaryBackward}. Each formula is written with the order
 * of its roundings, which is the order of tensor-api's composition, so a one-pass kernel that rounds
 * each step to the dtype gives the composition's numbers bit for bit.
 */
public enum UnaryBackwardOp {
  /** ReLU: {@code y > 0 ? g : 0} (a NaN {@code y} gives 0; {@code g} is copied bit for bit). */
  RELU,
  /** Sigmoid: {@code g * (y * (1 - y))}. */
  SIGMOID,
  /** Tanh: {@code g * (1 - y * y)}. */
  TANH
}
