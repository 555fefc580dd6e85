#include "core/model/families/llama.h"

namespace icsweep {

LlamaConfig LlamaConfig::from_hf(const HfConfig& config, const std::string& model_type) {
  LlamaConfig c;
  // SeedOssConfig: head_dim 128 by default.
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6, model_type == "seed_oss" ? 128 : 0);
  c.model_type = model_type;
  require_silu_activation(config, model_type);
  c.sliding_window.assign(c.num_layers, 0);
  if (model_type == "llama") {
    c.qkv_bias = c.o_bias = config.get_bool("attention_bias", false);
    c.mlp_bias = config.get_bool("mlp_bias", false);
  } else if (model_type == "qwen2") {
    c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
    c.sliding_window = qwen_sliding_windows(config, c.num_layers);
  } else if (model_type == "mistral") {
    if (config.has("sliding_window")) c.sliding_window.assign(c.num_layers, config.get_int("sliding_window"));
  } else if (model_type == "seed_oss") {
    // SeedOssConfig: separate q/k/v and o_proj biases, q/k/v on by default.
    c.qkv_bias = config.get_bool("attention_bias", true);
    c.o_bias = config.get_bool("attention_out_bias", false);
    c.mlp_bias = config.get_bool("mlp_bias", false);
  }
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape llama_like_shape(const LlamaConfig& c) { return gated_decoder_shape(c.dims(), c.heads, c.sliding_window); }

ModelShape llama_shape(const HfConfig& config, const std::string& model_type) {
  return llama_like_shape(LlamaConfig::from_hf(config, model_type));
}

}  // namespace icsweep
