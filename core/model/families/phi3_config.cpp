#include "core/model/families/phi3.h"

#include <cmath>

#include "core/common/errors.h"

namespace icsweep {

Phi3Config Phi3Config::from_hf(const HfConfig& config) {
  Phi3Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.sliding_window = config.get_int("sliding_window", 0);
  require_silu_activation(config, "phi3");

  const int64_t rotary_dim =
      static_cast<int64_t>(static_cast<double>(c.heads.head_dim) * partial_rotary_factor(config, 1.0));
  const auto rope = rope_object(config);
  const std::string type = rope ? rope->get_string("rope_type", rope->get_string("type", "default")) : "default";
  if (type != "longrope" && type != "su" && type != "yarn") {
    c.rope = RopeConfig::from_hf(config, rotary_dim);
    return c;
  }
  // LongRoPE (transformers' _compute_longrope_parameters; Phi3Config renames old "su"/"yarn").
  c.rope.dim = rotary_dim;
  c.rope.theta = rope->get_double("rope_theta", config.get_double("rope_theta", 10000.0));
  c.rope.max_position_embeddings = config.get_int("max_position_embeddings");
  auto& lr = c.longrope;
  lr.enabled = true;
  lr.short_factor = rope->get_doubles("short_factor");
  lr.long_factor = rope->get_doubles("long_factor");
  if (lr.short_factor.size() != static_cast<size_t>(rotary_dim / 2) ||
      lr.long_factor.size() != static_cast<size_t>(rotary_dim / 2))
    throw ModelError(config.source() + ": longrope short_factor and long_factor need " +
                     std::to_string(rotary_dim / 2) + " entries each (rotary dims / 2), got " +
                     std::to_string(lr.short_factor.size()) + " and " + std::to_string(lr.long_factor.size()));
  lr.original_max_position_embeddings = rope->get_int(
      "original_max_position_embeddings", config.get_int("original_max_position_embeddings", c.rope.max_position_embeddings));
  // Phi-3 derives the factor from the two lengths when "factor" is absent.
  const double factor = rope->get_double("factor", static_cast<double>(c.rope.max_position_embeddings) /
                                                       static_cast<double>(lr.original_max_position_embeddings));
  lr.attention_factor =
      rope->get_double("attention_factor",
                       factor <= 1.0 ? 1.0
                                     : std::sqrt(1.0 + std::log(factor) /
                                                           std::log(static_cast<double>(lr.original_max_position_embeddings))));
  return c;
}

ModelShape phi3_shape(const HfConfig& config, const std::string&) {
  const auto c = Phi3Config::from_hf(config);
  return gated_decoder_shape(c.dims(), c.heads, std::vector<int64_t>(c.num_layers, c.sliding_window));
}

}  // namespace icsweep
