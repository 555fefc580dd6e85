// Attention blocks with the Hub's tensor names: the q/k/v/o projections of one layer (q, k and v run
// as one GEMM once fused) and the head layout views attention and rotary take.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/model/families/family_config.h"
#include "core/model/weights.h"

namespace icsweep {

// One attention block's projections. Loaded separately as the Hub stores them, then fuse_qkv()
// concatenates q, k, v into qkv_proj (and the biases) and releases the parts.
struct AttentionProjections {
  torch::Tensor q_proj, q_bias;          // (H*Dh, D), (H*Dh)
  torch::Tensor k_proj, k_bias;          // (Hkv*Dh, D), (Hkv*Dh)
  torch::Tensor v_proj, v_bias;          // (Hkv*Dh, D), (Hkv*Dh)
  torch::Tensor qkv_proj, qkv_bias;      // ((H + 2 Hkv) * Dh, D), ((H + 2 Hkv) * Dh)
  torch::Tensor o_proj, o_bias;          // (D, H*Dh), (D)
  torch::Tensor q_norm, k_norm;          // (Dh) each: RMSNorm per head before rotary (Qwen3); undefined: none
  void fuse_qkv();
};

// Appends prefix + "{q,k,v,o}_proj.weight", and ".bias" rows for q/k/v and o when asked (prefix
// e.g. "model.layers.3.self_attn."). `w` must not move afterwards (the specs point into it).
void add_attention_specs(std::vector<WeightSpec>& specs, const std::string& prefix, int64_t hidden,
                         const HeadLayout& heads, bool qkv_bias, bool o_bias, AttentionProjections& w);

// Views of one fused projection's output x W_qkv^T (+ b): q (B, T, H, Dh), k and v (B, T, Hkv, Dh).
struct QkvViews {
  torch::Tensor q, k, v;
};
QkvViews project_qkv(const AttentionProjections& w, const HeadLayout& heads, const torch::Tensor& x);

// (B, H, T, Dh) attention output -> heads concatenated (B, T, H*Dh) -> o_proj -> (B, T, D).
torch::Tensor project_attention_output(const AttentionProjections& w, const torch::Tensor& out);

// (B, T, n, Dh) -> (B, n, T, Dh), a view: the layout attention and rotary take.
inline torch::Tensor heads_first(const torch::Tensor& x) { return x.transpose(1, 2); }

// Where the q/k RMSNorms sit: per head before the rotary embedding (Qwen3's q_norm / k_norm, Dh each),
// per head after it (Hunyuan's query_layernorm / key_layernorm), or before it over the whole
// projection at once (MiniMax-M2's q_norm (H*Dh) / k_norm (Hkv*Dh)).
enum class QkNorm { kBeforeRotary, kAfterRotary, kWholeProjection };

// The Llama attention (LlamaAttention and the families that copy it): fused q/k/v, the per-head
// q_norm/k_norm when the weights have them (rms_norm with `eps`, where `qk_norm` says), `rotate` on q and k (apply_rotary, apply_partial_rotary, ...), causal
// attention within `mask` (attention_mask(); undefined: plain causal), o_proj.
// x: (B, T, D) -> (B, T, D); cos/sin: (T, Dr).
using RotaryFn = torch::Tensor (*)(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
torch::Tensor rotary_attention(const AttentionProjections& w, const HeadLayout& heads, const torch::Tensor& x,
                               const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask,
                               RotaryFn rotate, double eps = 0.0, QkNorm qk_norm = QkNorm::kBeforeRotary);

// The Llama-4 query scale by position (transformers' get_llama_4_attn_scale, Mistral 4 and Ministral 3
// after rope): 1 + beta * log(1 + floor(p / original_max_position_embeddings)) for positions
// p = 0..seq_len-1, in fp32 as torch computes it (exactly 1 below the original length). (T) fp32.
torch::Tensor llama4_query_scale(int64_t seq_len, double beta, int64_t original_max_position_embeddings,
                                 torch::Device device);

// Appends prefix + "q_norm.weight" and "k_norm.weight" (Dh each; other names: Hunyuan's
// query_layernorm / key_layernorm) into w.q_norm / w.k_norm.
void add_qk_norm_specs(std::vector<WeightSpec>& specs, const std::string& prefix, const HeadLayout& heads,
                       AttentionProjections& w, const char* q_name = "q_norm", const char* k_name = "k_norm");

}  // namespace icsweep
