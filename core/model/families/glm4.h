// Glm4ForCausalLM (transformers' modeling_glm4.py, GLM-4-0414): the Llama decoder with an extra
// RMSNorm on each sub-block's output before the residual add (post_self_attn_layernorm,
// post_mlp_layernorm), a fused gate_up_proj, q/k/v biases (attention_bias), and a partial rotary
// embedding in GLM's interleaved-pair layout over the first head_dim * partial_rotary_factor dims.
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

// Glm4Config's class defaults (32 heads, 2 kv heads, head_dim 128, ...) apply to absent keys.
struct Glm4Config : DecoderConfig {
  bool attention_bias = true;  // q/k/v projections carry a bias (o_proj never does)
  // rope.dim = int(head_dim * partial_rotary_factor)

  static Glm4Config from_hf(const HfConfig& config);
};

ModelShape glm4_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_glm4(const LoadRequest& request);

}  // namespace icsweep
