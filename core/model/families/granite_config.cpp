#include "core/model/families/granite.h"

namespace icsweep {

GraniteConfig GraniteConfig::from_hf(const HfConfig& config) {
  GraniteConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  require_silu_activation(config, "granite");
  c.attention_bias = config.get_bool("attention_bias", false);
  c.mlp_bias = config.get_bool("mlp_bias", false);
  c.embedding_multiplier = config.get_double("embedding_multiplier", 1.0);
  c.residual_multiplier = config.get_double("residual_multiplier", 1.0);
  c.attention_multiplier = config.get_double("attention_multiplier", 1.0);
  c.logits_scaling = config.get_double("logits_scaling", 1.0);
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape granite_shape(const HfConfig& config, const std::string&) {
  const auto c = GraniteConfig::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, {});
}

}  // namespace icsweep
