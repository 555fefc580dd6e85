// Gemma3ForCausalLM and the text model of Gemma3ForConditionalGeneration (transformers'
// modeling_gemma3.py): RMSNorm as x * (1 + w) in fp32, four norms per layer (before and after
// attention and the MLP), per-head q/k norms, a GELU-tanh gated MLP, the embedding scaled by
// sqrt(hidden_size), local sliding-window layers with their own rope base between global ones, and
// an optional final logit soft-cap.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Gemma3Config : DecoderConfig {
  double query_pre_attn_scalar = 256;
  double attn_logit_softcapping = 0;   // read but, as in transformers' Gemma3Attention, never applied
  double final_logit_softcapping = 0;  // 0 = none
  bool attention_bias = false;         // q/k/v/o projections carry a bias
  std::string hidden_activation;
  int64_t sliding_window = 0;
  std::vector<bool> sliding;  // per layer: sliding_attention (true) or full_attention
  RopeConfig rope_full;       // global layers (rope_theta + rope_scaling in 4.x configs)
  RopeConfig rope_sliding;    // local layers (rope_local_base_freq in 4.x configs)

  // Gemma3TextConfig's defaults apply to absent keys: published multimodal configs list only the
  // text_config keys that differ from them.
  static Gemma3Config from_hf(const HfConfig& config);
};

ModelShape gemma3_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_gemma3(const LoadRequest& request);

}  // namespace icsweep
