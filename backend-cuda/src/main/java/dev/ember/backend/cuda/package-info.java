/**
 * The CUDA backend: {@link dev.ember.backend.cuda.CudaBackendProvider} (found by ServiceLoader for
 * device type {@code "cuda"}), {@link dev.ember.backend.cuda.CudaBackend}, device memory in {@link
 * dev.ember.backend.cuda.CudaStorage} from a caching allocator, and {@link
 * dev.ember.backend.cuda.Cuda} for device info and memory statistics. Depends on tensor-api's SPI,
 * the kernels module's PTX and JCuda; cuBLAS is used only when it loads.
 */
package dev.ember.backend.cuda;
