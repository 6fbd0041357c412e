/**
 * Benchmarks of the workloads W1-W6 of {@code shared/bench/WORKLOADS.md}: the step functions
 * ({@link dev.ember.bench.Workloads}), their JMH benchmarks, a start-up and peak-memory harness, and the
 * report that sets Ember beside PyTorch and DL4J. {@code bench/run} runs all of it.
 *
 * @since 0.1.0
 */
package dev.ember.bench;
