// Per-layer attention types (Gemma 3, OLMo 3): which layers attend within a sliding window, and the
// rope of each layer type. Torch-free (icsweep_families).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/families/family_config.h"

namespace icsweep {

// config.json layer_types, each checked to be `type_a` or `type_b` (ModelError naming the key for a
// wrong count or another type); empty when the config has none.
std::vector<std::string> checked_layer_types(const HfConfig& config, int64_t num_layers, const std::string& type_a,
                                             const std::string& type_b);

// (L) true for a "sliding_attention" layer: config.json layer_types (transformers >= 4.53) when
// present (ModelError naming the key for a wrong count or an unknown type); else every
// sliding_window_pattern-th layer (1-based; default `default_pattern`) full, the others sliding.
std::vector<bool> sliding_layers(const HfConfig& config, int64_t num_layers, int64_t default_pattern);

// One layer type's rope from its rope_parameters-style object ({"rope_type", "rope_theta", ...}),
// over `dim` rotary dimensions; ModelError naming the layer type for an unsupported rope type.
RopeConfig layer_type_rope(const HfConfig& config, const nlohmann::json& params, const std::string& layer_type,
                           int64_t dim);

struct LayerTypeRopes {
  RopeConfig full, sliding;
};

// transformers 5: rope_parameters {"full_attention": {...}, "sliding_attention": {...}}. Earlier
// configs: rope_theta (default `full_theta`) with rope_scaling (or a flat rope_parameters) for the
// full layers; the sliding layers unscaled at `sliding_theta_key` (default `sliding_theta`).
LayerTypeRopes rope_per_layer_type(const HfConfig& config, int64_t rotary_dim, double full_theta,
                                   const std::string& sliding_theta_key, double sliding_theta);

}  // namespace icsweep
