#include "core/model/families/gemma3.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace icsweep {
namespace {

// One layer type's rope from a rope_parameters-style object ({"rope_type", "rope_theta", ...}).
RopeConfig rope_for(const HfConfig& config, const nlohmann::json& params, const std::string& layer_type, int64_t dim) {
  const nlohmann::json view = {{"max_position_embeddings", config.get_int("max_position_embeddings", 131072)},
                               {"rope_parameters", params}};
  return RopeConfig::from_hf(HfConfig(view, config.source() + " [rope of " + layer_type + "]"), dim);
}

bool has_value(const nlohmann::json& j, const char* key) { return j.contains(key) && !j[key].is_null(); }

}  // namespace

Gemma3Config Gemma3Config::from_hf(const HfConfig& config) {
  Gemma3Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  c.query_pre_attn_scalar = config.get_double("query_pre_attn_scalar", 256);
  c.attn_logit_softcapping = config.get_double("attn_logit_softcapping", 0.0);
  c.final_logit_softcapping = config.get_double("final_logit_softcapping", 0.0);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.sliding_window = config.get_int("sliding_window", 4096);
  c.hidden_activation = config.get_string("hidden_activation", config.get_string("hidden_act", "gelu_pytorch_tanh"));
  if (!activation_supported(c.hidden_activation))
    throw ModelError(config.source() + ": key 'hidden_activation' is '" + c.hidden_activation +
                     "', which icsweep does not implement");
  if (config.get_bool("use_bidirectional_attention", false))
    throw ModelError(config.source() + ": key 'use_bidirectional_attention' is true (an encoder, e.g. EmbeddingGemma); "
                     "icsweep scores causal language models only");

  // layer_types (transformers >= 4.53); older configs: every sliding_window_pattern-th layer is global.
  const auto layer_types = config.get_strings("layer_types");
  if (!layer_types.empty()) {
    if (layer_types.size() != static_cast<size_t>(c.num_layers))
      throw ModelError(config.source() + ": key 'layer_types' has " + std::to_string(layer_types.size()) +
                       " entries for " + std::to_string(c.num_layers) + " layers");
    for (const auto& type : layer_types) {
      if (type != "sliding_attention" && type != "full_attention")
        throw ModelError(config.source() + ": key 'layer_types' holds '" + type +
                         "' (expected sliding_attention or full_attention)");
      c.sliding.push_back(type == "sliding_attention");
    }
  } else {
    const int64_t pattern = config.get_int("sliding_window_pattern", config.get_int("_sliding_window_pattern", 6));
    if (pattern <= 0) throw ModelError(config.source() + ": key 'sliding_window_pattern' must be positive");
    for (int64_t i = 0; i < c.num_layers; ++i) c.sliding.push_back((i + 1) % pattern != 0);
  }

  // transformers 5: rope_parameters {"sliding_attention": {...}, "full_attention": {...}}. 4.x (the
  // published configs): rope_theta + rope_scaling for the global layers, rope_local_base_freq for
  // the local ones, which never scale.
  nlohmann::json full = nlohmann::json::object(), local = nlohmann::json::object();
  const auto params = config.object("rope_parameters");
  if (params && (params->has("full_attention") || params->has("sliding_attention"))) {
    if (auto p = params->object("full_attention")) full = p->json();
    if (auto p = params->object("sliding_attention")) local = p->json();
  } else if (auto scaling = config.object("rope_scaling")) {
    full = scaling->json();
  } else if (params) {
    full = params->json();
  }
  if (!has_value(full, "rope_theta")) full["rope_theta"] = config.get_double("rope_theta", 1000000.0);
  if (!has_value(local, "rope_theta")) local["rope_theta"] = config.get_double("rope_local_base_freq", 10000.0);
  c.rope_full = rope_for(config, full, "full_attention", c.heads.head_dim);
  c.rope_sliding = rope_for(config, local, "sliding_attention", c.heads.head_dim);
  return c;
}

ModelShape gemma3_shape(const HfConfig& config, const std::string&) {
  const auto c = Gemma3Config::from_hf(config);
  std::vector<int64_t> windows;
  for (bool sliding : c.sliding) windows.push_back(sliding ? c.sliding_window : 0);
  return gated_decoder_shape(c.dims(), c.heads, windows);
}

}  // namespace icsweep
