#include "core/model/families/olmo2.h"

namespace icsweep {

Olmo2Config Olmo2Config::from_hf(const HfConfig& config) {
  Olmo2Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.attention_bias = config.get_bool("attention_bias", false);
  require_silu_activation(config, "olmo2");
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape olmo2_shape(const HfConfig& config, const std::string&) {
  const auto c = Olmo2Config::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, {});
}

}  // namespace icsweep
