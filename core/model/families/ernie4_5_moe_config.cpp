#include "core/model/families/ernie4_5_moe.h"

#include "core/common/errors.h"

namespace icsweep {

Ernie45MoeConfig Ernie45MoeConfig::from_hf(const HfConfig& config) {
  Ernie45MoeConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.use_bias = config.get_bool("use_bias", false);
  c.num_experts = config.get_int("moe_num_experts");
  c.top_k = config.get_int("moe_k");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.num_shared_experts = config.get_int("moe_num_shared_experts");
  c.moe_norm_min = config.get_double("moe_norm_min");
  require_top_k(config, c.top_k, c.num_experts, "moe_num_experts");
  require_silu_activation(config, "ernie4_5_moe");
  const int64_t interval = config.get_int("moe_layer_interval");
  if (interval < 1)
    throw ModelError(config.source() + ": key 'moe_layer_interval' must be >= 1 (got " + std::to_string(interval) + ")");
  const int64_t start = config.get_int("moe_layer_start_index");
  int64_t end = config.get_int("moe_layer_end_index");
  if (end == -1) end = c.num_layers - 1;  // Ernie4_5_MoeConfig.__post_init__
  c.sparse.resize(c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) c.sparse[i] = (i + 1) % interval == 0 && i >= start && i <= end;
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape ernie4_5_moe_shape(const HfConfig& config, const std::string&) {
  const auto c = Ernie45MoeConfig::from_hf(config);
  const ExpertDims experts{c.num_experts, c.top_k, c.moe_intermediate_size,
                           c.moe_intermediate_size * c.num_shared_experts};
  return moe_decoder_shape(c.dims(), c.heads, experts, c.sparse, {});
}

}  // namespace icsweep
