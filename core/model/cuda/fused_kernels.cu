// The fused kernels of fused_kernels.h. Arithmetic in fp32, loads and stores in the activation dtype,
// 16-byte vector accesses where the row width and the pointers allow.
#include "core/model/cuda/fused_kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <type_traits>

namespace icsweep::cuda_kernels {
namespace {

template <typename T>
struct Num;
template <>
struct Num<float> {
  static __device__ __forceinline__ float load(float v) { return v; }
  static __device__ __forceinline__ float store(float v) { return v; }
};
template <>
struct Num<__nv_bfloat16> {
  static __device__ __forceinline__ float load(__nv_bfloat16 v) { return __bfloat162float(v); }
  static __device__ __forceinline__ __nv_bfloat16 store(float v) { return __float2bfloat16_rn(v); }
};
template <>
struct Num<__half> {
  static __device__ __forceinline__ float load(__half v) { return __half2float(v); }
  static __device__ __forceinline__ __half store(float v) { return __float2half_rn(v); }
};

// v as eager torch would store it in T and read it back.
template <typename T>
__device__ __forceinline__ float round_to(float v) {
  return Num<T>::load(Num<T>::store(v));
}

// One rotary output element: round(round(x * c) + round(other * s)), with other = -x2 or x1. The _rn
// intrinsics forbid a fused multiply-add, so each product is rounded as eager torch rounds it (fp32 too).
template <typename T>
__device__ __forceinline__ float rotate(float x, float other, float c, float s) {
  return __fadd_rn(round_to<T>(__fmul_rn(x, c)), round_to<T>(__fmul_rn(other, s)));
}

// N consecutive elements moved as one access (N * sizeof(T) = 16 bytes, or N = 1).
template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

template <typename T>
constexpr int kVector = 16 / sizeof(T);

bool aligned(const void* p) { return p == nullptr || reinterpret_cast<uintptr_t>(p) % 16 == 0; }

const char* launch_status() {
  const cudaError_t error = cudaGetLastError();
  return error == cudaSuccess ? nullptr : cudaGetErrorString(error);
}

int threads_for(int64_t work) {
  const int64_t rounded = (work + 31) / 32 * 32;
  return static_cast<int>(rounded < 32 ? 32 : rounded > 512 ? 512 : rounded);
}

// Threads for `work` items a block loops over: as few rounds as with threads_for, the items spread
// evenly over them (a row of 1120 packs: 3 rounds of 384 threads, not 2 full rounds of 512 and a
// third of 96, which leaves most of the block idle while that third round waits on memory).
int balanced_threads_for(int64_t work) {
  const int64_t rounds = (work + 511) / 512;
  return threads_for((work + rounds - 1) / rounds);
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ float block_sum(float v) {
  __shared__ float partial[32];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // `partial` may still be read by a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : 0.0f;
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// ---- RMSNorm (+ residual add) ----

template <typename T, int N>
__global__ void rms_norm_kernel(const T* x, const T* residual, T* sum_out, const T* weight, T* out, int64_t width,
                                float eps) {
  using P = Pack<T, N>;
  const int64_t offset = static_cast<int64_t>(blockIdx.x) * width;
  const int64_t packs = width / N;
  const P* src = reinterpret_cast<const P*>(x + offset);
  float squares = 0.0f;
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    P a = src[p];
    if (residual != nullptr) {
      const P r = reinterpret_cast<const P*>(residual + offset)[p];
#pragma unroll
      for (int i = 0; i < N; ++i) a.v[i] = Num<T>::store(Num<T>::load(a.v[i]) + Num<T>::load(r.v[i]));
      reinterpret_cast<P*>(sum_out + offset)[p] = a;
    }
#pragma unroll
    for (int i = 0; i < N; ++i) {
      const float f = Num<T>::load(a.v[i]);
      squares += f * f;
    }
  }
  const float inv = rsqrtf(block_sum(squares) / static_cast<float>(width) + eps);
  if (residual != nullptr) src = reinterpret_cast<const P*>(sum_out + offset);  // this thread's own writes
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    const P a = src[p], w = reinterpret_cast<const P*>(weight)[p];
    P o;
#pragma unroll
    for (int i = 0; i < N; ++i)
      o.v[i] = Num<T>::store(Num<T>::load(w.v[i]) * round_to<T>(Num<T>::load(a.v[i]) * inv));
    reinterpret_cast<P*>(out + offset)[p] = o;
  }
}

template <typename T>
const char* rms_norm_typed(const void* x, const void* residual, void* sum_out, const void* weight, void* out,
                           int64_t rows, int64_t width, float eps, cudaStream_t stream) {
  if (rows == 0) return nullptr;
  const bool vector = width % kVector<T> == 0 && aligned(x) && aligned(residual) && aligned(sum_out) &&
                      aligned(weight) && aligned(out);
  const auto* xt = static_cast<const T*>(x);
  const auto* rt = static_cast<const T*>(residual);
  const auto* wt = static_cast<const T*>(weight);
  auto* st = static_cast<T*>(sum_out);
  auto* ot = static_cast<T*>(out);
  if (vector)
    rms_norm_kernel<T, kVector<T>><<<rows, threads_for(width / kVector<T>), 0, stream>>>(xt, rt, st, wt, ot, width, eps);
  else
    rms_norm_kernel<T, 1><<<rows, threads_for(width), 0, stream>>>(xt, rt, st, wt, ot, width, eps);
  return launch_status();
}

// ---- rotary embedding ----

// grid: (ceil(T * Dh / blockDim), B * H); one thread per output element.
template <typename T>
__global__ void rotary_kernel(const T* x, int64_t sb, int64_t sh, int64_t st, const T* cos, const T* sin, T* out,
                              int64_t ob, int64_t oh, int64_t ot, int heads, int t_len, int dh, int rotary) {
  const int index = blockIdx.x * blockDim.x + threadIdx.x;  // t * Dh + e
  if (index >= t_len * dh) return;
  const int t = index / dh, e = index % dh;
  const int b = blockIdx.y / heads, h = blockIdx.y % heads;
  const T* row = x + b * sb + h * sh + t * st;
  float v = Num<T>::load(row[e]);
  if (e < rotary) {
    const int half = rotary / 2;
    const float other = e < half ? -Num<T>::load(row[e + half]) : Num<T>::load(row[e - half]);
    const float c = Num<T>::load(cos[t * rotary + e]), s = Num<T>::load(sin[t * rotary + e]);
    v = rotate<T>(v, other, c, s);
  }
  out[b * ob + h * oh + t * ot + e] = Num<T>::store(v);
}

// The same with 16-byte accesses: one thread per N-element pack of the first rotating half (and its
// partner pack in the second half), or per pack of the passed-through tail.
template <typename T, int N>
__global__ void rotary_vector_kernel(const T* x, int64_t sb, int64_t sh, int64_t st, const T* cos, const T* sin,
                                     T* out, int64_t ob, int64_t oh, int64_t ot, int heads, int t_len, int dh,
                                     int rotary) {
  using P = Pack<T, N>;
  const int half = rotary / 2, rotating = half / N, per_row = rotating + (dh - rotary) / N;
  const int index = blockIdx.x * blockDim.x + threadIdx.x;  // t * per_row + p
  if (index >= t_len * per_row) return;
  const int t = index / per_row, p = index % per_row;
  const int b = blockIdx.y / heads, h = blockIdx.y % heads;
  const T* row = x + b * sb + h * sh + t * st;
  T* out_row = out + b * ob + h * oh + t * ot;
  if (p >= rotating) {
    const int e = rotary + (p - rotating) * N;
    *reinterpret_cast<P*>(out_row + e) = *reinterpret_cast<const P*>(row + e);
    return;
  }
  const int e = p * N;
  const P x1 = *reinterpret_cast<const P*>(row + e), x2 = *reinterpret_cast<const P*>(row + e + half);
  const P c1 = *reinterpret_cast<const P*>(cos + t * rotary + e), c2 = *reinterpret_cast<const P*>(cos + t * rotary + e + half);
  const P s1 = *reinterpret_cast<const P*>(sin + t * rotary + e), s2 = *reinterpret_cast<const P*>(sin + t * rotary + e + half);
  P o1, o2;
#pragma unroll
  for (int i = 0; i < N; ++i) {
    const float a = Num<T>::load(x1.v[i]), z = Num<T>::load(x2.v[i]);
    o1.v[i] = Num<T>::store(rotate<T>(a, -z, Num<T>::load(c1.v[i]), Num<T>::load(s1.v[i])));
    o2.v[i] = Num<T>::store(rotate<T>(z, a, Num<T>::load(c2.v[i]), Num<T>::load(s2.v[i])));
  }
  *reinterpret_cast<P*>(out_row + e) = o1;
  *reinterpret_cast<P*>(out_row + e + half) = o2;
}

template <typename T>
const char* rotary_typed(const void* x, int64_t sb, int64_t sh, int64_t st, const void* cos, const void* sin,
                         void* out, int64_t ob, int64_t oh, int64_t ot, int64_t b, int64_t h, int64_t t, int64_t dh,
                         int64_t rotary, cudaStream_t stream) {
  if (b * h * t * dh == 0) return nullptr;
  const int threads = 256;
  constexpr int n = kVector<T>;
  if ((rotary / 2) % n == 0 && (dh - rotary) % n == 0 && sb % n == 0 && sh % n == 0 && st % n == 0 && ob % n == 0 &&
      oh % n == 0 && ot % n == 0 && aligned(x) && aligned(cos) && aligned(sin) && aligned(out)) {
    const int64_t per_row = rotary / 2 / n + (dh - rotary) / n;
    const dim3 grid(static_cast<unsigned>((t * per_row + threads - 1) / threads), static_cast<unsigned>(b * h));
    rotary_vector_kernel<T, n><<<grid, threads, 0, stream>>>(
        static_cast<const T*>(x), sb, sh, st, static_cast<const T*>(cos), static_cast<const T*>(sin),
        static_cast<T*>(out), ob, oh, ot, static_cast<int>(h), static_cast<int>(t), static_cast<int>(dh),
        static_cast<int>(rotary));
    return launch_status();
  }
  const dim3 grid(static_cast<unsigned>((t * dh + threads - 1) / threads), static_cast<unsigned>(b * h));
  rotary_kernel<T><<<grid, threads, 0, stream>>>(static_cast<const T*>(x), sb, sh, st, static_cast<const T*>(cos),
                                                 static_cast<const T*>(sin), static_cast<T*>(out), ob, oh, ot,
                                                 static_cast<int>(h), static_cast<int>(t), static_cast<int>(dh),
                                                 static_cast<int>(rotary));
  return launch_status();
}

// ---- SiLU-gated product ----

// silu(a) = a / (1 + e^-a) in fp32. For a 16-bit T, whose rounding hides the last fp32 bits, with the
// fast exp and division (a few fp32 ulps; the rounded bf16/fp16 SiLU rarely differs from the IEEE one,
// and then by one ulp): they halve the kernel's instructions, which otherwise bound it below HBM bandwidth.
template <typename T>
__device__ __forceinline__ float silu(float a) {
  if constexpr (std::is_same_v<T, float>)
    return a / (1.0f + expf(-a));
  else
    return __fdividef(a, 1.0f + __expf(-a));  // a < -88: e^-a = inf, a / inf = -0 as in IEEE
}

template <typename T, int N>
__global__ void silu_mul_kernel(const T* __restrict__ gate_up, T* __restrict__ out, int64_t f) {  // one block per row
  using P = Pack<T, N>;
  const int packs = static_cast<int>(f / N);
  const int64_t row = blockIdx.x;
  const P* gate = reinterpret_cast<const P*>(gate_up + row * 2 * f);
  const P* up = reinterpret_cast<const P*>(gate_up + row * 2 * f + f);
  P* row_out = reinterpret_cast<P*>(out + row * f);
  for (int p = threadIdx.x; p < packs; p += blockDim.x) {
    const P g = gate[p], u = up[p];
    P o;
#pragma unroll
    for (int i = 0; i < N; ++i)
      o.v[i] = Num<T>::store(round_to<T>(silu<T>(Num<T>::load(g.v[i]))) * Num<T>::load(u.v[i]));
    row_out[p] = o;
  }
}

template <typename T>
const char* silu_mul_typed(const void* gate_up, void* out, int64_t rows, int64_t f, cudaStream_t stream) {
  if (rows * f == 0) return nullptr;
  const auto* in = static_cast<const T*>(gate_up);
  auto* o = static_cast<T*>(out);
  if (f % kVector<T> == 0 && aligned(gate_up) && aligned(out))
    silu_mul_kernel<T, kVector<T>><<<rows, balanced_threads_for(f / kVector<T>), 0, stream>>>(in, o, f);
  else
    silu_mul_kernel<T, 1><<<rows, balanced_threads_for(f), 0, stream>>>(in, o, f);
  return launch_status();
}

// ---- negative log-likelihood from logits ----

// Running (max, sum of exp(x - max)) pairs, merged as in an online softmax.
__device__ __forceinline__ void merge(float& m, float& s, float m2, float s2) {
  if (m2 == -INFINITY) return;
  if (m == -INFINITY) {
    m = m2;
    s = s2;
    return;
  }
  const float top = fmaxf(m, m2);
  s = s * expf(m - top) + s2 * expf(m2 - top);
  m = top;
}

// e^x for x <= 0 as 2^(x log2 e): one MUFU.EX2 (2 ulp) after a rounded product, so the relative
// error grows with |x| (about |x| 2^-24: 6e-7 at x = -10, where a term weighs e^-10 of the largest).
__device__ __forceinline__ float exp_nonpositive(float x) { return exp2f(x * 1.4426950408889634f); }

// Adds N logits to the running (max, sum of exp(logit - max)): one rescale per pack, one exp per logit.
template <int N>
__device__ __forceinline__ void add(float& m, float& s, const float (&v)[N]) {
  float top = m;
#pragma unroll
  for (int i = 0; i < N; ++i) top = fmaxf(top, v[i]);
  if (top == -INFINITY) return;   // all -inf so far: nothing to add
  if (top != m) s = s * exp_nonpositive(m - top);  // m = -inf: s is 0 and stays 0
  m = top;
#pragma unroll
  for (int i = 0; i < N; ++i) s += exp_nonpositive(v[i] - top);  // NaN logits propagate
}

// One block per row.
template <typename T, int N>
__global__ void nll_kernel(const T* logits, int64_t ld, const int64_t* targets, float* nll_bits, int64_t cols) {
  using P = Pack<T, N>;
  const T* row = logits + static_cast<int64_t>(blockIdx.x) * ld;
  float m = -INFINITY, s = 0.0f;
  const int64_t packs = cols / N;
  for (int64_t p = threadIdx.x; p < packs; p += blockDim.x) {
    const P a = reinterpret_cast<const P*>(row)[p];
    float v[N];
#pragma unroll
    for (int i = 0; i < N; ++i) v[i] = Num<T>::load(a.v[i]);
    add(m, s, v);
  }
  for (int64_t c = packs * N + threadIdx.x; c < cols; c += blockDim.x) {
    const float v[1] = {Num<T>::load(row[c])};
    add(m, s, v);
  }
  for (int offset = 16; offset > 0; offset /= 2)
    merge(m, s, __shfl_xor_sync(0xffffffffu, m, offset), __shfl_xor_sync(0xffffffffu, s, offset));
  __shared__ float warp_max[32], warp_sum[32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    warp_max[warp] = m;
    warp_sum[warp] = s;
  }
  __syncthreads();
  if (warp != 0) return;
  m = -INFINITY;
  s = 0.0f;
  if (lane < static_cast<int>(blockDim.x / 32)) {
    m = warp_max[lane];
    s = warp_sum[lane];
  }
  for (int offset = 16; offset > 0; offset /= 2)
    merge(m, s, __shfl_xor_sync(0xffffffffu, m, offset), __shfl_xor_sync(0xffffffffu, s, offset));
  if (lane == 0) {
    const float picked = Num<T>::load(row[targets[blockIdx.x]]);
    nll_bits[blockIdx.x] = (m + logf(s) - picked) / 0.69314718055994530942f;
  }
}

template <typename T>
const char* nll_typed(const void* logits, int64_t ld, const int64_t* targets, float* nll_bits, int64_t rows,
                      int64_t cols, cudaStream_t stream) {
  if (rows == 0) return nullptr;
  const auto* l = static_cast<const T*>(logits);
  if (ld % kVector<T> == 0 && aligned(logits))
    nll_kernel<T, kVector<T>><<<rows, threads_for(cols / kVector<T>), 0, stream>>>(l, ld, targets, nll_bits, cols);
  else
    nll_kernel<T, 1><<<rows, threads_for(cols), 0, stream>>>(l, ld, targets, nll_bits, cols);
  return launch_status();
}

// Calls launch(T{}) with T the element type of `dtype`.
template <typename Launch>
const char* by_dtype(DType dtype, Launch&& launch) {
  switch (dtype) {
    case DType::kFloat32: return launch(float{});
    case DType::kBFloat16: return launch(__nv_bfloat16{});
    case DType::kFloat16: return launch(__half{});
  }
  return "unsupported dtype";
}

}  // namespace

const char* rms_norm(DType dtype, const void* x, const void* residual, void* sum_out, const void* weight, void* out,
                     int64_t rows, int64_t width, float eps, void* stream) {
  return by_dtype(dtype, [&](auto type) {
    using T = decltype(type);
    return rms_norm_typed<T>(x, residual, sum_out, weight, out, rows, width, eps, static_cast<cudaStream_t>(stream));
  });
}

const char* rotary(DType dtype, const void* x, int64_t sb, int64_t sh, int64_t st, const void* cos, const void* sin,
                   void* out, int64_t ob, int64_t oh, int64_t ot, int64_t b, int64_t h, int64_t t, int64_t dh,
                   int64_t rotary, void* stream) {
  return by_dtype(dtype, [&](auto type) {
    using T = decltype(type);
    return rotary_typed<T>(x, sb, sh, st, cos, sin, out, ob, oh, ot, b, h, t, dh, rotary,
                           static_cast<cudaStream_t>(stream));
  });
}

const char* silu_mul(DType dtype, const void* gate_up, void* out, int64_t rows, int64_t f, void* stream) {
  return by_dtype(dtype, [&](auto type) {
    using T = decltype(type);
    return silu_mul_typed<T>(gate_up, out, rows, f, static_cast<cudaStream_t>(stream));
  });
}

const char* nll_bits(DType dtype, const void* logits, int64_t ld, const int64_t* targets, float* nll_bits, int64_t rows,
                     int64_t cols, void* stream) {
  return by_dtype(dtype, [&](auto type) {
    using T = decltype(type);
    return nll_typed<T>(logits, ld, targets, nll_bits, rows, cols, static_cast<cudaStream_t>(stream));
  });
}

}  // namespace icsweep::cuda_kernels
