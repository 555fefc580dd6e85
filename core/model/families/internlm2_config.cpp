#include "core/model/families/internlm2.h"

namespace icsweep {

LlamaConfig internlm2_config(const HfConfig& config) {
  LlamaConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  c.model_type = "internlm2";
  c.heads.head_dim = c.hidden_size / c.heads.num_heads;  // InternLM2Attention has no head_dim key
  c.qkv_bias = c.o_bias = config.get_bool("bias", true);  // InternLM2Config defaults bias to true
  require_silu_activation(config, "internlm2");
  c.sliding_window.assign(c.num_layers, 0);
  // rope_scaling {"type": "dynamic" | "linear", "factor"}: the same formulas as transformers' Llama.
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape internlm2_shape(const HfConfig& config, const std::string&) {
  return llama_like_shape(internlm2_config(config));
}

}  // namespace icsweep
