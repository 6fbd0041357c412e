/**
 * Learning-rate schedules, PyTorch's {@code torch.optim.lr_scheduler}: {@link
 * dev.ember.optim.lr.StepLR}, {@link dev.ember.optim.lr.MultiStepLR}, {@link
 * dev.ember.optim.lr.ExponentialLR}, {@link dev.ember.optim.lr.CosineAnnealingLR}, {@link
 * dev.ember.optim.lr.OneCycleLR}, {@link dev.ember.optim.lr.LinearLR}, {@link
 * dev.ember.optim.lr.SequentialLR} (all {@link dev.ember.optim.lr.LRScheduler}s, stepped once per
 * epoch or batch after {@code optimizer.step()}) and {@link dev.ember.optim.lr.ReduceLROnPlateau}
 * (stepped with a metric).
 */
package dev.ember.optim.lr;
