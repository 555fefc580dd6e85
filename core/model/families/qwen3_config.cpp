#include "core/model/families/qwen3.h"

namespace icsweep {

LlamaConfig qwen3_config(const HfConfig& config) {
  LlamaConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  c.model_type = "qwen3";
  c.qkv_bias = c.o_bias = config.get_bool("attention_bias", false);
  require_silu_activation(config, "qwen3");
  c.sliding_window = qwen_sliding_windows(config, c.num_layers);
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape qwen3_shape(const HfConfig& config, const std::string&) { return llama_like_shape(qwen3_config(config)); }

}  // namespace icsweep
