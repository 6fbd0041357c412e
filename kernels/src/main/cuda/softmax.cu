// Fused, numerically stable softmax and log-softmax along the last dim of a contiguous [rows, cols]
// input: one block per row (grid-stride over rows) finds the row max, sums e^(x - max) and writes
// e^(x - max) / sum, or x - max - log(sum). blockDim.x must be a power of two no larger than 256.
#include "ember.cuh"

#define SOFTMAX_THREADS 256

template <typename T>
__device__ void softmax_kernel(i64 rows, i64 cols, int log_softmax, const T* __restrict__ x,
                               T* __restrict__ out) {
  typedef typename Acc<T>::type A;
  __shared__ A red[SOFTMAX_THREADS];
  for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * cols;
    T* yr = out + r * cols;
    A m = (A)(-INFINITY);
    for (i64 c = threadIdx.x; c < cols; c += blockDim.x) m = nan_max(m, (A)xr[c]);
    red[threadIdx.x] = m;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) red[threadIdx.x] = nan_max(red[threadIdx.x], red[threadIdx.x + s]);
      __syncthreads();
    }
    m = red[0];
    // A row of all -inf would give -inf - -inf = NaN; shift by 0 instead, as PyTorch does.
    if (isinf(m) && m < 0) m = 0;
    __syncthreads();
    A sum = 0;
    for (i64 c = threadIdx.x; c < cols; c += blockDim.x) sum += exp((A)xr[c] - m);
    red[threadIdx.x] = sum;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
      __syncthreads();
    }
    sum = red[0];
    A log_sum = log(sum);
    for (i64 c = threadIdx.x; c < cols; c += blockDim.x) {
      A z = (A)xr[c] - m;
      yr[c] = (T)(log_softmax ? z - log_sum : exp(z) / sum);
    }
    __syncthreads();
  }
}

#define EMBER_SOFTMAX_ENTRY(T, S)                                                   \
  extern "C" __global__ void __launch_bounds__(SOFTMAX_THREADS)                     \
      softmax_##S(i64 rows, i64 cols, int log_softmax, const T* x, T* out) {        \
    softmax_kernel<T>(rows, cols, log_softmax, x, out);                             \
  }

EMBER_FOR_EACH_FLOAT(EMBER_SOFTMAX_ENTRY)
