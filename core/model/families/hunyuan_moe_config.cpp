#include "core/model/families/hunyuan_moe.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace icsweep {

HunyuanMoeConfig HunyuanMoeConfig::from_hf(const HfConfig& config) {
  HunyuanMoeConfig c;
  static_cast<HunyuanDenseConfig&>(c) = HunyuanDenseConfig::from_hf(config);
  c.num_experts = config.get_int("num_experts");
  // HunYuanMoEV1Gate: moe_topk[layer_idx] when the config lists one per layer.
  const nlohmann::json* topk = config.value("moe_topk");
  c.top_k = topk && topk->is_array() ? config.get_ints("moe_topk")
                                     : std::vector<int64_t>(c.num_layers, config.get_int("moe_topk"));
  if (static_cast<int64_t>(c.top_k.size()) < c.num_layers)
    throw ModelError(config.source() + ": key 'moe_topk' lists " + std::to_string(c.top_k.size()) +
                     " values for num_hidden_layers " + std::to_string(c.num_layers));
  for (int64_t k : c.top_k) require_top_k(config, k, c.num_experts, "num_experts");
  return c;
}

ModelShape hunyuan_moe_shape(const HfConfig& config, const std::string&) {
  const auto c = HunyuanMoeConfig::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size;
  std::vector<LayerShape> layers;
  for (int64_t i = 0; i < c.num_layers; ++i)
    layers.push_back(attention_layer(d, c.heads, ExpertDims{c.num_experts, c.top_k[i], f, f}.weights(d)));
  return model_shape(c.dims(), std::move(layers), ExpertDims{c.num_experts, c.top_k.empty() ? 0 : c.top_k.front(), f, f});
}

}  // namespace icsweep
