#include "core/model/families/glm4.h"

namespace icsweep {

Glm4Config Glm4Config::from_hf(const HfConfig& config) {
  Glm4Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1.5625e-07);
  c.attention_bias = config.get_bool("attention_bias", true);
  require_silu_activation(config, "glm4");
  c.rope = RopeConfig::from_hf(config, partial_rotary_dims(config, c.heads.head_dim, 0.5));
  return c;
}

ModelShape glm4_shape(const HfConfig& config, const std::string&) {
  const auto c = Glm4Config::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, {});
}

}  // namespace icsweep
