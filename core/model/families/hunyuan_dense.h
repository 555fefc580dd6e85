// HunYuanDenseV1ForCausalLM (transformers' modeling_hunyuan_v1_dense.py, Hunyuan 0.5B-7B): the
// Llama decoder with an RMSNorm over each query and key head applied *after* the rotary
// embedding (query_layernorm / key_layernorm), optional biases on all four attention
// projections, and the "dynamic NTK alpha" rope of the published configs: with rope type
// dynamic and an alpha, the base becomes rope_theta * alpha^(Dh / (Dh - 2)) for every length.
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

struct HunyuanDenseConfig : DecoderConfig {
  bool attention_bias = false;  // q/k/v/o projections carry a bias
  // rope: the alpha rope arrives as a plain rope with the grown base

  static HunyuanDenseConfig from_hf(const HfConfig& config);
};

// Hunyuan's rope (dense and MoE): with rope type dynamic and an "alpha" in rope_parameters /
// rope_scaling, a plain rope over the whole head of base rope_theta * alpha^(Dh / (Dh - 2)) at every
// length (DynamicNTKAlpha); otherwise RopeConfig::from_hf.
RopeConfig hunyuan_rope(const HfConfig& config, int64_t head_dim);

ModelShape hunyuan_dense_shape(const HfConfig& config, const std::string& model_type);
// Llama's names plus self_attn.query_layernorm / key_layernorm (Dh each).
std::unique_ptr<CausalLM> load_hunyuan_dense(const LoadRequest& request);

}  // namespace icsweep
