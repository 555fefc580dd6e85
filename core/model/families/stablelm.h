// StableLmForCausalLM (transformers' modeling_stablelm.py; StableLM 2, StableLM-3B-4E1T): LayerNorm
// blocks with biases (input_layernorm, post_attention_layernorm, the final norm), q/k/v with an
// optional bias (use_qkv_bias) and o_proj without, grouped kv heads with head_dim = hidden_size /
// num_attention_heads, rotary embeddings on the first head_dim * partial_rotary_factor dims (0.25 by
// default), optional per-head LayerNorms without bias on q and k before the rotary (qk_layernorm:
// self_attn.{q,k}_layernorm.norms.<h>.weight, one per head), a gated MLP of hidden_act, and with
// use_parallel_residual x + attn(ln(x)) + mlp(ln(x)) (no post_attention_layernorm).
#pragma once

#include <string>

#include "core/model/families/family_config.h"

namespace icsweep {

struct StableLmConfig : DecoderConfig {  // DecoderConfig's rms_norm_eps is unused
  double layer_norm_eps = 1e-5;
  bool use_qkv_bias = false;
  bool qk_layernorm = false;
  bool use_parallel_residual = false;
  std::string hidden_act = "silu";
  // rope.dim = int(head_dim * partial_rotary_factor)

  static StableLmConfig from_hf(const HfConfig& config);
};

ModelShape stablelm_shape(const HfConfig& config, const std::string& model_type);
std::unique_ptr<CausalLM> load_stablelm(const LoadRequest& request);

}  // namespace icsweep
