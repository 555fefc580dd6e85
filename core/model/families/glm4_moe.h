// Glm4MoeForCausalLM (transformers' modeling_glm4_moe.py; GLM-4.5, GLM-4.5-Air): a Llama-style
// decoder with GQA attention (q/k/v biases with attention_bias, o_proj never), optional per-head
// q/k RMSNorm (use_qk_norm), rotary on the first head_dim * partial_rotary_factor dims of each
// head (rotate_half halves), first_k_dense_replace dense layers, then DeepSeek-V3 MoE blocks:
// sigmoid routing with e_score_correction_bias for the choice only, group-limited (n_group,
// topk_group), norm_topk_prob, routed_scaling_factor, plus n_shared_experts as one shared SwiGLU.
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Glm4MoeConfig : DecoderConfig {
  int64_t rotary_dim = 0;  // head_dim * partial_rotary_factor (rope over it)
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

  static Glm4MoeConfig from_hf(const HfConfig& config);
  // What the loader needs beyond the shape: ModelError naming config.json for a quantization_config,
  // or unless the router's groups split the experts evenly and hold the top-k.
  void check_loadable(const HfConfig& config) const;
};

ModelShape glm4_moe_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_glm4_moe(const LoadRequest& request);

}  // namespace icsweep
