#include "core/model/families/minimax_m2.h"

#include "core/common/errors.h"
#include "core/config/fp8_format.h"

namespace icsweep {

MinimaxM2Config MinimaxM2Config::from_hf(const HfConfig& config) {
  MinimaxM2Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  // Published configs (remote code) write "rotary_dim" (64 of head_dim 128) and no
  // partial_rotary_factor; transformers then takes partial_rotary_factor = rotary_dim / head_dim.
  const double factor = partial_rotary_factor(config, -1.0);  // -1: written nowhere
  c.rotary_dim = factor < 0 && config.has("rotary_dim")
                     ? config.get_int("rotary_dim")
                     : static_cast<int64_t>(static_cast<double>(c.heads.head_dim) * (factor < 0 ? 1.0 : factor));
  c.num_experts = config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  if (c.rotary_dim <= 0 || c.rotary_dim % 2 != 0)
    throw ModelError(config.source() + ": head_dim * partial_rotary_factor must be a positive even number (got " +
                     std::to_string(c.rotary_dim) + ")");
  require_top_k(config, c.top_k, c.num_experts, "num_local_experts");
  require_silu_activation(config, "minimax_m2");
  c.rope = RopeConfig::from_hf(config, c.rotary_dim);
  return c;
}

void MinimaxM2Config::check_loadable(const HfConfig& config) const {
  read_fp8_format(config);  // FP8 checkpoints load (fp8_store.h); any other quantization: ModelError naming it
  if (config.has("rotary_dim") && config.get_int("rotary_dim") != rotary_dim)
    throw ModelError(config.source() + ": key 'rotary_dim' is " + std::to_string(config.get_int("rotary_dim")) +
                     " but partial_rotary_factor makes head_dim * partial_rotary_factor = " +
                     std::to_string(rotary_dim) + " rotary dims; which one the checkpoint was trained with is unclear");
}

ModelShape minimax_m2_shape(const HfConfig& config, const std::string&) {
  const auto c = MinimaxM2Config::from_hf(config);
  const ExpertDims experts{c.num_experts, c.top_k, c.intermediate_size};
  return moe_decoder_shape(c.dims(), c.heads, experts, std::vector<bool>(c.num_layers, true), {});
}

}  // namespace icsweep
