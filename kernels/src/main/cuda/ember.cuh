// Shared definitions for Ember's CUDA kernels: element types, operand geometry and op codes.
//
// Every elementwise kernel walks the row-major order of one shape and addresses each operand through
// its own strides (0 on broadcast dims), so one kernel serves contiguous, transposed and broadcast
// views alike. The host coalesces dims first, so most launches see rank 1 and take the fast path.
#pragma once

#include <stdint.h>

typedef long long i64;
typedef unsigned long long u64;

#define EMBER_MAX_DIMS 8

// Op codes. dev.ember.kernels.OpCodes mirrors these numbers; a test in the kernels module checks
// that both lists agree.
#define UNARY_NEG 0
#define UNARY_ABS 1
#define UNARY_SIGN 2
#define UNARY_EXP 3
#define UNARY_EXPM1 4
#define UNARY_LOG 5
#define UNARY_LOG1P 6
#define UNARY_SQRT 7
#define UNARY_RSQRT 8
#define UNARY_RECIPROCAL 9
#define UNARY_SIN 10
#define UNARY_COS 11
#define UNARY_TANH 12
#define UNARY_SIGMOID 13
#define UNARY_RELU 14
#define UNARY_ERF 15
#define UNARY_FLOOR 16
#define UNARY_CEIL 17
#define UNARY_ROUND 18
#define UNARY_LOGICAL_NOT 19
#define UNARY_GELU 20
#define UNARY_GELU_GRAD 21
#define UNARY_GELU_TANH 22
#define UNARY_GELU_TANH_GRAD 23

#define BINARY_ADD 0
#define BINARY_SUB 1
#define BINARY_MUL 2
#define BINARY_DIV 3
#define BINARY_POW 4
#define BINARY_MAXIMUM 5
#define BINARY_MINIMUM 6
#define BINARY_EQ 7
#define BINARY_NE 8
#define BINARY_LT 9
#define BINARY_LE 10
#define BINARY_GT 11
#define BINARY_GE 12
#define BINARY_LOGICAL_AND 13
#define BINARY_LOGICAL_OR 14
#define BINARY_LOGICAL_XOR 15
#define BINARY_FMOD 16

#define REDUCE_SUM 0
#define REDUCE_PROD 1
#define REDUCE_MAX 2
#define REDUCE_MIN 3
#define REDUCE_ARGMAX 4
#define REDUCE_ARGMIN 5

// The shape walked by a launch and, for each of N operands, its offset and strides in elements.
// Passed by value; the host packs it as 2 + 8 + 9 * N longs in exactly this order:
// rank, numel, shape[8], offset[N], strides[N][8].
template <int N>
struct Geometry {
  i64 rank;
  i64 numel;
  i64 shape[EMBER_MAX_DIMS];
  i64 offset[N];
  i64 strides[N][EMBER_MAX_DIMS];
};

// Writes into off[k] the element offset of operand k for row-major position i of g's shape.
// Loops are unrolled over the fixed maximum rank so that every index into g is a constant and the
// struct stays in parameter space instead of being copied to local memory.
template <int N>
__device__ __forceinline__ void offsets(const Geometry<N>& g, i64 i, i64* off) {
#pragma unroll
  for (int k = 0; k < N; ++k) {
    off[k] = g.offset[k];
  }
  if (g.rank == 1) {
#pragma unroll
    for (int k = 0; k < N; ++k) {
      off[k] += i * g.strides[k][0];
    }
    return;
  }
#pragma unroll
  for (int d = EMBER_MAX_DIMS - 1; d >= 0; --d) {
    if (d < g.rank) {
      i64 size = g.shape[d];
      i64 c = i % size;
      i /= size;
#pragma unroll
      for (int k = 0; k < N; ++k) {
        off[k] += c * g.strides[k][d];
      }
    }
  }
}

// A grid-stride loop over [0, n) with 64-bit indices.
#define EMBER_GRID_LOOP(i, n) \
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

// Conversion between element types; bool is stored as one byte holding 0 or 1.
template <typename D, typename S>
__device__ __forceinline__ D convert(S s) {
  return (D)s;
}
template <>
__device__ __forceinline__ uint8_t convert<uint8_t, float>(float s) { return s != 0.0f; }
template <>
__device__ __forceinline__ uint8_t convert<uint8_t, double>(double s) { return s != 0.0; }
template <>
__device__ __forceinline__ uint8_t convert<uint8_t, i64>(i64 s) { return s != 0; }
template <>
__device__ __forceinline__ uint8_t convert<uint8_t, int>(int s) { return s != 0; }
template <>
__device__ __forceinline__ uint8_t convert<uint8_t, uint8_t>(uint8_t s) { return s != 0; }

// float16 and bfloat16 are stored as their 16-bit patterns and exist only for storage: copy (to and
// from every type, through float32) and fill. Arithmetic on them runs in float32 on the host side's
// HalfWidening. The roundings match dev.ember.backend.cpu.HalfFloats (and PyTorch's c10::Half and
// c10::BFloat16) bit for bit: nearest, ties to even; float16 overflows to inf from 65520 and writes
// NaN as 0x7e00 with its sign; bfloat16 writes NaN as 0x7fc0.
__device__ __forceinline__ unsigned short ember_float_to_half(float f) {
  unsigned int bits = __float_as_uint(f);
  unsigned int sign = (bits >> 16) & 0x8000u;
  unsigned int a = bits & 0x7fffffffu;
  if (a > 0x7f800000u) return (unsigned short)(sign | 0x7e00u);
  if (a >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);
  if (a < 0x38800000u) {
    // subnormal or zero: the value in units of 2^-24, rounded half to even (exact in double)
    return (unsigned short)(sign | (unsigned int)rint(fabs((double)f) * 16777216.0));
  }
  unsigned int h = (((a >> 23) - 112u) << 10) | ((a >> 13) & 0x3ffu);
  unsigned int rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
  return (unsigned short)(sign | h);
}

__device__ __forceinline__ float ember_half_to_float(unsigned short h) {
  unsigned int sign = ((unsigned int)h & 0x8000u) << 16;
  unsigned int exp = (h >> 10) & 0x1fu;
  unsigned int mant = h & 0x3ffu;
  if (exp == 0x1fu) return __uint_as_float(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    float v = (float)mant * 5.9604644775390625e-8f;  // 2^-24
    return sign ? -v : v;
  }
  return __uint_as_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

__device__ __forceinline__ unsigned short ember_float_to_bfloat16(float f) {
  unsigned int bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return 0x7fc0u;
  return (unsigned short)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

// A 16-bit float in storage. Converting from any type goes through float32 (as c10::Half(float));
// converting to any type goes from float32.
struct f16 {
  unsigned short bits;
  f16() = default;
  template <typename T>
  __device__ explicit f16(T v) : bits(ember_float_to_half((float)v)) {}
  __device__ operator float() const { return ember_half_to_float(bits); }
};

struct bf16 {
  unsigned short bits;
  bf16() = default;
  template <typename T>
  __device__ explicit bf16(T v) : bits(ember_float_to_bfloat16((float)v)) {}
  __device__ operator float() const { return __uint_as_float((unsigned int)bits << 16); }
};

template <>
__device__ __forceinline__ uint8_t convert<uint8_t, f16>(f16 s) { return (float)s != 0.0f; }
template <>
__device__ __forceinline__ uint8_t convert<uint8_t, bf16>(bf16 s) { return (float)s != 0.0f; }
template <>
__device__ __forceinline__ f16 convert<f16, bf16>(bf16 s) { return f16((float)s); }
template <>
__device__ __forceinline__ bf16 convert<bf16, f16>(f16 s) { return bf16((float)s); }
template <>
__device__ __forceinline__ i64 convert<i64, f16>(f16 s) { return (i64)(float)s; }
template <>
__device__ __forceinline__ i64 convert<i64, bf16>(bf16 s) { return (i64)(float)s; }
template <>
__device__ __forceinline__ int convert<int, f16>(f16 s) { return (int)(float)s; }
template <>
__device__ __forceinline__ int convert<int, bf16>(bf16 s) { return (int)(float)s; }
template <>
__device__ __forceinline__ double convert<double, f16>(f16 s) { return (double)(float)s; }
template <>
__device__ __forceinline__ double convert<double, bf16>(bf16 s) { return (double)(float)s; }

template <typename T>
__device__ __forceinline__ bool is_nan(T x) { return x != x; }

// max and min that propagate NaN, as torch.maximum and torch.minimum do.
template <typename T>
__device__ __forceinline__ T nan_max(T a, T b) { return (a > b || is_nan(a)) ? a : b; }
template <typename T>
__device__ __forceinline__ T nan_min(T a, T b) { return (a < b || is_nan(a)) ? a : b; }

// The type reductions and scans accumulate in: double for floating types, int64 for the rest.
template <typename T> struct Acc { typedef i64 type; };
template <> struct Acc<float> { typedef double type; };
template <> struct Acc<double> { typedef double type; };

// Instantiates a macro once per element type with its name suffix.
#define EMBER_FOR_EACH_DTYPE(M) \
  M(float, f32)                 \
  M(double, f64)                \
  M(i64, i64)                   \
  M(int, i32)                   \
  M(uint8_t, b8)

// The storage-only 16-bit floats (copy and fill only).
#define EMBER_FOR_EACH_HALF(M) \
  M(f16, f16)                  \
  M(bf16, bf16)

#define EMBER_FOR_EACH_FLOAT(M) \
  M(float, f32)                 \
  M(double, f64)
