// gather and scatterAdd along one dim.
//
// Both walk the shape of the index tensor (gather: out's shape; scatterAdd: src's shape). The
// operand addressed through the index (gather: x; scatterAdd: out) is passed with its stride on
// that dim set to 0, and the kernel adds index * dim_stride.
#include "ember.cuh"

template <typename T>
__device__ void gather_kernel(Geometry<3> g, i64 dim_stride, const T* __restrict__ x,
                              const i64* __restrict__ index, T* __restrict__ out) {
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[3];
    offsets(g, i, off);  // out, index, x
    out[off[0]] = x[off[2] + index[off[1]] * dim_stride];
  }
}

// atomicAdd for every element type. float64 needs sm_60; int64 adds as unsigned, which wraps the
// same way two's complement does.
__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int* p, int v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(i64* p, i64 v) {
  atomicAdd((u64*)p, (u64)v);
}
// bool: adding true sets the byte (logical or), done on the aligned 32-bit word that holds it.
__device__ __forceinline__ void atomic_add(uint8_t* p, uint8_t v) {
  if (v) {
    size_t addr = (size_t)p;
    unsigned* word = (unsigned*)(addr & ~(size_t)3);
    atomicOr(word, 1u << (8 * (addr & 3)));
  }
}

template <typename T>
__device__ void scatter_add_kernel(Geometry<3> g, i64 dim_stride, const T* __restrict__ src,
                                   const i64* __restrict__ index, T* out) {
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[3];
    offsets(g, i, off);  // src, index, out
    atomic_add(out + off[2] + index[off[1]] * dim_stride, src[off[0]]);
  }
}

#define EMBER_INDEX_ENTRIES(T, S)                                                              \
  extern "C" __global__ void gather_##S(Geometry<3> g, i64 dim_stride, const T* x,             \
                                        const i64* index, T* out) {                            \
    gather_kernel<T>(g, dim_stride, x, index, out);                                            \
  }                                                                                            \
  extern "C" __global__ void scatter_add_##S(Geometry<3> g, i64 dim_stride, const T* src,      \
                                             const i64* index, T* out) {                       \
    scatter_add_kernel<T>(g, dim_stride, src, index, out);                                     \
  }

EMBER_FOR_EACH_DTYPE(EMBER_INDEX_ENTRIES)
