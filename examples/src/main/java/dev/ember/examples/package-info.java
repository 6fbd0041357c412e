/**
 * Command-line programs behind {@code ./ember}: {@code train} (a CNN on the built-in digits or MNIST,
 * with progress, chart and checkpoints) and {@code gpt} (a small character-level GPT, {@link
 * dev.ember.examples.TinyGpt}).
 */
package dev.ember.examples;
