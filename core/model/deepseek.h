// DeepseekV2ForCausalLM and DeepseekV3ForCausalLM (transformers' modeling_deepseek_v2.py /
// modeling_deepseek_v3.py): multi-head latent attention and a DeepSeek MoE after
// first_k_dense_replace dense layers.
//
// Attention: q = q_b_proj(q_a_layernorm(q_a_proj(x))) (or q_proj(x) when q_lora_rank is null),
// per head [nope (qk_nope_head_dim) | rope (qk_rope_head_dim)]; kv_a_proj_with_mqa(x) gives the
// kv latent (kv_lora_rank) and one rotary key shared by all heads; kv_b_proj(kv_a_layernorm(latent))
// gives per head [k nope | v (v_head_dim)]. Rotary on the rope parts only: V2 rotates adjacent
// pairs (complex multiply, fp32), V3 the same pairs when rope_interleave (default) else the
// rotate_half halves. Softmax scale qk_head_dim^-0.5, times mscale^2 for yarn with mscale_all_dim.
//
// MoE: routed SwiGLU experts plus n_shared_experts folded into one shared SwiGLU. V2 routes by
// softmax (greedy or group_limited_greedy), V3 by sigmoid with e_score_correction_bias for the
// choice only (group-limited, norm_topk_prob); both scale by routed_scaling_factor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/moe.h"
#include "core/model/safetensors.h"

namespace icsweep {

struct DeepseekConfig {
  bool v3 = false;  // deepseek_v3 (sigmoid routing, rope_interleave) vs deepseek_v2
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // dense layers
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t q_lora_rank = 0;  // 0: q_proj
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool attention_bias = false;  // q_a_proj, kv_a_proj_with_mqa, o_proj
  bool rope_interleave = true;  // rotate adjacent pairs (V2 always)
  double score_scale = 1.0;     // yarn mscale^2 on top of qk_head_dim^-0.5
  int64_t first_k_dense_replace = 0;
  int64_t num_experts = 0;  // n_routed_experts
  int64_t top_k = 0;
  int64_t moe_intermediate_size = 0;
  int64_t n_shared_experts = 0;
  int64_t n_group = 1;  // 1 = no group limit
  int64_t topk_group = 1;
  bool norm_topk_prob = false;  // V3 only (transformers' V2 never renormalises)
  double routed_scaling_factor = 1.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  RopeConfig rope;  // over qk_rope_head_dim

  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  static DeepseekConfig from_hf(const HfConfig& config, const std::string& model_type);
};

struct DeepseekLayerWeights {
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor q_proj;                    // (H*Dqk, D) without q_lora_rank
  torch::Tensor q_a_proj, q_a_bias;        // (Rq, D), (Rq)
  torch::Tensor q_a_layernorm;             // (Rq)
  torch::Tensor q_b_proj;                  // (H*Dqk, Rq)
  torch::Tensor kv_a_proj, kv_a_bias;      // (Rkv + Dr, D), (Rkv + Dr)
  torch::Tensor kv_a_layernorm;            // (Rkv)
  torch::Tensor kv_b_proj;                 // (H*(Dn + Dv), Rkv)
  torch::Tensor o_proj, o_bias;            // (D, H*Dv), (D)
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // dense layers: F = intermediate_size
  torch::Tensor router;                    // (E, D) mlp.gate
  torch::Tensor router_bias;               // (E) fp32 e_score_correction_bias (V3)
  std::vector<SwigluWeights> experts;      // E, F = moe_intermediate_size
  SwigluWeights shared_experts;            // F = moe_intermediate_size * n_shared_experts
};

struct DeepseekWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<DeepseekLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class DeepseekModel : public CausalLM {
 public:
  DeepseekModel(DeepseekConfig config, DeepseekWeights weights, ModelInfo info, torch::ScalarType dtype,
                torch::Device device, std::vector<torch::Device> layer_devices);  // (L), from place_split_layers

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const;
  torch::Tensor attention(const DeepseekLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const;
  torch::Tensor moe(const DeepseekLayerWeights& w, const torch::Tensor& x) const;

  DeepseekConfig config_;
  DeepseekWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

// model_type: deepseek_v2 | deepseek_v3.
std::unique_ptr<CausalLM> load_deepseek(const HfConfig& config, const std::string& model_type,
                                        const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                        torch::ScalarType dtype,
                                        const std::vector<torch::Device>& devices);  // front(), or split across all

}  // namespace icsweep
