// gated_delta_rule.h's kernel. One warp per (sample, value head, 4 value columns): the columns of the
// state evolve independently (each needs only k, q, v's own entry, g and beta), so a warp keeps its 4
// columns' Dk rows in registers, R = ceil(Dk / 32) rows per lane (zeros past Dk), and reduces over the
// rows with shuffles. The
// next token's inputs are loaded while the current one is computed.
#include "core/model/cuda/gated_delta_rule.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace icsweep::cuda_kernels {
namespace {

constexpr int kColumns = 4;        // value columns per warp
constexpr int kWarpsPerBlock = 4;

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ __half from_float<__half>(float v) { return __float2half_rn(v); }

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

// One token's inputs as this lane holds them: its R rows of q and k, the warp's v columns, g, beta.
template <int R>
struct Step {
  float q[R], k[R], v[kColumns], g, beta;
};

template <typename T, int R>
__device__ __forceinline__ void load_step(Step<R>& s, const T* row, const float* g, const float* beta, int64_t q_at,
                                          int64_t k_at, int64_t v_at, int64_t dk, int lane) {
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int64_t at = lane * R + r;
    s.q[r] = at < dk ? to_float(row[q_at + at]) : 0.0f;
    s.k[r] = at < dk ? to_float(row[k_at + at]) : 0.0f;
  }
#pragma unroll
  for (int c = 0; c < kColumns; ++c) s.v[c] = to_float(row[v_at + c]);
  s.g = *g;
  s.beta = *beta;
}

// R = ceil(Dk / 32) rows per lane. Grid: (B · Hv · Dv / kColumns) warps, kWarpsPerBlock per block.
template <typename T, int R>
__global__ void gated_delta_rule_kernel(const T* __restrict__ qkv, const float* __restrict__ g,
                                        const float* __restrict__ beta, T* __restrict__ out, int64_t batch, int64_t t_len,
                                        int64_t key_heads, int64_t value_heads, int64_t dk, int64_t value_dim) {
  const int lane = threadIdx.x % 32;
  const int64_t warp = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  const int64_t groups = value_dim / kColumns;
  if (warp >= batch * value_heads * groups) return;
  const int64_t column = (warp % groups) * kColumns, h = (warp / groups) % value_heads, b = warp / groups / value_heads;
  const int64_t key_head = h / (value_heads / key_heads);
  const int64_t row_width = 2 * key_heads * dk + value_heads * value_dim;
  const int64_t q_at = key_head * dk, k_at = key_heads * dk + key_head * dk;
  const int64_t v_at = 2 * key_heads * dk + h * value_dim + column;
  const T* rows = qkv + b * t_len * row_width;
  const float* g_bh = g + b * t_len * value_heads + h;
  const float* beta_bh = beta + b * t_len * value_heads + h;
  T* out_bh = out + (b * t_len * value_heads + h) * value_dim + column;
  const float q_scale = rsqrtf(static_cast<float>(dk));

  float state[R][kColumns] = {};  // rows lane*R + r of columns column + c
  Step<R> now, next;
  load_step<T, R>(now, rows, g_bh, beta_bh, q_at, k_at, v_at, dk, lane);
  for (int64_t t = 0; t < t_len; ++t) {
    if (t + 1 < t_len)
      load_step<T, R>(next, rows + (t + 1) * row_width, g_bh + (t + 1) * value_heads, beta_bh + (t + 1) * value_heads,
                      q_at, k_at, v_at, dk, lane);
    float qq = 0, kk = 0;
#pragma unroll
    for (int r = 0; r < R; ++r) qq += now.q[r] * now.q[r], kk += now.k[r] * now.k[r];
    const float q_norm = rsqrtf(warp_sum(qq) + 1e-6f) * q_scale, k_norm = rsqrtf(warp_sum(kk) + 1e-6f);
    const float decay = expf(now.g);
    float out_c[kColumns];
#pragma unroll
    for (int c = 0; c < kColumns; ++c) {
      float recalled = 0;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        state[r][c] *= decay;
        recalled += state[r][c] * (now.k[r] * k_norm);
      }
      const float update = (now.v[c] - warp_sum(recalled)) * now.beta;
      float read = 0;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        state[r][c] += (now.k[r] * k_norm) * update;
        read += state[r][c] * (now.q[r] * q_norm);
      }
      out_c[c] = warp_sum(read);
    }
    if (lane < kColumns) {
      float value = out_c[0];
#pragma unroll
      for (int c = 1; c < kColumns; ++c) value = lane == c ? out_c[c] : value;
      out_bh[t * value_heads * value_dim + lane] = from_float<T>(value);
    }
    now = next;
  }
}

template <typename T>
const char* launch(const void* qkv, const float* g, const float* beta, void* out, int64_t b, int64_t t, int64_t hk,
                   int64_t hv, int64_t dk, int64_t dv, cudaStream_t stream) {
  const int64_t warps = b * hv * (dv / kColumns);
  const dim3 grid(static_cast<unsigned>((warps + kWarpsPerBlock - 1) / kWarpsPerBlock)), block(32 * kWarpsPerBlock);
  const T* in = static_cast<const T*>(qkv);
  T* o = static_cast<T*>(out);
  if (dk <= 32)
    gated_delta_rule_kernel<T, 1><<<grid, block, 0, stream>>>(in, g, beta, o, b, t, hk, hv, dk, dv);
  else if (dk <= 64)
    gated_delta_rule_kernel<T, 2><<<grid, block, 0, stream>>>(in, g, beta, o, b, t, hk, hv, dk, dv);
  else if (dk <= 128)
    gated_delta_rule_kernel<T, 4><<<grid, block, 0, stream>>>(in, g, beta, o, b, t, hk, hv, dk, dv);
  else
    gated_delta_rule_kernel<T, 8><<<grid, block, 0, stream>>>(in, g, beta, o, b, t, hk, hv, dk, dv);
  const cudaError_t error = cudaGetLastError();
  return error == cudaSuccess ? nullptr : cudaGetErrorString(error);
}

}  // namespace

const char* gated_delta_rule(DType dtype, const void* qkv, const float* g, const float* beta, void* out, int64_t b,
                             int64_t t, int64_t key_heads, int64_t value_heads, int64_t key_dim, int64_t value_dim,
                             void* stream) {
  if (!gated_delta_rule_supports(key_dim, value_dim) || value_heads % key_heads != 0)
    return "gated_delta_rule: unsupported head layout";
  const auto s = static_cast<cudaStream_t>(stream);
  switch (dtype) {
    case DType::kFloat32: return launch<float>(qkv, g, beta, out, b, t, key_heads, value_heads, key_dim, value_dim, s);
    case DType::kBFloat16:
      return launch<__nv_bfloat16>(qkv, g, beta, out, b, t, key_heads, value_heads, key_dim, value_dim, s);
    case DType::kFloat16: return launch<__half>(qkv, g, beta, out, b, t, key_heads, value_heads, key_dim, value_dim, s);
  }
  return "gated_delta_rule: unsupported dtype";
}

}  // namespace icsweep::cuda_kernels
