// Gemma4ForCausalLM and the text model of Gemma4ForConditionalGeneration (transformers'
// modeling_gemma4.py): Gemma 3's four-norm layer (RMSNorm here times w, not 1 + w) with per-head
// q/k norms, a scale-free v norm and attention scale 1; sliding layers between full ones, whose
// heads may be wider (global_head_dim) and fewer (num_global_key_value_heads, with
// attention_k_eq_v: one projection for keys and values) and whose rope is "proportional"; the last
// num_kv_shared_layers layers reuse the keys and values of the last earlier layer of their type
// (and may have a double-wide MLP); per-layer embeddings (PLE) added after each layer's MLP; an
// optional MoE block beside the MLP; a learned per-layer scalar; final logit soft-capping.
#pragma once

#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

struct Gemma4Config : DecoderConfig {
  std::string hidden_activation;
  int64_t sliding_window = 0;
  double final_logit_softcapping = 0;  // 0 = none
  bool attention_bias = false;
  bool attention_k_eq_v = false;  // full layers: v = the k projection (before k_norm)
  std::vector<bool> sliding;      // (L) sliding_attention (true) or full_attention
  std::vector<HeadLayout> layer_heads;  // (L) heads of each layer: full layers' overrides applied
  int64_t first_kv_shared_layer = 0;    // num_hidden_layers - num_kv_shared_layers (L: none shared)
  bool use_double_wide_mlp = false;
  int64_t per_layer_input_size = 0;  // hidden_size_per_layer_input P (0: no PLE)
  int64_t vocab_size_per_layer_input = 0;
  bool enable_moe_block = false;
  int64_t num_experts = 0, top_k_experts = 0, moe_intermediate_size = 0;
  RopeConfig rope_full, rope_sliding;
  int64_t rope_full_pairs = 0;  // frequency pairs that rotate on full layers (proportional rope); the rest 0

  bool kv_shared(int64_t layer) const { return layer >= first_kv_shared_layer; }
  // Full layers with attention_k_eq_v hold no v_proj.
  bool value_is_key(int64_t layer) const { return attention_k_eq_v && !sliding[layer]; }
  // Gemma4TextMLP: intermediate_size, doubled on kv-shared layers with use_double_wide_mlp.
  int64_t mlp_width(int64_t layer) const;

  // Gemma4TextConfig's defaults apply to absent keys. global_head_dim (default 512) and, with
  // attention_k_eq_v, num_global_key_value_heads override the full layers' heads, as
  // Gemma4TextConfig's per_layer_config does (read as written when config.json carries one).
  static Gemma4Config from_hf(const HfConfig& config);
};

// Per layer: q/o at the layer's heads, k and v unless kv-shared (k alone with k_eq_v); the MLP,
// router + top_k experts with enable_moe_block, and with PLE 3·d·P (per_layer_input_gate,
// per_layer_projection, and the layer's P columns of per_layer_model_projection).
ModelShape gemma4_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_gemma4(const LoadRequest& request);

}  // namespace icsweep
