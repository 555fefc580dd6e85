#include "core/model/families/olmo2.h"

#include "core/model/families/layer_type_config.h"

namespace icsweep {

Olmo2Config Olmo2Config::from_hf(const HfConfig& config) {
  Olmo2Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.attention_bias = config.get_bool("attention_bias", false);
  require_silu_activation(config, config.model_type());
  c.sliding_window.assign(c.num_layers, 0);
  if (config.model_type() != "olmo3") {
    c.rope = c.rope_sliding = RopeConfig::from_hf(config, c.heads.head_dim);
    return c;
  }
  // Olmo3Config: rope_theta (default 10000) for both layer types, rope_scaling for the full layers only.
  const auto sliding = sliding_layers(config, c.num_layers, /*default_pattern=*/4);
  const int64_t window = config.get_int("sliding_window", 4096);
  for (int64_t i = 0; i < c.num_layers; ++i) c.sliding_window[i] = sliding[i] ? window : 0;
  const auto ropes = rope_per_layer_type(config, c.heads.head_dim, 10000.0, "rope_theta", 10000.0);
  c.rope = ropes.full;
  c.rope_sliding = ropes.sliding;
  return c;
}

ModelShape olmo2_shape(const HfConfig& config, const std::string&) {
  const auto c = Olmo2Config::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, c.sliding_window);
}

}  // namespace icsweep
