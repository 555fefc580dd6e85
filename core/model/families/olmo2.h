// Olmo2ForCausalLM (transformers' modeling_olmo2.py): no pre-norms; each sub-block's output is
// RMS-normed before the residual add (post_attention_layernorm, post_feedforward_layernorm), and
// the queries and keys are RMS-normed over the whole projection (q_norm: H*Dh, k_norm: Hkv*Dh)
// before the heads are split and rotated. Olmo2RMSNorm applies its weight in fp32. Olmo3ForCausalLM
// (modeling_olmo3.py) adds sliding-window layers by layer_types (by default three of every four),
// each layer type with its own rope.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

// Olmo2Config / Olmo3Config: rms_norm_eps 1e-5 by default. `rope` is the full-attention layers'.
struct Olmo2Config : DecoderConfig {
  bool attention_bias = false;          // q/k/v/o projections carry a bias
  std::vector<int64_t> sliding_window;  // (L) per layer; 0 = full causal attention (every layer in OLMo 2)
  RopeConfig rope_sliding;              // the sliding layers' rope (OLMo 3)

  static Olmo2Config from_hf(const HfConfig& config);
};

ModelShape olmo2_shape(const HfConfig& config, const std::string& model_type);
// Llama's names without input_layernorm, plus self_attn.q_norm / k_norm (H*Dh, Hkv*Dh) and
// post_feedforward_layernorm.
std::unique_ptr<CausalLM> load_olmo2(const LoadRequest& request);

}  // namespace icsweep
