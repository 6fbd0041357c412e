/**
 * The CPU backend: {@link dev.ember.backend.cpu.CpuBackendProvider} registers it for device type
 * {@code cpu}. Off-heap storage, Java kernels, OpenBLAS GEMM from nd4j-native.
 */
package dev.ember.backend.cpu;
