// Uniform [0, 1) fill from Philox 4x32-10, bit for bit the same as dev.ember.internal.Philox:
// element i of out's row-major order uses counter offset + i (low word c0, high word c1, c2 = c3 =
// 0) and key (seed low, seed high). float32 takes the top 24 bits of output word 0; float64 joins
// the top 32 bits of word 0 and the top 21 of word 1 into 53 bits.
#include "ember.cuh"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

__host__ __device__ __forceinline__ unsigned mulhi32(unsigned a, unsigned b) {
  return (unsigned)(((u64)a * b) >> 32);  // compiles to mul.hi.u32 on the device
}

// Returns output words 0 and 1 for one counter and key. Host-callable so the generator can be
// checked against the Java reference without a GPU.
__host__ __device__ __forceinline__ uint2 philox_two_words(u64 seed, u64 counter) {
  unsigned c0 = (unsigned)counter, c1 = (unsigned)(counter >> 32), c2 = 0, c3 = 0;
  unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    unsigned hi0 = mulhi32(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
    unsigned hi1 = mulhi32(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
    unsigned n0 = hi1 ^ c1 ^ k0;
    unsigned n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  return make_uint2(c0, c1);
}

extern "C" __global__ void uniform_f32(Geometry<1> g, u64 seed, u64 offset, float* out) {
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[1];
    offsets(g, i, off);
    uint2 w = philox_two_words(seed, offset + (u64)i);
    out[off[0]] = (float)(w.x >> 8) * 0x1.0p-24f;
  }
}

extern "C" __global__ void uniform_f64(Geometry<1> g, u64 seed, u64 offset, double* out) {
  EMBER_GRID_LOOP(i, g.numel) {
    i64 off[1];
    offsets(g, i, off);
    uint2 w = philox_two_words(seed, offset + (u64)i);
    u64 bits53 = ((u64)w.x << 21) | (u64)(w.y >> 11);
    out[off[0]] = (double)bits53 * 0x1.0p-53;
  }
}
