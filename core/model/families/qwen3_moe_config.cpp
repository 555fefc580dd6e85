#include "core/model/families/qwen3_moe.h"

#include "core/common/errors.h"

namespace icsweep {

Qwen3MoeConfig Qwen3MoeConfig::from_hf(const HfConfig& config) {
  Qwen3MoeConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  if (!config.has("num_experts") && !config.has("num_local_experts"))
    throw ModelError(config.source() + ": key 'num_experts' (or 'num_local_experts') is missing");
  c.num_experts = config.has("num_experts") ? config.get_int("num_experts") : config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.norm_topk_prob = config.get_bool("norm_topk_prob", false);
  c.qkv_bias = c.o_bias = config.get_bool("attention_bias", false);
  c.qk_norm = true;
  if (c.num_experts > 0) require_top_k(config, c.top_k, c.num_experts, "num_experts");
  require_silu_activation(config, "qwen3_moe");
  c.sparse = qwen_sparse_layers(config, c.num_layers, c.num_experts);
  // Qwen3MoeConfig keeps sliding_window only with use_sliding_window; it then applies to every layer.
  const bool windowed = config.get_bool("use_sliding_window", false);
  c.sliding_window.assign(c.num_layers, windowed ? config.get_int("sliding_window", 0) : 0);
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape qwen3_moe_shape(const HfConfig& config, const std::string&) {
  return sparse_moe_shape(Qwen3MoeConfig::from_hf(config));
}

}  // namespace icsweep
