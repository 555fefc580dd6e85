// Llama 4 text (transformers' modeling_llama4.py): Llama4ForCausalLM, and the language model of
// Llama4ForConditionalGeneration (keys under text_config, tensors under language_model.*; the
// vision tower and projector are ignored). Pre-norm decoder layers of two kinds:
//  - rope layers (no_rope_layers[i] == 1): interleaved (complex) rotary embeddings, optional L2
//    norm of q and k (use_qk_norm), chunked causal attention (attention_chunk_size);
//  - no-rope layers: full causal attention, queries scaled by the attention temperature
//    (attn_temperature_tuning: 1 + attn_scale * log1p(floor((pos + 1) / floor_scale))).
// Feed-forward: a dense SiLU-gated MLP (intermediate_size_mlp) or, on moe_layers, a shared expert
// plus fused routed experts whose router takes the top-k logits through a sigmoid and scales the
// expert *input* by it.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Llama4Config : DecoderConfig {  // intermediate_size: per routed expert and the shared expert
  int64_t intermediate_size_mlp = 0;   // dense layers
  int64_t num_experts = 0;
  int64_t top_k = 1;
  std::string hidden_act = "silu";
  bool attention_bias = false;
  bool use_qk_norm = true;
  bool attn_temperature_tuning = true;
  double floor_scale = 8192;
  double attn_scale = 0.1;
  std::vector<bool> use_rope;       // per layer (config no_rope_layers: 1 = rope, 0 = NoPE)
  std::vector<bool> is_moe;         // per layer (config moe_layers)
  std::vector<int64_t> chunk_size;  // per layer; 0 = full causal attention

  static Llama4Config from_hf(const HfConfig& config);
};

ModelShape llama4_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_llama4(const LoadRequest& request);

}  // namespace icsweep
