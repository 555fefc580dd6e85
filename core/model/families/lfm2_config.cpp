#include "core/model/families/lfm2.h"

#include <algorithm>

#include "core/common/errors.h"
#include "core/model/families/ssm_config.h"

namespace icsweep {
namespace {

// Lfm2Config.__post_init__: layer_types as written, else "full_attention" at full_attn_idxs (every
// layer when that is absent too) and "conv" elsewhere.
std::vector<bool> attention_flags(const HfConfig& config, int64_t num_layers) {
  const auto types = config.get_strings("layer_types");
  std::vector<bool> attention(num_layers, false);
  if (types.empty()) {
    const auto idxs = config.get_ints("full_attn_idxs");
    for (int64_t i = 0; i < num_layers; ++i)
      attention[i] = !config.has("full_attn_idxs") || std::find(idxs.begin(), idxs.end(), i) != idxs.end();
    return attention;
  }
  if (static_cast<int64_t>(types.size()) != num_layers)
    throw ModelError(config.source() + ": layer_types has " + std::to_string(types.size()) +
                     " entries for num_hidden_layers " + std::to_string(num_layers));
  for (int64_t i = 0; i < num_layers; ++i) {
    if (types[i] != "full_attention" && types[i] != "conv")
      throw ModelError(config.source() + ": layer_types entry '" + types[i] + "' is not full_attention or conv");
    attention[i] = types[i] == "full_attention";
  }
  return attention;
}

// Lfm2MLP's width.
int64_t feed_forward_dim(const HfConfig& config) {
  int64_t f = config.has("block_ff_dim") ? config.get_int("block_ff_dim") : config.get_int("intermediate_size");
  if (!config.get_bool("block_auto_adjust_ff_dim", true)) return f;
  f = static_cast<int64_t>(2.0 * static_cast<double>(f) / 3.0);
  if (!config.has("block_ffn_dim_multiplier")) return f;
  f = static_cast<int64_t>(config.get_double("block_ffn_dim_multiplier") * static_cast<double>(f));
  const int64_t multiple = config.get_int("block_multiple_of");
  if (multiple <= 0) throw ModelError(config.source() + ": block_multiple_of must be positive");
  return multiple * ((f + multiple - 1) / multiple);
}

}  // namespace

Lfm2Config Lfm2Config::from_hf(const HfConfig& config) {
  Lfm2Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-5);
  c.rms_norm_eps = config.get_double("norm_eps");  // every Lfm2RMSNorm's, whatever rms_norm_eps says
  c.intermediate_size = feed_forward_dim(config);
  // Lfm2Config takes the older tie_embedding over tie_word_embeddings.
  c.tie_word_embeddings = config.get_bool("tie_embedding", c.tie_word_embeddings);
  c.attention_layers = attention_flags(config, c.num_layers);
  c.conv_kernel = config.get_int("conv_L_cache");
  c.conv_bias = config.get_bool("conv_bias", false);
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

ModelShape lfm2_shape(const HfConfig& config, const std::string&) {
  const auto c = Lfm2Config::from_hf(config);
  const int64_t mlp = gated_mlp_weights(c.hidden_size, c.intermediate_size);
  std::vector<LayerShape> layers;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    LayerShape l = c.attention_layers[i] ? attention_layer(c.hidden_size, c.heads, 0)
                                         : short_conv_layer(c.hidden_size, c.conv_kernel);
    l.mlp_weights = mlp;
    layers.push_back(l);
  }
  return model_shape(c.dims(), std::move(layers));
}

}  // namespace icsweep
