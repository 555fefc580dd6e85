#include "core/model/families/granitemoehybrid.h"

#include "core/common/errors.h"

namespace icsweep {
namespace {

// layer_types (alias layers_block_type), transformers' legacy spellings included: true for a
// Mamba-2 layer. Absent: every layer Mamba-2, as GraniteMoeHybridConfig defaults.
std::vector<bool> mamba_layer_flags(const HfConfig& config, int64_t num_layers) {
  auto types = config.get_strings("layer_types");
  if (types.empty()) types = config.get_strings("layers_block_type");
  if (types.empty()) return std::vector<bool>(num_layers, true);
  if (static_cast<int64_t>(types.size()) != num_layers)
    throw ModelError(config.source() + ": layer_types has " + std::to_string(types.size()) +
                     " entries for num_hidden_layers " + std::to_string(num_layers));
  std::vector<bool> mamba;
  for (const auto& t : types) {
    if (t != "mamba" && t != "linear_attention" && t != "attention" && t != "full_attention")
      throw ModelError(config.source() + ": layer_types entry '" + t +
                       "' is not one of mamba, linear_attention, attention, full_attention");
    mamba.push_back(t == "mamba" || t == "linear_attention");
  }
  return mamba;
}

}  // namespace

GraniteMoeHybridConfig GraniteMoeHybridConfig::from_hf(const HfConfig& config) {
  GraniteMoeHybridConfig c;
  static_cast<GraniteConfig&>(c) = GraniteConfig::from_hf(config);
  c.mamba_layers = mamba_layer_flags(config, c.num_layers);
  const std::string position = config.get_string("position_embedding_type", "");
  if (!position.empty() && position != "rope" && position != "nope")
    throw ModelError(config.source() + ": position_embedding_type '" + position + "' is not rope or nope");
  c.use_rope = position == "rope";
  c.num_experts = config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  if (c.num_experts > 0) require_top_k(config, c.top_k, c.num_experts, "num_local_experts");
  c.shared_intermediate_size = config.get_int("shared_intermediate_size");
  c.mamba = Mamba2Dims::from_hf(config, config.get_int("mamba_expand") * c.hidden_size);
  c.mamba_proj_bias = config.get_bool("mamba_proj_bias", false);
  c.mamba_conv_bias = config.get_bool("mamba_conv_bias", true);
  return c;
}

ModelShape granitemoehybrid_shape(const HfConfig& config, const std::string&) {
  const auto c = GraniteMoeHybridConfig::from_hf(config);
  const ExpertDims experts{c.num_experts, c.num_experts > 0 ? c.top_k : 0, c.intermediate_size,
                           c.shared_intermediate_size, 0};
  std::vector<LayerShape> layers;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    LayerShape l = c.mamba_layers[i] ? mamba2_layer(c.hidden_size, c.mamba) : attention_layer(c.hidden_size, c.heads, 0);
    l.mlp_weights = experts.weights(c.hidden_size);
    layers.push_back(l);
  }
  auto dims = c.dims();
  dims.intermediate = c.shared_intermediate_size;
  return model_shape(dims, std::move(layers), experts);
}

}  // namespace icsweep
