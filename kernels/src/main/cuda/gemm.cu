// Batched GEMM fallback for when cuBLAS is not loadable: out[b] = a[b] @ b[b] for row-major
// [M, K] @ [K, N], every operand addressed through its own (batch, row, col) strides so transposed
// and broadcast (stride 0) operands need no copy.
//
// Tiling: a 16x16 thread block computes a 64x64 tile of the output, each thread a 4x4 micro-tile
// held in registers; K advances 16 at a time through shared memory. The batch index is
// blockIdx.z (grid-stride, so any batch count works).
#include "ember.cuh"

#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define THREADS_X 16
#define THREADS_Y 16
#define MICRO 4

template <typename T>
__device__ void gemm_kernel(i64 M, i64 N, i64 K, i64 batch,
                            const T* __restrict__ a, i64 a_off, i64 a_sb, i64 a_sm, i64 a_sk,
                            const T* __restrict__ b, i64 b_off, i64 b_sb, i64 b_sk, i64 b_sn,
                            T* __restrict__ c, i64 c_off, i64 c_sb, i64 c_sm, i64 c_sn) {
  // +1 padding on the fast dim avoids shared-memory bank conflicts on the transposed reads.
  __shared__ T as[TILE_K][TILE_M + 1];
  __shared__ T bs[TILE_K][TILE_N + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * THREADS_X + tx;
  const i64 row0 = (i64)blockIdx.y * TILE_M;
  const i64 col0 = (i64)blockIdx.x * TILE_N;
  for (i64 z = blockIdx.z; z < batch; z += gridDim.z) {
    const T* az = a + a_off + z * a_sb;
    const T* bz = b + b_off + z * b_sb;
    T acc[MICRO][MICRO];
#pragma unroll
    for (int i = 0; i < MICRO; ++i)
#pragma unroll
      for (int j = 0; j < MICRO; ++j) acc[i][j] = 0;

    for (i64 k0 = 0; k0 < K; k0 += TILE_K) {
      // Each of the 256 threads loads 4 elements of the 64x16 A tile and 4 of the 16x64 B tile.
#pragma unroll
      for (int l = 0; l < (TILE_M * TILE_K) / (THREADS_X * THREADS_Y); ++l) {
        int e = tid + l * THREADS_X * THREADS_Y;
        int m = e / TILE_K, k = e % TILE_K;
        i64 gm = row0 + m, gk = k0 + k;
        as[k][m] = (gm < M && gk < K) ? az[gm * a_sm + gk * a_sk] : (T)0;
        int kb = e / TILE_N, n = e % TILE_N;
        i64 gkb = k0 + kb, gn = col0 + n;
        bs[kb][n] = (gkb < K && gn < N) ? bz[gkb * b_sk + gn * b_sn] : (T)0;
      }
      __syncthreads();
#pragma unroll
      for (int k = 0; k < TILE_K; ++k) {
        T ar[MICRO], br[MICRO];
#pragma unroll
        for (int i = 0; i < MICRO; ++i) ar[i] = as[k][ty + i * THREADS_Y];
#pragma unroll
        for (int j = 0; j < MICRO; ++j) br[j] = bs[k][tx + j * THREADS_X];
#pragma unroll
        for (int i = 0; i < MICRO; ++i)
#pragma unroll
          for (int j = 0; j < MICRO; ++j) acc[i][j] += ar[i] * br[j];
      }
      __syncthreads();
    }
    // Thread (tx, ty) owns rows ty + 16 i and cols tx + 16 j, so a warp writes runs of 16
    // consecutive columns.
#pragma unroll
    for (int i = 0; i < MICRO; ++i) {
      i64 gm = row0 + ty + i * THREADS_Y;
#pragma unroll
      for (int j = 0; j < MICRO; ++j) {
        i64 gn = col0 + tx + j * THREADS_X;
        if (gm < M && gn < N) c[c_off + z * c_sb + gm * c_sm + gn * c_sn] = acc[i][j];
      }
    }
  }
}

#define EMBER_GEMM_ENTRY(T, S)                                                                  \
  extern "C" __global__ void __launch_bounds__(THREADS_X * THREADS_Y)                           \
      gemm_##S(i64 M, i64 N, i64 K, i64 batch, const T* a, i64 a_off, i64 a_sb, i64 a_sm,       \
               i64 a_sk, const T* b, i64 b_off, i64 b_sb, i64 b_sk, i64 b_sn, T* c, i64 c_off,  \
               i64 c_sb, i64 c_sm, i64 c_sn) {                                                  \
    gemm_kernel<T>(M, N, K, batch, a, a_off, a_sb, a_sm, a_sk, b, b_off, b_sb, b_sk, b_sn, c,   \
                   c_off, c_sb, c_sm, c_sn);                                                    \
  }

EMBER_FOR_EACH_FLOAT(EMBER_GEMM_ENTRY)
