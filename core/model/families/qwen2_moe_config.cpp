#include "core/model/families/qwen2_moe.h"

namespace icsweep {

Qwen2MoeConfig Qwen2MoeConfig::from_hf(const HfConfig& config) {
  Qwen2MoeConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  c.num_experts = config.get_int("num_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.shared_expert_intermediate_size = config.get_int("shared_expert_intermediate_size");
  c.norm_topk_prob = config.get_bool("norm_topk_prob", false);
  c.qkv_bias = config.get_bool("qkv_bias", true);  // Qwen1.5/2-MoE configs on the Hub omit it
  if (c.num_experts > 0) require_top_k(config, c.top_k, c.num_experts, "num_experts");
  require_silu_activation(config, "qwen2_moe");
  c.sparse = qwen_sparse_layers(config, c.num_layers, c.num_experts);
  c.sliding_window = qwen_sliding_windows(config, c.num_layers);  // as Qwen2
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape qwen2_moe_shape(const HfConfig& config, const std::string&) {
  return sparse_moe_shape(Qwen2MoeConfig::from_hf(config));
}

}  // namespace icsweep
