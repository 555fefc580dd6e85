#include "core/model/families/gpt_oss.h"

#include <cmath>

#include "core/common/errors.h"

namespace icsweep {
namespace {

// GptOssConfig's defaults when config.json names no rope at all: yarn, factor 32 over a 4096-token
// pretraining context, no truncation, theta 150000.
RopeConfig default_rope(const HfConfig& config, int64_t head_dim) {
  RopeConfig rope;
  rope.type = "yarn";
  rope.dim = head_dim;
  rope.theta = config.get_double("rope_theta", 150000.0);
  rope.max_position_embeddings = config.get_int("max_position_embeddings", 131072);
  rope.original_max_position_embeddings = 4096;
  rope.factor = 32.0;
  rope.attention_factor = 0.1 * std::log(rope.factor) + 1.0;
  rope.truncate = false;
  return rope;
}

}  // namespace

GptOssConfig GptOssConfig::from_hf(const HfConfig& config) {
  GptOssConfig c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5, /*default_head_dim=*/64);
  c.num_experts = config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok", 4);
  c.swiglu_alpha = config.get_double("swiglu_alpha", 1.702);
  c.swiglu_limit = config.get_double("swiglu_limit", 7.0);
  c.attention_bias = config.get_bool("attention_bias", true);
  require_top_k(config, c.top_k, c.num_experts, "num_local_experts");

  // layer_types, else GptOssConfig's default: sliding on even layers, full on odd ones.
  const auto layer_types = config.get_strings("layer_types");
  if (!layer_types.empty() && layer_types.size() != static_cast<size_t>(c.num_layers))
    throw ModelError(config.source() + ": key 'layer_types' lists " + std::to_string(layer_types.size()) +
                     " layers, num_hidden_layers is " + std::to_string(c.num_layers));
  const int64_t window = config.get_int("sliding_window", 0);  // null: no window anywhere
  c.sliding_window.assign(c.num_layers, 0);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string type =
        layer_types.empty() ? (i % 2 == 0 ? "sliding_attention" : "full_attention") : layer_types[i];
    if (type != "sliding_attention" && type != "full_attention")
      throw ModelError(config.source() + ": key 'layer_types' has '" + type +
                       "'; gpt_oss layers are sliding_attention or full_attention");
    if (type == "sliding_attention") c.sliding_window[i] = window;
  }
  auto params = config.has("rope_parameters") ? config.object("rope_parameters") : config.object("rope_scaling");
  if (!params) {
    c.rope = default_rope(config, c.heads.head_dim);
  } else {
    c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
    if (!config.has("rope_theta") && !params->has("rope_theta")) c.rope.theta = 150000.0;  // GptOssConfig.default_theta
  }
  return c;
}

ModelShape gpt_oss_shape(const HfConfig& config, const std::string&) {
  const auto c = GptOssConfig::from_hf(config);
  // Every layer: router d·E + top-k experts of gate_up (D, 2F) and down (F, D).
  const ExpertDims experts{c.num_experts, c.top_k, c.intermediate_size, 0};
  return moe_decoder_shape(c.dims(), c.heads, experts, std::vector<bool>(c.num_layers, true), c.sliding_window);
}

}  // namespace icsweep
