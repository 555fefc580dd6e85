#include "core/model/families/gated_deltanet_config.h"

#include <string>

#include "core/common/errors.h"
#include "core/model/families/layer_type_config.h"

namespace icsweep {

GatedDeltaNetDims GatedDeltaNetDims::from_hf(const HfConfig& config) {
  GatedDeltaNetDims d;
  const std::pair<const char*, int64_t*> keys[] = {{"linear_num_key_heads", &d.key_heads},
                                                   {"linear_num_value_heads", &d.value_heads},
                                                   {"linear_key_head_dim", &d.key_head_dim},
                                                   {"linear_value_head_dim", &d.value_head_dim},
                                                   {"linear_conv_kernel_dim", &d.conv_kernel}};
  for (const auto& [key, slot] : keys) {
    *slot = config.get_int(key);
    if (*slot <= 0)
      throw ModelError(config.source() + ": key '" + key + "' must be positive (got " + std::to_string(*slot) + ")");
  }
  if (d.value_heads % d.key_heads != 0)
    throw ModelError(config.source() + ": key 'linear_num_value_heads' (" + std::to_string(d.value_heads) +
                     ") must be a multiple of 'linear_num_key_heads' (" + std::to_string(d.key_heads) + ")");
  return d;
}

std::vector<bool> linear_attention_layers(const HfConfig& config, int64_t num_layers) {
  std::vector<bool> linear;
  const auto layer_types = checked_layer_types(config, num_layers, "linear_attention", "full_attention");
  for (const auto& type : layer_types) linear.push_back(type == "linear_attention");
  if (!layer_types.empty()) return linear;
  const int64_t interval = config.get_int("full_attention_interval", 4);
  if (interval <= 0) throw ModelError(config.source() + ": key 'full_attention_interval' must be positive");
  for (int64_t i = 0; i < num_layers; ++i) linear.push_back((i + 1) % interval != 0);
  return linear;
}

LayerShape gated_deltanet_layer(int64_t hidden, const GatedDeltaNetDims& dims, int64_t mlp_weights) {
  LayerShape l;
  l.attention_weights = hidden * dims.projection_rows() + dims.value_dim() * hidden;
  l.gdn_heads = dims.value_heads;
  l.gdn_key_dim = dims.key_head_dim;
  l.gdn_value_dim = dims.value_head_dim;
  l.gdn_conv_channels = dims.conv_dim();
  l.gdn_conv_kernel = dims.conv_kernel;
  l.gdn_chunk = GatedDeltaNetDims::kChunk;
  l.mlp_weights = mlp_weights;
  return l;
}

}  // namespace icsweep
