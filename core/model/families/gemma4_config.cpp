#include "core/model/families/gemma4.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/families/layer_type_config.h"

namespace icsweep {
namespace {

// rope_parameters {"sliding_attention": {...}, "full_attention": {...}} (Gemma4TextConfig's defaults
// for an absent one: default rope at 10,000 on sliding layers, proportional at 1,000,000 over a
// quarter of the full layers' heads). A "proportional" rope (_compute_proportional_rope_parameters)
// is the default frequencies over the whole head, divided by `factor` (a linear rope), of which only
// the first int(partial_rotary_factor · dim / 2) pairs rotate: c.rope_full_pairs.
void read_ropes(const HfConfig& config, int64_t global_head_dim, Gemma4Config& c) {
  nlohmann::json full = {{"rope_type", "proportional"}, {"partial_rotary_factor", 0.25}, {"rope_theta", 1000000.0}};
  nlohmann::json sliding = {{"rope_type", "default"}, {"rope_theta", 10000.0}};
  if (const auto params = config.object("rope_parameters")) {
    if (auto p = params->object("full_attention")) full = p->json();
    if (auto p = params->object("sliding_attention")) sliding = p->json();
  }
  c.rope_full_pairs = global_head_dim / 2;
  if (full.value("rope_type", "default") == "proportional") {
    const auto fraction = full.value("partial_rotary_factor", 1.0);
    c.rope_full_pairs = static_cast<int64_t>(std::floor(fraction * static_cast<double>(global_head_dim) / 2.0));
    full = {{"rope_type", "linear"}, {"factor", full.value("factor", 1.0)}, {"rope_theta", full.value("rope_theta", 10000.0)}};
  }
  c.rope_full = layer_type_rope(config, full, "full_attention", global_head_dim);
  c.rope_sliding = layer_type_rope(config, sliding, "sliding_attention", c.heads.head_dim);
}

// One layer's heads with an override object's head_dim, num_key_value_heads, num_attention_heads.
HeadLayout override_heads(const HfConfig& config, HeadLayout heads, const HfConfig& entry, const std::string& key) {
  heads.head_dim = entry.get_int("head_dim", heads.head_dim);
  heads.num_kv_heads = entry.get_int("num_key_value_heads", heads.num_kv_heads);
  heads.num_heads = entry.get_int("num_attention_heads", heads.num_heads);
  if (heads.head_dim <= 0 || heads.num_kv_heads <= 0 || heads.num_heads % heads.num_kv_heads != 0)
    throw ModelError(config.source() + ": key '" + key + "' gives head_dim " + std::to_string(heads.head_dim) + ", " +
                     std::to_string(heads.num_heads) + " heads and " + std::to_string(heads.num_kv_heads) +
                     " kv heads (positive, the kv heads dividing the heads)");
  return heads;
}

// Each layer's heads. config.json written by transformers >= 5.15 holds Gemma4TextConfig's
// per_layer_config ({"<layer>": {"head_dim": ..., "num_key_value_heads": ...}}), used as written;
// earlier ones the flat global_head_dim (default 512) and, gated by attention_k_eq_v,
// num_global_key_value_heads, which __post_init__ turns into that override of the full layers.
std::vector<HeadLayout> read_layer_heads(const HfConfig& config, const Gemma4Config& c) {
  nlohmann::json flat = {{"head_dim", config.get_int("global_head_dim", 512)}};
  if (c.attention_k_eq_v && config.has("num_global_key_value_heads"))
    flat["num_key_value_heads"] = config.get_int("num_global_key_value_heads");
  const auto per_layer = config.object("per_layer_config");
  std::vector<HeadLayout> heads;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string key = std::to_string(i);
    if (per_layer && per_layer->object(key))
      heads.push_back(override_heads(config, c.heads, *per_layer->object(key), "per_layer_config." + key));
    else if (!per_layer && !c.sliding[i])
      heads.push_back(override_heads(config, c.heads, HfConfig(flat, config.source()), "global_head_dim"));
    else
      heads.push_back(c.heads);
  }
  return heads;
}

// The kv-shared layers read the keys and values of the last earlier layer of their type.
void check_kv_sharing(const HfConfig& config, const Gemma4Config& c) {
  const int64_t shared = c.num_layers - c.first_kv_shared_layer;
  if (shared < 0 || shared >= c.num_layers)
    throw ModelError(config.source() + ": key 'num_kv_shared_layers' is " + std::to_string(shared) +
                     "; it must be below num_hidden_layers (" + std::to_string(c.num_layers) + ")");
  for (int64_t i = c.first_kv_shared_layer; i < c.num_layers; ++i) {
    bool source = false;
    for (int64_t j = 0; j < c.first_kv_shared_layer; ++j) source = source || c.sliding[j] == c.sliding[i];
    if (!source)
      throw ModelError(config.source() + ": layer " + std::to_string(i) +
                       " shares keys and values (num_kv_shared_layers) but no earlier layer has its type in "
                       "'layer_types'");
  }
}

void read_moe(const HfConfig& config, Gemma4Config& c) {
  c.enable_moe_block = config.get_bool("enable_moe_block", false);
  if (!c.enable_moe_block) return;
  c.num_experts = config.get_int("num_experts", 0);
  c.top_k_experts = config.get_int("top_k_experts", 0);
  c.moe_intermediate_size = config.get_int("moe_intermediate_size", 0);
  require_top_k(config, c.top_k_experts, c.num_experts, "num_experts");
  if (c.moe_intermediate_size <= 0)
    throw ModelError(config.source() + ": enable_moe_block is true but key 'moe_intermediate_size' is not positive");
}

}  // namespace

int64_t Gemma4Config::mlp_width(int64_t layer) const {
  const bool double_wide = use_double_wide_mlp && kv_shared(layer) && first_kv_shared_layer > 0;
  return intermediate_size * (double_wide ? 2 : 1);
}

Gemma4Config Gemma4Config::from_hf(const HfConfig& config) {
  Gemma4Config c;
  static_cast<DecoderConfig&>(c) = DecoderConfig::read(config, 1e-6);
  c.hidden_activation = config.get_string("hidden_activation");
  if (!activation_supported(c.hidden_activation))
    throw ModelError(config.source() + ": key 'hidden_activation' is '" + c.hidden_activation +
                     "', which icsweep does not implement");
  if (config.get_string("use_bidirectional_attention", "") == "all")
    throw ModelError(config.source() + ": key 'use_bidirectional_attention' is 'all' (an encoder); "
                     "icsweep scores causal language models only");
  c.sliding_window = config.get_int("sliding_window");
  c.final_logit_softcapping = config.get_double("final_logit_softcapping", 0.0);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.attention_k_eq_v = config.get_bool("attention_k_eq_v", false);
  c.sliding = sliding_layers(config, c.num_layers, /*default_pattern=*/6);
  c.sliding.back() = false;  // Gemma4TextConfig forces the last layer to full_attention
  c.layer_heads = read_layer_heads(config, c);
  c.first_kv_shared_layer = c.num_layers - config.get_int("num_kv_shared_layers", 0);
  check_kv_sharing(config, c);
  c.use_double_wide_mlp = config.get_bool("use_double_wide_mlp", false);
  c.per_layer_input_size = config.get_int("hidden_size_per_layer_input", 0);
  c.vocab_size_per_layer_input = config.get_int("vocab_size_per_layer_input", c.vocab_size);
  read_moe(config, c);
  read_ropes(config, c.layer_heads.back().head_dim, c);  // the last layer is a full one
  return c;
}

ModelShape gemma4_shape(const HfConfig& config, const std::string&) {
  const auto c = Gemma4Config::from_hf(config);
  const int64_t d = c.hidden_size;
  const ExpertDims experts{c.num_experts, c.top_k_experts, c.moe_intermediate_size};
  std::vector<LayerShape> layers;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const HeadLayout& h = c.layer_heads[i];
    int64_t mlp = gated_mlp_weights(d, c.mlp_width(i)) + 3 * d * c.per_layer_input_size;
    if (c.enable_moe_block) mlp += experts.weights(d);
    LayerShape layer = attention_layer(d, h, mlp, c.sliding[i] ? c.sliding_window : 0);
    const int64_t kv_projections = c.kv_shared(i) ? 0 : (c.value_is_key(i) ? 1 : 2);
    layer.attention_weights = 2 * d * h.q_dim() + kv_projections * d * h.kv_dim();  // q, o + k, v
    layers.push_back(layer);
  }
  ShapeDims dims = c.dims();
  auto shape = model_shape(dims, std::move(layers), experts);
  if (c.per_layer_input_size > 0)
    shape.notes.push_back("per-layer embeddings: 3·d·" + std::to_string(c.per_layer_input_size) + " per layer");
  if (c.first_kv_shared_layer < c.num_layers)
    shape.notes.push_back("keys and values shared by the last " + std::to_string(c.num_layers - c.first_kv_shared_layer) +
                          " layers (no k/v projections there)");
  return shape;
}

}  // namespace icsweep
