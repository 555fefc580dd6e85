// Fused CUDA versions of the memory-bound steps of a forward (core/model/cuda/fused_kernels.h), for
// layers.h and the scorer to call when fused::enabled() says they apply; otherwise the callers keep
// their eager composites, which stay the reference (tests/model/gpu_fused_ops.cpp compares the two).
#pragma once

#include <torch/torch.h>

#include <utility>

namespace icsweep::fused {

// kExperts is not a kernel of ours: the routed experts as grouped GEMMs (moe.h) instead of one GEMM
// chain per expert, switched like the kernels. kDeltaRule: Gated DeltaNet's recurrence (gated_deltanet.h).
enum class Kernel { kNorm, kRope, kSilu, kNll, kExperts, kDeltaRule };

// True when `kernel` can run on x: a build with the CUDA kernels, x on a GPU in fp32/bf16/fp16, no
// gradient wanted (they have no backward), and not switched off by the environment variable
// ICSWEEP_FUSED (unset or "1": all on; "0": all off; else a comma list of norm, rope, silu, nll, experts, deltarule, the
// ones to keep on; for A/B benchmarks and to rule them out when chasing a numerical question).
// deltarule is the exception: off unless listed (not yet verified on a GPU; fused_ops.cpp).
bool enabled(Kernel kernel, const torch::Tensor& x);

// LlamaRMSNorm. x: (..., D) contiguous; weight: (D) -> (..., D).
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// (x + delta, rms_norm(x + delta)): the residual stream and the next block's normalised input.
std::pair<torch::Tensor, torch::Tensor> add_rms_norm(const torch::Tensor& x, const torch::Tensor& delta,
                                                     const torch::Tensor& weight, double eps);

// Rotary embedding (rotate_half layout) on the first cos.size(-1) dims of each head, the rest passed
// through. x: (B, H, T, Dh), any strides with the last one 1; cos/sin: (T, Dr) -> (B, H, T, Dh), a
// transposed view of a contiguous (B, T, H, Dh) tensor (the layout attention keeps for its output).
torch::Tensor rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// silu(gate) * up for gate_up = cat(gate, up) over the last dim. (..., 2F) contiguous -> (..., F).
torch::Tensor silu_mul(const torch::Tensor& gate_up);

// -log2 softmax(logits)[target] per row, in fp32. logits: (N, V) with unit column stride;
// targets: (N) int64 on the same device -> (N) fp32.
torch::Tensor nll_bits(const torch::Tensor& logits, const torch::Tensor& targets);

// The gated delta rule from a zero state (cuda/gated_delta_rule.h), the same numbers as
// chunk_gated_delta_rule up to fp32 summation order. qkv: (B, T, 2·Hk·Dk + Hv·Dv) after the conv and
// SiLU, any layout (made contiguous); g, beta: (B, T, Hv) (made fp32) -> (B, T, Hv, Dv) in qkv's dtype.
// Only where gated_delta_rule_supports(Dk, Dv) (head dims the kernel is written for).
torch::Tensor gated_delta_rule(const torch::Tensor& qkv, const torch::Tensor& g, const torch::Tensor& beta,
                               int64_t key_heads, int64_t value_heads, int64_t key_dim, int64_t value_dim);
bool gated_delta_rule_supports(int64_t key_dim, int64_t value_dim);

}  // namespace icsweep::fused
