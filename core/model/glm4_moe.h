// Glm4MoeForCausalLM (transformers' modeling_glm4_moe.py; GLM-4.5, GLM-4.5-Air): a Llama-style
// decoder with GQA attention (q/k/v biases with attention_bias, o_proj never), optional per-head
// q/k RMSNorm (use_qk_norm), rotary on the first head_dim * partial_rotary_factor dims of each
// head (rotate_half halves), first_k_dense_replace dense layers, then DeepSeek-V3 MoE blocks:
// sigmoid routing with e_score_correction_bias for the choice only, group-limited (n_group,
// topk_group), norm_topk_prob, routed_scaling_factor, plus n_shared_experts as one shared SwiGLU.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/model/decoder_blocks.h"
#include "core/config/hf_config.h"
#include "core/model/layers.h"
#include "core/model/moe.h"
#include "core/model/safetensors.h"

namespace icsweep {

struct Glm4MoeConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;  // dense layers
  int64_t num_layers = 0;
  HeadLayout heads;  // head_dim: config "head_dim", else hidden_size / num_heads
  int64_t rotary_dim = 0;  // head_dim * partial_rotary_factor
  bool attention_bias = false;
  bool use_qk_norm = false;
  int64_t first_k_dense_replace = 1;
  int64_t num_experts = 0;  // n_routed_experts
  int64_t top_k = 0;
  int64_t moe_intermediate_size = 0;
  int64_t n_shared_experts = 0;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  bool norm_topk_prob = true;
  double routed_scaling_factor = 1.0;
  double rms_norm_eps = 1e-5;
  bool tie_word_embeddings = false;
  RopeConfig rope;  // over rotary_dim

  static Glm4MoeConfig from_hf(const HfConfig& config);
};

struct Glm4MoeLayerWeights {
  torch::Tensor input_layernorm;           // (D)
  AttentionProjections attn;               // self_attn.{q,k,v,o}_proj; q/k/v fused after loading
  torch::Tensor q_norm, k_norm;            // (Dh) each, with use_qk_norm
  torch::Tensor post_attention_layernorm;  // (D)
  SwigluWeights mlp;                       // dense layers: F = intermediate_size
  torch::Tensor router;                    // (E, D) mlp.gate
  torch::Tensor router_bias;               // (E) fp32 e_score_correction_bias
  std::vector<SwigluWeights> experts;      // E, F = moe_intermediate_size
  SwigluWeights shared_experts;            // F = moe_intermediate_size * n_shared_experts
};

struct Glm4MoeWeights {
  torch::Tensor embed_tokens;  // (V, D)
  std::vector<Glm4MoeLayerWeights> layers;
  torch::Tensor norm;     // (D)
  torch::Tensor lm_head;  // (V, D); the embedding itself when tied
};

class Glm4MoeModel : public CausalLM {
 public:
  Glm4MoeModel(Glm4MoeConfig config, Glm4MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
               torch::Device device, std::vector<torch::Device> layer_devices);  // (L), from place_split_layers

  torch::Tensor forward_hidden(const torch::Tensor& ids) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  const ModelInfo& info() const override { return info_; }
  torch::Device device() const override { return device_; }
  torch::ScalarType dtype() const override { return dtype_; }

 private:
  torch::Tensor attention(const Glm4MoeLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const;
  torch::Tensor moe(const Glm4MoeLayerWeights& w, const torch::Tensor& x) const;

  Glm4MoeConfig config_;
  Glm4MoeWeights weights_;
  ModelInfo info_;
  torch::ScalarType dtype_;
  torch::Device device_;                      // the embedding's (where the ids go)
  std::vector<torch::Device> layer_devices_;  // (L): where each layer's weights live
};

std::unique_ptr<CausalLM> load_glm4_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                        ModelInfo info, torch::ScalarType dtype,
                                        const std::vector<torch::Device>& devices);  // front(), or split across all

}  // namespace icsweep
