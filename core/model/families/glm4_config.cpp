#include "core/model/families/glm4.h"

#include "core/common/errors.h"

namespace icsweep {

Glm4Config Glm4Config::from_hf(const HfConfig& config) {
  Glm4Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1.5625e-07);
  c.attention_bias = config.get_bool("attention_bias", true);
  require_silu_activation(config, "glm4");
  const int64_t rotary_dim =
      static_cast<int64_t>(static_cast<double>(c.heads.head_dim) * partial_rotary_factor(config, 0.5));
  if (rotary_dim < 2 || rotary_dim > c.heads.head_dim)
    throw ModelError(config.source() + ": key 'partial_rotary_factor' gives " + std::to_string(rotary_dim) +
                     " rotary dims for head_dim " + std::to_string(c.heads.head_dim));
  c.rope = RopeConfig::from_hf(config, rotary_dim);
  return c;
}

ModelShape glm4_shape(const HfConfig& config, const std::string&) {
  const auto c = Glm4Config::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, {});
}

}  // namespace icsweep
