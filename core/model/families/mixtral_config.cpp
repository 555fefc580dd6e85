#include "core/model/families/mixtral.h"

namespace icsweep {

MixtralConfig MixtralConfig::from_hf(const HfConfig& config) {
  MixtralConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.num_experts = config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = c.intermediate_size;  // intermediate_size is each expert's width
  c.norm_topk_prob = true;
  c.sliding_window.assign(c.num_layers, config.get_int("sliding_window", 0));
  c.sparse.assign(c.num_layers, true);
  require_top_k(config, c.top_k, c.num_experts, "num_local_experts");
  require_silu_activation(config, "mixtral");
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape sparse_moe_shape(const SparseMoeConfig& c) {
  const ExpertDims experts{c.num_experts, c.top_k, c.moe_intermediate_size, c.shared_expert_intermediate_size,
                           c.shared_expert_intermediate_size > 0 ? c.hidden_size : 0};
  return moe_decoder_shape(c.dims(), c.heads, experts, c.sparse, c.sliding_window);
}

ModelShape mixtral_shape(const HfConfig& config, const std::string&) {
  return sparse_moe_shape(MixtralConfig::from_hf(config));
}

}  // namespace icsweep
