#include "core/model/families/glm4_moe.h"

#include "core/common/errors.h"
#include "core/config/fp8_format.h"

namespace icsweep {

Glm4MoeConfig Glm4MoeConfig::from_hf(const HfConfig& config) {
  Glm4MoeConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.rotary_dim = static_cast<int64_t>(static_cast<double>(c.heads.head_dim) * partial_rotary_factor(config, 0.5));
  c.attention_bias = config.get_bool("attention_bias", false);
  c.use_qk_norm = config.get_bool("use_qk_norm", false);
  c.first_k_dense_replace = config.get_int("first_k_dense_replace", 1);
  c.num_experts = config.get_int("n_routed_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.n_shared_experts = config.get_int("n_shared_experts", 1);
  c.n_group = config.get_int("n_group", 1);
  c.topk_group = config.get_int("topk_group", 1);
  c.norm_topk_prob = config.get_bool("norm_topk_prob", true);
  c.routed_scaling_factor = config.get_double("routed_scaling_factor", 1.0);
  if (c.rotary_dim <= 0 || c.rotary_dim % 2 != 0)
    throw ModelError(config.source() + ": head_dim * partial_rotary_factor must be a positive even number (got " +
                     std::to_string(c.rotary_dim) + ")");
  require_silu_activation(config, "glm4_moe");
  c.rope = RopeConfig::from_hf(config, c.rotary_dim);
  return c;
}

void Glm4MoeConfig::check_loadable(const HfConfig& config) const {
  read_fp8_format(config);  // FP8 checkpoints load (fp8_store.h); any other quantization: ModelError naming it
  if (num_experts < 1 || top_k < 1 || n_group < 1 || topk_group < 1 || num_experts % n_group != 0 ||
      topk_group > n_group || top_k > topk_group * (num_experts / n_group))
    throw ModelError(config.source() + ": n_routed_experts (" + std::to_string(num_experts) + "), n_group (" +
                     std::to_string(n_group) + "), topk_group (" + std::to_string(topk_group) +
                     ") and num_experts_per_tok (" + std::to_string(top_k) +
                     ") do not fit: the groups must split the experts evenly and hold the top-k");
}

ModelShape glm4_moe_shape(const HfConfig& config, const std::string&) {
  const auto c = Glm4MoeConfig::from_hf(config);
  const ExpertDims experts{c.num_experts, c.top_k, c.moe_intermediate_size,
                           c.moe_intermediate_size * c.n_shared_experts};
  return moe_decoder_shape(c.dims(), c.heads, experts, sparse_after(c.num_layers, c.first_k_dense_replace), {});
}

}  // namespace icsweep
