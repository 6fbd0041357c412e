/**
 * What users import: {@link dev.ember.Tensor}, {@link dev.ember.Shape}, {@link dev.ember.DType},
 * {@link dev.ember.Device}, {@link dev.ember.GradMode}, {@link dev.ember.Autograd}, {@link
 * dev.ember.Function} and {@link dev.ember.GradCheck}.
 */
package dev.ember;
