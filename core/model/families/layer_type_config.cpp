#include "core/model/families/layer_type_config.h"

#include <nlohmann/json.hpp>

#include "core/common/errors.h"

namespace icsweep {
namespace {

bool has_value(const nlohmann::json& j, const char* key) { return j.contains(key) && !j[key].is_null(); }

}  // namespace

RopeConfig layer_type_rope(const HfConfig& config, const nlohmann::json& params, const std::string& layer_type,
                           int64_t dim) {
  const nlohmann::json view = {{"max_position_embeddings", config.get_int("max_position_embeddings", 131072)},
                               {"rope_parameters", params}};
  return RopeConfig::from_hf(HfConfig(view, config.source() + " [rope of " + layer_type + "]"), dim);
}

std::vector<std::string> checked_layer_types(const HfConfig& config, int64_t num_layers, const std::string& type_a,
                                             const std::string& type_b) {
  const auto layer_types = config.get_strings("layer_types");
  if (layer_types.empty()) return layer_types;
  if (layer_types.size() != static_cast<size_t>(num_layers))
    throw ModelError(config.source() + ": key 'layer_types' has " + std::to_string(layer_types.size()) +
                     " entries for " + std::to_string(num_layers) + " layers");
  for (const auto& type : layer_types)
    if (type != type_a && type != type_b)
      throw ModelError(config.source() + ": key 'layer_types' holds '" + type + "' (expected " + type_a + " or " +
                       type_b + ")");
  return layer_types;
}

std::vector<bool> sliding_layers(const HfConfig& config, int64_t num_layers, int64_t default_pattern) {
  std::vector<bool> sliding;
  const auto layer_types = checked_layer_types(config, num_layers, "sliding_attention", "full_attention");
  if (!layer_types.empty()) {
    for (const auto& type : layer_types) sliding.push_back(type == "sliding_attention");
    return sliding;
  }
  const int64_t pattern =
      config.get_int("sliding_window_pattern", config.get_int("_sliding_window_pattern", default_pattern));
  if (pattern <= 0) throw ModelError(config.source() + ": key 'sliding_window_pattern' must be positive");
  for (int64_t i = 0; i < num_layers; ++i) sliding.push_back((i + 1) % pattern != 0);
  return sliding;
}

LayerTypeRopes rope_per_layer_type(const HfConfig& config, int64_t rotary_dim, double full_theta,
                                   const std::string& sliding_theta_key, double sliding_theta) {
  nlohmann::json full = nlohmann::json::object(), sliding = nlohmann::json::object();
  const auto params = config.object("rope_parameters");
  if (params && (params->has("full_attention") || params->has("sliding_attention"))) {
    if (auto p = params->object("full_attention")) full = p->json();
    if (auto p = params->object("sliding_attention")) sliding = p->json();
  } else if (auto scaling = config.object("rope_scaling")) {
    full = scaling->json();
  } else if (params) {
    full = params->json();
  }
  if (!has_value(full, "rope_theta")) full["rope_theta"] = config.get_double("rope_theta", full_theta);
  if (!has_value(sliding, "rope_theta")) sliding["rope_theta"] = config.get_double(sliding_theta_key, sliding_theta);
  return {layer_type_rope(config, full, "full_attention", rotary_dim),
          layer_type_rope(config, sliding, "sliding_attention", rotary_dim)};
}

}  // namespace icsweep
