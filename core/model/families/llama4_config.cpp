#include "core/model/families/llama4.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace icsweep {
namespace {

// attn_temperature_tuning was an integer (4) in the first published configs, a bool since.
bool truthy(const HfConfig& config, const std::string& key, bool fallback) {
  if (!config.has(key)) return fallback;
  const auto& j = config.json().contains(key) ? config.json()[key] : nlohmann::json();
  if (j.is_number()) return j.get<double>() != 0.0;
  return config.get_bool(key, fallback);
}

std::vector<int64_t> get_ints(const HfConfig& config, const std::string& key) {
  std::vector<int64_t> out;
  for (double v : config.get_doubles(key)) out.push_back(static_cast<int64_t>(v));
  return out;
}

}  // namespace

Llama4Config Llama4Config::from_hf(const HfConfig& config) {
  Llama4Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5, /*default_head_dim=*/128);
  c.intermediate_size_mlp = config.get_int("intermediate_size_mlp", 16384);
  c.num_experts = config.get_int("num_local_experts", 16);
  c.top_k = config.get_int("num_experts_per_tok", 1);
  c.hidden_act = config.get_string("hidden_act", "silu");
  c.attention_bias = config.get_bool("attention_bias", false);
  c.use_qk_norm = config.get_bool("use_qk_norm", true);
  c.attn_temperature_tuning = truthy(config, "attn_temperature_tuning", true);
  c.floor_scale = config.get_double("floor_scale", 8192);
  c.attn_scale = config.get_double("attn_scale", 0.1);
  const std::string& src = config.source();
  require_top_k(config, c.top_k, c.num_experts, "num_local_experts");
  if (!activation_supported(c.hidden_act))
    throw ModelError(src + ": key 'hidden_act' is '" + c.hidden_act + "', which icsweep does not implement");
  if (c.heads.head_dim % 2 != 0) throw ModelError(src + ": key 'head_dim' must be even for rotary embeddings");

  // no_rope_layers (1 = rope); missing or empty: NoPE every no_rope_layer_interval-th layer.
  auto no_rope = get_ints(config, "no_rope_layers");
  if (no_rope.empty()) {
    const int64_t interval = config.get_int("no_rope_layer_interval", 4);
    if (interval <= 0) throw ModelError(src + ": key 'no_rope_layer_interval' must be positive");
    for (int64_t i = 0; i < c.num_layers; ++i) no_rope.push_back((i + 1) % interval != 0);
  }
  if (no_rope.size() < static_cast<size_t>(c.num_layers))
    throw ModelError(src + ": key 'no_rope_layers' lists " + std::to_string(no_rope.size()) +
                     " layers, num_hidden_layers is " + std::to_string(c.num_layers));
  // moe_layers, else every interleave_moe_layer_step-th layer (an empty list: no MoE layers).
  c.is_moe.assign(c.num_layers, false);
  if (config.has("moe_layers")) {
    for (int64_t i : get_ints(config, "moe_layers")) {
      if (i < 0 || i >= c.num_layers)
        throw ModelError(src + ": key 'moe_layers' names layer " + std::to_string(i) + ", outside 0.." +
                         std::to_string(c.num_layers - 1));
      c.is_moe[i] = true;
    }
  } else {
    const int64_t step = config.get_int("interleave_moe_layer_step", 1);
    if (step <= 0) throw ModelError(src + ": key 'interleave_moe_layer_step' must be positive");
    for (int64_t i = step - 1; i < c.num_layers; i += step) c.is_moe[i] = true;
  }
  // layer_types, else chunked attention on the rope layers. A null attention_chunk_size leaves
  // chunked layers fully causal.
  const auto layer_types = config.get_strings("layer_types");
  if (!layer_types.empty() && layer_types.size() != static_cast<size_t>(c.num_layers))
    throw ModelError(src + ": key 'layer_types' lists " + std::to_string(layer_types.size()) +
                     " layers, num_hidden_layers is " + std::to_string(c.num_layers));
  const int64_t chunk = config.get_int("attention_chunk_size", 0);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    c.use_rope.push_back(no_rope[i] != 0);
    const std::string type =
        layer_types.empty() ? (no_rope[i] ? "chunked_attention" : "full_attention") : layer_types[i];
    if (type != "chunked_attention" && type != "full_attention")
      throw ModelError(src + ": key 'layer_types' has '" + type +
                       "'; llama4 layers are chunked_attention or full_attention");
    c.chunk_size.push_back(type == "chunked_attention" ? chunk : 0);
  }
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  auto params = config.has("rope_parameters") ? config.object("rope_parameters") : config.object("rope_scaling");
  if (!config.has("rope_theta") && !(params && params->has("rope_theta"))) c.rope.theta = 500000.0;
  return c;
}

ModelShape llama4_shape(const HfConfig& config, const std::string&) {
  const auto c = Llama4Config::from_hf(config);
  auto dims = c.dims();
  dims.intermediate = c.intermediate_size_mlp;  // the dense layers'
  // MoE layers: router, the top-k routed experts and the shared expert, all intermediate_size wide.
  const ExpertDims experts{c.num_experts, c.top_k, c.intermediate_size, c.intermediate_size};
  auto shape = moe_decoder_shape(dims, c.heads, experts, c.is_moe, {});
  for (int64_t i = 0; i < c.num_layers; ++i) shape.layers[i].chunk = c.chunk_size[i];
  return shape;
}

}  // namespace icsweep
