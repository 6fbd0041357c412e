// Reductions over the dims an output marks with size 1, and the inclusive cumulative sum.
//
// reduce_*: one block per output element (grid-stride over outputs). `outer` walks the output's
// shape with operands (out, x); `inner` walks the reduced dims with the single operand x, so
// x's element is outer offset + inner offset. Threads of a block stride over the reduced elements,
// then combine in shared memory. blockDim.x must be a power of two no larger than 256.
#include "ember.cuh"

#define REDUCE_THREADS 256

template <typename T>
__device__ __forceinline__ T lowest() { return (T)(-INFINITY); }
template <> __device__ __forceinline__ i64 lowest<i64>() { return (i64)0x8000000000000000ULL; }
template <> __device__ __forceinline__ int lowest<int>() { return (int)0x80000000; }
template <> __device__ __forceinline__ uint8_t lowest<uint8_t>() { return 0; }

template <typename T>
__device__ __forceinline__ T highest() { return (T)INFINITY; }
template <> __device__ __forceinline__ i64 highest<i64>() { return (i64)0x7fffffffffffffffULL; }
template <> __device__ __forceinline__ int highest<int>() { return 0x7fffffff; }
template <> __device__ __forceinline__ uint8_t highest<uint8_t>() { return 1; }

// Folds b into a for SUM, PROD, MAX or MIN.
template <typename A>
__device__ __forceinline__ A combine(int op, A a, A b) {
  switch (op) {
    case REDUCE_SUM: return a + b;
    case REDUCE_PROD: return a * b;
    case REDUCE_MAX: return nan_max(a, b);
    default: return nan_min(a, b);
  }
}

// Whether (vb, ib) beats (va, ia) for ARGMAX (max) or ARGMIN: NaN wins as in PyTorch, ties go to
// the lower index.
template <typename T>
__device__ __forceinline__ bool better(bool max, T va, i64 ia, T vb, i64 ib) {
  if (ib < 0) return false;
  if (ia < 0) return true;
  bool na = is_nan(va), nb = is_nan(vb);
  if (na || nb) return nb && (!na || ib < ia);
  if (vb == va) return ib < ia;
  return max ? vb > va : vb < va;
}

template <typename T>
__device__ void reduce_kernel(int op, Geometry<2> outer, Geometry<1> inner, const T* __restrict__ x,
                              void* __restrict__ out) {
  typedef typename Acc<T>::type A;
  __shared__ A acc_s[REDUCE_THREADS];
  __shared__ T val_s[REDUCE_THREADS];
  __shared__ i64 idx_s[REDUCE_THREADS];
  const bool arg = op == REDUCE_ARGMAX || op == REDUCE_ARGMIN;
  const bool max = op == REDUCE_ARGMAX;
  for (i64 o = blockIdx.x; o < outer.numel; o += gridDim.x) {
    i64 ooff[2];
    offsets(outer, o, ooff);  // out, x
    if (arg) {
      T best = 0;
      i64 besti = -1;
      for (i64 r = threadIdx.x; r < inner.numel; r += blockDim.x) {
        i64 ioff[1];
        offsets(inner, r, ioff);
        T v = x[ooff[1] + ioff[0]];
        if (better<T>(max, best, besti, v, r)) {
          best = v;
          besti = r;
        }
      }
      val_s[threadIdx.x] = best;
      idx_s[threadIdx.x] = besti;
      __syncthreads();
      for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s &&
            better<T>(max, val_s[threadIdx.x], idx_s[threadIdx.x], val_s[threadIdx.x + s],
                      idx_s[threadIdx.x + s])) {
          val_s[threadIdx.x] = val_s[threadIdx.x + s];
          idx_s[threadIdx.x] = idx_s[threadIdx.x + s];
        }
        __syncthreads();
      }
      if (threadIdx.x == 0) {
        ((i64*)out)[ooff[0]] = idx_s[0] < 0 ? 0 : idx_s[0];
      }
    } else {
      A a;
      switch (op) {
        case REDUCE_SUM: a = (A)0; break;
        case REDUCE_PROD: a = (A)1; break;
        case REDUCE_MAX: a = (A)lowest<T>(); break;
        default: a = (A)highest<T>(); break;
      }
      for (i64 r = threadIdx.x; r < inner.numel; r += blockDim.x) {
        i64 ioff[1];
        offsets(inner, r, ioff);
        a = combine<A>(op, a, (A)x[ooff[1] + ioff[0]]);
      }
      acc_s[threadIdx.x] = a;
      __syncthreads();
      for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
          acc_s[threadIdx.x] = combine<A>(op, acc_s[threadIdx.x], acc_s[threadIdx.x + s]);
        }
        __syncthreads();
      }
      if (threadIdx.x == 0) {
        ((T*)out)[ooff[0]] = convert<T>(acc_s[0]);
      }
    }
    __syncthreads();  // shared memory is reused by the next output
  }
}

// One thread per line: `lines` walks every position with the scanned dim's size set to 1, with
// operands (out, x); the scan then steps len times by the two dim strides.
template <typename T>
__device__ void cumsum_kernel(Geometry<2> lines, i64 len, i64 out_stride, i64 x_stride,
                              const T* __restrict__ x, T* __restrict__ out) {
  typedef typename Acc<T>::type A;
  EMBER_GRID_LOOP(l, lines.numel) {
    i64 off[2];
    offsets(lines, l, off);
    A a = 0;
    for (i64 j = 0; j < len; ++j) {
      a += (A)x[off[1] + j * x_stride];
      out[off[0] + j * out_stride] = convert<T>(a);
    }
  }
}

#define EMBER_REDUCE_ENTRIES(T, S)                                                               \
  extern "C" __global__ void __launch_bounds__(REDUCE_THREADS)                                   \
      reduce_##S(int op, Geometry<2> outer, Geometry<1> inner, const T* x, void* out) {          \
    reduce_kernel<T>(op, outer, inner, x, out);                                                  \
  }                                                                                              \
  extern "C" __global__ void cumsum_##S(Geometry<2> lines, i64 len, i64 out_stride, i64 x_stride, \
                                        const T* x, T* out) {                                    \
    cumsum_kernel<T>(lines, len, out_stride, x_stride, x, out);                                  \
  }

EMBER_FOR_EACH_DTYPE(EMBER_REDUCE_ENTRIES)
