// The gated delta rule (Gated DeltaNet's linear attention) as one CUDA kernel: the recurrent form,
// token by token from a zero state, with the state in fp32 registers. Plain pointers and a stream, no
// torch headers: compiled by nvcc, called through core/model/fused_ops.h, which checks shapes.
// Returns nullptr when the launch succeeded, else CUDA's error text.
#pragma once

#include <cstdint>

#include "core/model/cuda/fused_kernels.h"

namespace icsweep::cuda_kernels {

// Per sample b and value head h, for t = 0 .. T-1 (S: (Dk, Dv) fp32, zero at t = 0):
//   k = l2norm(k_t), q = l2norm(q_t) / sqrt(Dk)      (l2norm: x * rsqrt(sum x^2 + 1e-6), in fp32)
//   S = S * exp(g_t);  u = (v_t - S^T k) * beta_t;  S = S + k u^T;  out_t = S^T q
// the algebra of transformers' torch_recurrent_gated_delta_rule and, exactly, of its chunked form.
// qkv: (B, T, 2·Hk·Dk + Hv·Dv) contiguous, the conv's output [q heads | k heads | v heads]; value head h
// reads key head h / (Hv / Hk). g (log-decay), beta: (B, T, Hv) fp32 contiguous. out: (B, T, Hv, Dv)
// contiguous, in `dtype` (that of qkv). Only where gated_delta_rule_supports(Dk, Dv).
inline bool gated_delta_rule_supports(int64_t key_dim, int64_t value_dim) {
  return key_dim >= 1 && key_dim <= 256 && value_dim % 4 == 0;
}
const char* gated_delta_rule(DType dtype, const void* qkv, const float* g, const float* beta, void* out, int64_t b,
                             int64_t t, int64_t key_heads, int64_t value_heads, int64_t key_dim, int64_t value_dim,
                             void* stream);

}  // namespace icsweep::cuda_kernels
