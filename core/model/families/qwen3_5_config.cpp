#include "core/model/families/qwen3_5.h"

#include <algorithm>

namespace icsweep {

Qwen3_5Config Qwen3_5Config::from_hf(const HfConfig& config) {
  Qwen3_5Config c;
  c.next_layout = config.model_type() == "qwen3_next";
  const bool moe = c.next_layout || config.model_type() == "qwen3_5_moe_text";
  // Qwen3.5-MoE has no dense MLP (no intermediate_size); Qwen3-Next keeps one for its mlp_only_layers.
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6, 0, /*dense_mlp=*/!moe || c.next_layout);
  c.linear = GatedDeltaNetDims::from_hf(config);
  c.linear_layer = linear_attention_layers(config, c.num_layers);
  require_silu_activation(config, config.model_type());
  if (moe) {
    c.num_experts = config.get_int("num_experts");
    c.top_k = config.get_int("num_experts_per_tok");
    c.moe_intermediate_size = config.get_int("moe_intermediate_size");
    c.shared_expert_intermediate_size = config.get_int("shared_expert_intermediate_size");
    // Qwen3_5MoeTopKRouter always renormalises; Qwen3NextTopKRouter where norm_topk_prob says.
    c.norm_topk_prob = !c.next_layout || config.get_bool("norm_topk_prob", true);
    if (c.num_experts > 0) require_top_k(config, c.top_k, c.num_experts, "num_experts");
  }
  // Qwen3-Next: sparse where qwen_sparse_layers() says; Qwen3.5-MoE: every layer.
  c.sparse = c.next_layout ? qwen_sparse_layers(config, c.num_layers, c.num_experts)
                           : std::vector<bool>(c.num_layers, moe && c.num_experts > 0);
  c.rope = RopeConfig::from_hf(config, partial_rotary_dims(config, c.heads.head_dim, 0.25));
  return c;
}

ModelShape qwen3_5_shape(const HfConfig& config, const std::string&) {
  const auto c = Qwen3_5Config::from_hf(config);
  const int64_t d = c.hidden_size;
  const ExpertDims experts{c.num_experts, c.top_k, c.moe_intermediate_size, c.shared_expert_intermediate_size, d};
  // Full attention: q_proj holds each head's query and output gate (2·H·Dh rows).
  const int64_t attention = attention_weights(d, c.heads) + d * c.heads.q_dim();
  std::vector<LayerShape> layers;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const int64_t mlp = c.sparse[i] ? experts.weights(d) : gated_mlp_weights(d, c.intermediate_size);
    if (c.linear_layer[i]) {
      layers.push_back(gated_deltanet_layer(d, c.linear, mlp));
    } else {
      layers.push_back(attention_layer(d, c.heads, mlp));
      layers.back().attention_weights = attention;
    }
  }
  auto shape = model_shape(c.dims(), std::move(layers), experts);
  shape.notes.push_back("Gated DeltaNet on " +
                        std::to_string(std::count(c.linear_layer.begin(), c.linear_layer.end(), true)) + " of " +
                        std::to_string(c.num_layers) + " layers: projections, causal conv and chunked delta rule " +
                        "(chunks of " + std::to_string(GatedDeltaNetDims::kChunk) + ") as computed");
  return shape;
}

}  // namespace icsweep
