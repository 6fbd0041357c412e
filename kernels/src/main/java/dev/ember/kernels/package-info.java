/**
 * Ember's CUDA kernels as class-path PTX: {@link dev.ember.kernels.KernelModule} names each PTX
 * file, {@link dev.ember.kernels.Kernel} each family of entry points, {@link
 * dev.ember.kernels.OpCodes} the op codes they switch on. No native code runs here; backends load
 * the text with the driver API.
 */
package dev.ember.kernels;
