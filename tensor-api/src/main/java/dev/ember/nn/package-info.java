/**
 * Neural-network building blocks, PyTorch's {@code torch.nn}: {@link dev.ember.nn.Module} (with
 * parameters, buffers, children, state dicts and hooks), layers with PyTorch's default
 * initialization and parameter names, containers, recurrent and attention layers, loss modules,
 * {@link dev.ember.nn.Init} (weight initializers) and {@link dev.ember.nn.Clip} (gradient clipping).
 *
 * <p>A training step:
 *
 * <pre>{@code
 * Module model = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
 * Optimizer opt = new SGD(model.parameters(), SGD.Options.lr(0.1).withMomentum(0.9));
 * CrossEntropyLoss lossFn = new CrossEntropyLoss();
 * opt.zeroGrad();
 * Tensor loss = lossFn.call(model.call(x), y);
 * loss.backward();
 * opt.step();
 * }</pre>
 */
package dev.ember.nn;
