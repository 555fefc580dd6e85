#include "core/model/families/ernie4_5.h"

namespace icsweep {

RopeConfig ernie4_5_rope(const HfConfig& config, int64_t head_dim) {
  RopeConfig rope = RopeConfig::from_hf(config, head_dim);
  const auto params = rope_object(config);
  if (!config.has("rope_theta") && !(params && params->has("rope_theta"))) rope.theta = 500000.0;  // default_theta
  return rope;
}

Ernie4_5Config Ernie4_5Config::from_hf(const HfConfig& config) {
  Ernie4_5Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.use_bias = config.get_bool("use_bias", false);
  require_silu_activation(config, "ernie4_5");
  c.rope = ernie4_5_rope(config, c.heads.head_dim);
  return c;
}

ModelShape ernie4_5_shape(const HfConfig& config, const std::string&) {
  const auto c = Ernie4_5Config::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, {});
}

}  // namespace icsweep
