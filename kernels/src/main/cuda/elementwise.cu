// Strided elementwise kernels: unary and binary ops, copy with dtype conversion, fill and where.
// One entry point per element type (suffix f32, f64, i64, i32, b8); the op is a run-time code,
// uniform across the launch, so the switch costs one well-predicted branch per element.
#include "ember.cuh"

// ---- unary ----------------------------------------------------------------------------------

__device__ __forceinline__ float unary_float(int op, float x) {
  switch (op) {
    case UNARY_NEG: return -x;
    case UNARY_ABS: return fabsf(x);
    case UNARY_SIGN: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);  // PyTorch's: 0 for -0.0 and NaN
    case UNARY_EXP: return expf(x);
    case UNARY_EXPM1: return expm1f(x);
    case UNARY_LOG: return logf(x);
    case UNARY_LOG1P: return log1pf(x);
    case UNARY_SQRT: return sqrtf(x);
    case UNARY_RSQRT: return 1.0f / sqrtf(x);
    case UNARY_RECIPROCAL: return 1.0f / x;
    case UNARY_SIN: return sinf(x);
    case UNARY_COS: return cosf(x);
    case UNARY_TANH: return tanhf(x);
    case UNARY_SIGMOID: {
      // Never exponentiate a large positive number: e^-|x| stays in (0, 1].
      float e = expf(-fabsf(x));
      return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
    }
    case UNARY_RELU: return x < 0.0f ? 0.0f : x;  // PyTorch's: -0.0 and NaN stay
    case UNARY_ERF: return erff(x);
    case UNARY_FLOOR: return floorf(x);
    case UNARY_CEIL: return ceilf(x);
    case UNARY_ROUND: return rintf(x);  // round half to even
    case UNARY_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case UNARY_GELU_GRAD:
      return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * expf(-0.5f * x * x) * 0.39894228040143268f;
    case UNARY_GELU_TANH: {
      float t = tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x));
      return 0.5f * x * (1.0f + t);
    }
    case UNARY_GELU_TANH_GRAD: {
      float t = tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x));
      return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * 0.79788456080286536f * (1.0f + 3.0f * 0.044715f * x * x);
    }
    default: return x;
  }
}

__device__ __forceinline__ double unary_double(int op, double x) {
  switch (op) {
    case UNARY_NEG: return -x;
    case UNARY_ABS: return fabs(x);
    case UNARY_SIGN: return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
    case UNARY_EXP: return exp(x);
    case UNARY_EXPM1: return expm1(x);
    case UNARY_LOG: return log(x);
    case UNARY_LOG1P: return log1p(x);
    case UNARY_SQRT: return sqrt(x);
    case UNARY_RSQRT: return 1.0 / sqrt(x);
    case UNARY_RECIPROCAL: return 1.0 / x;
    case UNARY_SIN: return sin(x);
    case UNARY_COS: return cos(x);
    case UNARY_TANH: return tanh(x);
    case UNARY_SIGMOID: {
      double e = exp(-fabs(x));
      return x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    }
    case UNARY_RELU: return x < 0.0 ? 0.0 : x;
    case UNARY_ERF: return erf(x);
    case UNARY_FLOOR: return floor(x);
    case UNARY_CEIL: return ceil(x);
    case UNARY_ROUND: return rint(x);
    case UNARY_GELU: return 0.5 * x * (1.0 + erf(x * 0.70710678118654752));
    case UNARY_GELU_GRAD:
      return 0.5 * (1.0 + erf(x * 0.70710678118654752)) + x * exp(-0.5 * x * x) * 0.39894228040143268;
    case UNARY_GELU_TANH: {
      double t = tanh(0.79788456080286536 * (x + 0.044715 * x * x * x));
      return 0.5 * x * (1.0 + t);
    }
    case UNARY_GELU_TANH_GRAD: {
      double t = tanh(0.79788456080286536 * (x + 0.044715 * x * x * x));
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.79788456080286536 * (1.0 + 3.0 * 0.044715 * x * x);
    }
    default: return x;
  }
}

template <typename T>
__device__ __forceinline__ T unary_apply(int op, T x) {
  // Integer and bool inputs: exact ops stay integral, the rest go through double.
  switch (op) {
    case UNARY_NEG: return (T)(-x);
    case UNARY_ABS: return x < 0 ? (T)(-x) : x;
    case UNARY_SIGN: return (T)((x > 0) - (x < 0));
    case UNARY_RELU: return x > 0 ? x : (T)0;
    case UNARY_FLOOR:
    case UNARY_CEIL:
    case UNARY_ROUND: return x;
    default: return (T)unary_double(op, (double)x);
  }
}
template <>
__device__ __forceinline__ uint8_t unary_apply<uint8_t>(int op, uint8_t x) {
  switch (op) {
    case UNARY_NEG:
    case UNARY_ABS:
    case UNARY_RELU:
    case UNARY_FLOOR:
    case UNARY_CEIL:
    case UNARY_ROUND: return x;
    case UNARY_SIGN: return x != 0;
    default: return convert<uint8_t>(unary_double(op, (double)x));
  }
}
template <>
__device__ __forceinline__ float unary_apply<float>(int op, float x) { return unary_float(op, x); }
template <>
__device__ __forceinline__ double unary_apply<double>(int op, double x) { return unary_double(op, x); }

// out = op(x); LOGICAL_NOT writes bool, every other op writes T.
template <typename T>
__device__ void unary_kernel(int op, Geometry<2> g, const T* __restrict__ x, void* __restrict__ out) {
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[2];
    offsets(g, i, off);  // operand 0 is out, operand 1 is x
    T v = x[off[1]];
    if (op == UNARY_LOGICAL_NOT) {
      ((uint8_t*)out)[off[0]] = (uint8_t)(v == (T)0);
    } else {
      ((T*)out)[off[0]] = convert<T>(unary_apply<T>(op, v));
    }
  }
}

// ---- binary ---------------------------------------------------------------------------------

template <typename T>
__device__ __forceinline__ T int_pow(T base, T exp) {
  if (exp < 0) {
    // Only 1 and -1 have integral reciprocals; everything else truncates to 0.
    if (base == 1) return 1;
    if (base == (T)-1) return (exp & 1) ? (T)-1 : (T)1;
    return 0;
  }
  T result = 1;
  while (exp > 0) {
    if (exp & 1) result *= base;
    base *= base;
    exp >>= 1;
  }
  return result;
}

template <typename T>
__device__ __forceinline__ T arith(int op, T a, T b) {
  switch (op) {
    case BINARY_ADD: return a + b;
    case BINARY_SUB: return a - b;
    case BINARY_MUL: return a * b;
    case BINARY_DIV: return b == 0 ? (T)0 : (T)(a / b);  // integer division by zero: 0, not a trap
    case BINARY_POW: return int_pow<T>(a, b);
    case BINARY_MAXIMUM: return a > b ? a : b;
    case BINARY_MINIMUM: return a < b ? a : b;
    case BINARY_FMOD: return b == 0 ? (T)0 : (T)(a % b);
    default: return 0;
  }
}
template <>
__device__ __forceinline__ uint8_t arith<uint8_t>(int op, uint8_t a, uint8_t b) {
  // bool arithmetic as PyTorch: add is or, mul is and, max/min likewise.
  switch (op) {
    case BINARY_ADD: case BINARY_MAXIMUM: return (a | b) != 0;
    case BINARY_MUL: case BINARY_MINIMUM: return (a & b) != 0;
    case BINARY_SUB: return (a ^ b) != 0;
    case BINARY_DIV: return b == 0 ? 0 : (a != 0);
    case BINARY_POW: return b == 0 ? 1 : (a != 0);
    default: return 0;
  }
}
template <>
__device__ __forceinline__ float arith<float>(int op, float a, float b) {
  switch (op) {
    case BINARY_ADD: return a + b;
    case BINARY_SUB: return a - b;
    case BINARY_MUL: return a * b;
    case BINARY_DIV: return a / b;
    case BINARY_POW: return powf(a, b);
    case BINARY_MAXIMUM: return nan_max(a, b);
    case BINARY_MINIMUM: return nan_min(a, b);
    case BINARY_FMOD: return fmodf(a, b);
    default: return 0.0f;
  }
}
template <>
__device__ __forceinline__ double arith<double>(int op, double a, double b) {
  switch (op) {
    case BINARY_ADD: return a + b;
    case BINARY_SUB: return a - b;
    case BINARY_MUL: return a * b;
    case BINARY_DIV: return a / b;
    case BINARY_POW: return pow(a, b);
    case BINARY_MAXIMUM: return nan_max(a, b);
    case BINARY_MINIMUM: return nan_min(a, b);
    case BINARY_FMOD: return fmod(a, b);
    default: return 0.0;
  }
}

template <typename T>
__device__ __forceinline__ bool predicate(int op, T a, T b) {
  switch (op) {
    case BINARY_EQ: return a == b;
    case BINARY_NE: return a != b;
    case BINARY_LT: return a < b;
    case BINARY_LE: return a <= b;
    case BINARY_GT: return a > b;
    case BINARY_GE: return a >= b;
    case BINARY_LOGICAL_AND: return (a != (T)0) && (b != (T)0);
    case BINARY_LOGICAL_OR: return (a != (T)0) || (b != (T)0);
    case BINARY_LOGICAL_XOR: return (a != (T)0) != (b != (T)0);
    default: return false;
  }
}

// out = op(a, b); comparisons and logical ops write bool, the rest write T.
template <typename T>
__device__ void binary_kernel(int op, Geometry<3> g, const T* __restrict__ a, const T* __restrict__ b,
                              void* __restrict__ out) {
  bool pred = op >= BINARY_EQ && op <= BINARY_LOGICAL_XOR;
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[3];
    offsets(g, i, off);  // out, a, b
    T x = a[off[1]];
    T y = b[off[2]];
    if (pred) {
      ((uint8_t*)out)[off[0]] = (uint8_t)predicate<T>(op, x, y);
    } else {
      ((T*)out)[off[0]] = arith<T>(op, x, y);
    }
  }
}

// ---- fill and where -------------------------------------------------------------------------

template <typename T>
__device__ void fill_kernel(Geometry<1> g, double value, T* __restrict__ out) {
  T v = convert<T>(value);
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[1];
    offsets(g, i, off);
    out[off[0]] = v;
  }
}

template <typename T>
__device__ void where_kernel(Geometry<4> g, const uint8_t* __restrict__ cond, const T* __restrict__ a,
                             const T* __restrict__ b, T* __restrict__ out) {
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[4];
    offsets(g, i, off);  // out, cond, a, b
    out[off[0]] = cond[off[1]] ? a[off[2]] : b[off[3]];
  }
}

#define EMBER_ELEMENTWISE_ENTRIES(T, S)                                                         \
  extern "C" __global__ void unary_##S(int op, Geometry<2> g, const T* x, void* out) {          \
    unary_kernel<T>(op, g, x, out);                                                             \
  }                                                                                             \
  extern "C" __global__ void binary_##S(int op, Geometry<3> g, const T* a, const T* b, void* out) { \
    binary_kernel<T>(op, g, a, b, out);                                                         \
  }                                                                                             \
  extern "C" __global__ void fill_##S(Geometry<1> g, double value, T* out) {                    \
    fill_kernel<T>(g, value, out);                                                              \
  }                                                                                             \
  extern "C" __global__ void where_##S(Geometry<4> g, const uint8_t* cond, const T* a, const T* b, \
                                       T* out) {                                                \
    where_kernel<T>(g, cond, a, b, out);                                                        \
  }

EMBER_FOR_EACH_DTYPE(EMBER_ELEMENTWISE_ENTRIES)

// ---- copy with conversion -------------------------------------------------------------------

template <typename S, typename D>
__device__ void copy_kernel(Geometry<2> g, const S* __restrict__ src, D* __restrict__ out) {
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[2];
    offsets(g, i, off);  // out, src
    out[off[0]] = convert<D>(src[off[1]]);
  }
}

#define EMBER_COPY_ENTRY(S, SN, D, DN)                                                \
  extern "C" __global__ void copy_##SN##_##DN(Geometry<2> g, const S* src, D* out) {  \
    copy_kernel<S, D>(g, src, out);                                                   \
  }
#define EMBER_COPY_FROM(S, SN)         \
  EMBER_COPY_ENTRY(S, SN, float, f32)  \
  EMBER_COPY_ENTRY(S, SN, double, f64) \
  EMBER_COPY_ENTRY(S, SN, i64, i64)    \
  EMBER_COPY_ENTRY(S, SN, int, i32)    \
  EMBER_COPY_ENTRY(S, SN, uint8_t, b8) \
  EMBER_COPY_ENTRY(S, SN, f16, f16)    \
  EMBER_COPY_ENTRY(S, SN, bf16, bf16)

EMBER_FOR_EACH_DTYPE(EMBER_COPY_FROM)
EMBER_FOR_EACH_HALF(EMBER_COPY_FROM)

// ---- fill of the storage-only 16-bit floats ---------------------------------------------------

#define EMBER_HALF_FILL_ENTRY(T, S)                                  \
  extern "C" __global__ void fill_##S(Geometry<1> g, double value, T* out) { \
    fill_kernel<T>(g, value, out);                                   \
  }

EMBER_FOR_EACH_HALF(EMBER_HALF_FILL_ENTRY)
