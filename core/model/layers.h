// Building blocks shared by the decoder families, each matching its transformers counterpart:
// RMSNorm (LlamaRMSNorm), rotary embeddings (modeling_rope_utils.py + rotate_half), GQA key/value
// repetition, causal (optionally sliding-window) attention, the SiLU-gated MLP.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config/hf_config.h"

namespace icsweep {

// x * rsqrt(mean(x^2) + eps) computed in fp32, cast back to x's dtype, then times the weight
// (in x's dtype), exactly as LlamaRMSNorm. x: (..., D), weight: (D).
// On CUDA the fused kernel of core/model/fused_ops.h does the same in one pass.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// (x + delta, rms_norm(x + delta)): a decoder's residual add and the next block's pre-norm, in one
// pass on CUDA. x, delta: (..., D); weight: (D).
std::pair<torch::Tensor, torch::Tensor> add_rms_norm(const torch::Tensor& x, const torch::Tensor& delta,
                                                     const torch::Tensor& weight, double eps);

// silu(gate) * up with (gate, up) = gate_up.chunk(2, -1), one pass on CUDA. (..., 2F) -> (..., F).
torch::Tensor silu_mul(const torch::Tensor& gate_up);

// Rotary position embedding parameters: config.json "rope_theta" + "rope_scaling" (transformers 4)
// or "rope_parameters" (transformers 5). rope_type: default | linear | dynamic | llama3 | yarn.
struct RopeConfig {
  std::string type = "default";
  double theta = 10000.0;
  int64_t dim = 0;                      // rotary dimensions (head_dim * partial_rotary_factor)
  int64_t max_position_embeddings = 0;  // config.max_position_embeddings
  double factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
  // yarn
  double attention_factor = 1.0;  // multiplies cos and sin (yarn; 1 otherwise)
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  bool truncate = true;

  // Reads the config; ModelError naming config.json and the key for unsupported rope types.
  static RopeConfig from_hf(const HfConfig& config, int64_t rotary_dim);
};

// Inverse frequencies (dim / 2) in fp32 on the CPU, for a forward over `seq_len` positions
// (only "dynamic" depends on it).
torch::Tensor rope_inv_freq(const RopeConfig& rope, int64_t seq_len);

// cos and sin for positions 0..T-1: each (T, dim), in `dtype` on `device` (computed in fp32 like
// transformers, which casts to the activation dtype at the end).
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const RopeConfig& rope, int64_t seq_len,
                                                     torch::ScalarType dtype, torch::Device device);

// x * cos + rotate_half(x) * sin with rotate_half(x) = cat(-x2, x1) over the last dim (one pass on
// CUDA). x: (B, H, T, Dh); cos/sin: (T, Dh).
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// (B, Hkv, T, Dh) -> (B, Hkv * n_rep, T, Dh), each kv head repeated n_rep times in a row
// (transformers' repeat_kv).
torch::Tensor repeat_kv(const torch::Tensor& x, int64_t n_rep);

// Bool (T, T) "may attend" mask: causal, and with window > 0 only the last `window` positions
// (query i sees keys j with i - window < j <= i, as transformers' sliding_window_overlay).
// Undefined tensor for plain causal attention with no window or T <= window (fast path).
torch::Tensor attention_mask(int64_t seq_len, int64_t window, torch::Device device);

// Causal attention: q (B, H, T, Dh), k/v (B, Hkv, T, Dh) with Hkv dividing H (grouped-query heads
// shared without copies where torch allows) -> (B, H, T, Dh); `mask` from attention_mask().
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask);

// y = x W^T (+ b); bias may be undefined.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// As rms_norm, but the weight multiplies the fp32 normalised values before the cast back
// (Olmo2RMSNorm: (weight * h).to(input_dtype)). x: (..., D), weight: (D).
torch::Tensor rms_norm_weight_fp32(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// nn.LayerNorm over the last dim. x: (..., D), weight/bias: (D).
torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps);

// Rotary embedding on the first cos.size(-1) dims of the head, the rest passed through
// (partial rotary: GPT-NeoX rotary_pct, Phi-3/GLM partial_rotary_factor). x: (B, H, T, Dh);
// cos/sin: (T, Dr) with Dr <= Dh.
torch::Tensor apply_partial_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// The fraction of each head that rotates: rope_parameters.partial_rotary_factor (transformers 5),
// else a top-level partial_rotary_factor, else rotary_pct (GPT-NeoX in transformers 4), else
// `fallback` (the family's default).
double partial_rotary_factor(const HfConfig& config, double fallback);

// transformers' ACT2FN by name: gelu (erf), gelu_new / gelu_fast / gelu_pytorch_tanh (tanh
// approximation), silu / swish, relu; activation() throws ModelError for any other name.
bool activation_supported(const std::string& name);
torch::Tensor activation(const std::string& name, const torch::Tensor& x);

// Attention with an explicit softmax scale and optional tanh soft-capping of the scores, as
// transformers' eager_attention_forward with `scaling` and `softcap` (Gemma 3: scale
// query_pre_attn_scalar^-0.5, attn_logit_softcapping). q: (B, H, Tq, Dh), k/v: (B, H, Tk, Dh)
// with the kv heads already repeated; `mask` from attention_mask() (undefined = plain causal);
// softcap <= 0: none. Scores are formed in q's dtype, the softmax runs in fp32. (B, H, Tq, Dh).
torch::Tensor scaled_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask, double scale, double softcap);

// GLM's rotary layout (modeling_glm4.py): the first cos.size(-1) dims rotate as adjacent pairs
// (x0, x1), (x2, x3), ... with pair i at frequency i; the rest pass through. cos/sin as from
// rope_cos_sin: (T, Dr), both halves equal. x: (B, H, T, Dh) with Dr <= Dh.
torch::Tensor apply_interleaved_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace icsweep
