/**
 * Optimizers, PyTorch's {@code torch.optim}: {@link dev.ember.optim.SGD}, {@link
 * dev.ember.optim.Adam}, {@link dev.ember.optim.AdamW}, {@link dev.ember.optim.RMSprop} and {@link
 * dev.ember.optim.Adagrad} over {@link dev.ember.optim.ParamGroup}s, with PyTorch's update rules
 * (its single-tensor implementations, step for step) and state-dict layout. Learning-rate
 * schedules live in {@link dev.ember.optim.lr}.
 *
 * <pre>{@code
 * Adam opt = new Adam(model.parameters(), Adam.options(1e-3).withWeightDecay(1e-4));
 * for (...) {
 *   opt.zeroGrad();
 *   lossFn.call(model.call(x), y).backward();
 *   opt.step();
 * }
 * }</pre>
 */
package dev.ember.optim;
