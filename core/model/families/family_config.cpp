#include "core/model/families/family_config.h"

#include <algorithm>
#include <cmath>

#include "core/common/errors.h"

namespace icsweep {

HeadLayout HeadLayout::from_hf(const HfConfig& config, int64_t hidden_size, int64_t default_head_dim) {
  HeadLayout heads;
  heads.num_heads = config.get_int("num_attention_heads");
  heads.num_kv_heads = config.get_int("num_key_value_heads", heads.num_heads);
  if (heads.num_heads <= 0 || heads.num_kv_heads <= 0 || heads.num_heads % heads.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(heads.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(heads.num_kv_heads) +
                     ")");
  heads.head_dim = config.get_int("head_dim", default_head_dim > 0 ? default_head_dim : hidden_size / heads.num_heads);
  return heads;
}

RopeConfig RopeConfig::from_hf(const HfConfig& config, int64_t rotary_dim) {
  RopeConfig rope;
  rope.dim = rotary_dim;
  rope.max_position_embeddings = config.get_int("max_position_embeddings", 2048);
  rope.theta = config.get_double("rope_theta", 10000.0);
  // transformers 5 writes "rope_parameters" (theta included); 4.x wrote "rope_scaling".
  std::optional<HfConfig> params = config.object("rope_parameters");
  const char* key = "rope_parameters";
  if (!params) {
    params = config.object("rope_scaling");
    key = "rope_scaling";
  }
  if (!params) return rope;
  rope.theta = params->get_double("rope_theta", rope.theta);
  rope.type = params->get_string("rope_type", params->get_string("type", "default"));
  if (rope.type == "default") return rope;
  if (rope.type == "linear") {
    rope.factor = params->get_double("factor");
  } else if (rope.type == "dynamic") {
    rope.factor = params->get_double("factor");
    rope.original_max_position_embeddings =
        params->get_int("original_max_position_embeddings", rope.max_position_embeddings);
  } else if (rope.type == "llama3") {
    rope.factor = params->get_double("factor");
    rope.low_freq_factor = params->get_double("low_freq_factor");
    rope.high_freq_factor = params->get_double("high_freq_factor");
    rope.original_max_position_embeddings = params->get_int("original_max_position_embeddings");
  } else if (rope.type == "yarn") {
    rope.factor = params->get_double("factor");
    // The pretraining length bounds the correction range. transformers 5 keeps the explicit
    // "factor" even where max_position_embeddings / original_max_position_embeddings differs
    // (it only warns), for the frequencies and the attention factor alike.
    rope.original_max_position_embeddings =
        params->get_int("original_max_position_embeddings", rope.max_position_embeddings);
    auto get_mscale = [](double scale, double mscale) {
      return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
    };
    const double mscale = params->get_double("mscale", 0.0);
    const double mscale_all_dim = params->get_double("mscale_all_dim", 0.0);
    if (params->has("attention_factor"))
      rope.attention_factor = params->get_double("attention_factor");
    else if (mscale != 0.0 && mscale_all_dim != 0.0)
      rope.attention_factor = get_mscale(rope.factor, mscale) / get_mscale(rope.factor, mscale_all_dim);
    else
      rope.attention_factor = get_mscale(rope.factor, 1.0);
    // `x or default` in transformers: 0 also falls back.
    rope.beta_fast = params->get_double("beta_fast", 0.0);
    if (rope.beta_fast == 0.0) rope.beta_fast = 32.0;
    rope.beta_slow = params->get_double("beta_slow", 0.0);
    if (rope.beta_slow == 0.0) rope.beta_slow = 1.0;
    rope.truncate = params->get_bool("truncate", true);
  } else {
    throw ModelError(config.source() + ": key '" + key + "': rope type '" + rope.type +
                     "' is not supported by icsweep (supported: default, linear, dynamic, llama3, yarn)");
  }
  return rope;
}

double partial_rotary_factor(const HfConfig& config, double fallback) {
  if (auto params = config.object("rope_parameters"); params && params->has("partial_rotary_factor"))
    return params->get_double("partial_rotary_factor");
  if (config.has("partial_rotary_factor")) return config.get_double("partial_rotary_factor");
  return config.get_double("rotary_pct", fallback);
}

int64_t partial_rotary_dims(const HfConfig& config, int64_t head_dim, double fallback) {
  const auto dims = static_cast<int64_t>(static_cast<double>(head_dim) * partial_rotary_factor(config, fallback));
  if (dims < 2 || dims > head_dim)
    throw ModelError(config.source() + ": key 'partial_rotary_factor' gives " + std::to_string(dims) +
                     " rotary dims for head_dim " + std::to_string(head_dim));
  return dims;
}

std::optional<HfConfig> rope_object(const HfConfig& config) {
  if (auto p = config.object("rope_parameters")) return p;
  return config.object("rope_scaling");
}

bool activation_supported(const std::string& name) {
  for (const char* known : {"gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "silu", "swish", "relu"})
    if (name == known) return true;
  return false;
}

void require_silu_activation(const HfConfig& config, const std::string& family) {
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the " + family +
                     " family implements only silu");
}

void require_top_k(const HfConfig& config, int64_t top_k, int64_t num_experts, const std::string& experts_key) {
  if (top_k <= 0 || top_k > num_experts)
    throw ModelError(config.source() + ": key 'num_experts_per_tok' (" + std::to_string(top_k) +
                     ") must be between 1 and " + experts_key + " (" + std::to_string(num_experts) + ")");
}

std::vector<int64_t> qwen_sliding_windows(const HfConfig& config, int64_t num_layers) {
  std::vector<int64_t> windows(num_layers, 0);
  if (!config.get_bool("use_sliding_window", false) || !config.has("sliding_window")) return windows;
  const int64_t window = config.get_int("sliding_window");
  const auto layer_types = config.get_strings("layer_types");
  const int64_t max_window_layers = config.get_int("max_window_layers", num_layers);
  for (int64_t i = 0; i < num_layers; ++i) {
    const bool sliding = layer_types.size() == static_cast<size_t>(num_layers) ? layer_types[i] == "sliding_attention"
                                                                               : i >= max_window_layers;
    if (sliding) windows[i] = window;
  }
  return windows;
}

std::vector<bool> qwen_sparse_layers(const HfConfig& config, int64_t num_layers, int64_t num_experts) {
  const int64_t step = config.get_int("decoder_sparse_step", 1);
  if (step <= 0)
    throw ModelError(config.source() + ": key 'decoder_sparse_step' must be positive (got " + std::to_string(step) +
                     ")");
  std::vector<bool> sparse(num_layers);
  for (int64_t i = 0; i < num_layers; ++i) sparse[i] = num_experts > 0 && (i + 1) % step == 0;
  for (double layer : config.get_doubles("mlp_only_layers")) {
    const auto i = static_cast<int64_t>(layer);
    if (i >= 0 && i < num_layers) sparse[i] = false;
  }
  return sparse;
}

std::vector<bool> sparse_after(int64_t num_layers, int64_t dense_layers) {
  std::vector<bool> sparse(num_layers);
  for (int64_t i = 0; i < num_layers; ++i) sparse[i] = i >= dense_layers;
  return sparse;
}

int64_t attention_weights(int64_t hidden, const HeadLayout& heads) {
  return hidden * heads.q_dim() + 2 * hidden * heads.kv_dim() + heads.q_dim() * hidden;
}

DecoderConfig DecoderConfig::read(const HfConfig& config, double eps, int64_t default_head_dim, bool dense_mlp) {
  DecoderConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = dense_mlp ? config.get_int("intermediate_size") : config.get_int("intermediate_size", 0);
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size, default_head_dim);
  c.rms_norm_eps = config.get_double("rms_norm_eps", eps);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  return c;
}

ShapeDims DecoderConfig::dims() const {
  return {hidden_size, num_layers, heads.num_heads, heads.num_kv_heads, heads.head_dim, intermediate_size, vocab_size};
}

int64_t ExpertDims::weights(int64_t hidden) const {
  const int64_t shared = shared_intermediate > 0 ? gated_mlp_weights(hidden, shared_intermediate) + shared_gate : 0;
  return hidden * routed + top_k * gated_mlp_weights(hidden, intermediate) + shared;
}

LayerShape attention_layer(int64_t hidden, const HeadLayout& heads, int64_t mlp_weights, int64_t window) {
  LayerShape l;
  l.attention_weights = attention_weights(hidden, heads);
  l.heads = heads.num_heads;
  l.qk_dim = l.v_dim = heads.head_dim;
  l.window = window;
  l.mlp_weights = mlp_weights;
  return l;
}

ModelShape model_shape(const ShapeDims& dims, std::vector<LayerShape> layers, const ExpertDims& experts) {
  ModelShape m;
  m.layers = std::move(layers);
  m.lm_head_weights = dims.hidden * dims.vocab;
  m.dimensions = {{"hidden_size", dims.hidden},     {"num_layers", dims.layers}, {"num_heads", dims.heads},
                  {"num_kv_heads", dims.kv_heads},   {"head_dim", dims.head_dim}, {"intermediate_size", dims.intermediate},
                  {"vocab_size", dims.vocab}};
  if (experts.routed > 0) {
    m.dimensions.insert(m.dimensions.end(), {{"routed_experts", experts.routed},
                                             {"experts_per_token", experts.top_k},
                                             {"expert_intermediate_size", experts.intermediate},
                                             {"shared_intermediate_size", experts.shared_intermediate}});
    m.notes.push_back("MoE: router + " + std::to_string(experts.top_k) + " of " + std::to_string(experts.routed) +
                      " experts" + (experts.shared_intermediate > 0 ? " + shared expert" : "") + " per token");
  }
  if (std::any_of(m.layers.begin(), m.layers.end(), [](const LayerShape& l) { return l.window > 0; }))
    m.notes.push_back("sliding windows as applied per layer");
  return m;
}

ModelShape ungated_decoder_shape(const ShapeDims& dims) {
  const HeadLayout heads{dims.heads, dims.kv_heads, dims.head_dim};
  const LayerShape layer = attention_layer(dims.hidden, heads, 2 * dims.hidden * dims.intermediate);
  return model_shape(dims, std::vector<LayerShape>(dims.layers, layer));
}

ModelShape gated_decoder_shape(const ShapeDims& dims, const HeadLayout& heads, const std::vector<int64_t>& windows) {
  return moe_decoder_shape(dims, heads, {}, std::vector<bool>(dims.layers, false), windows);
}

ModelShape moe_decoder_shape(const ShapeDims& dims, const HeadLayout& heads, const ExpertDims& experts,
                             const std::vector<bool>& sparse, const std::vector<int64_t>& windows) {
  std::vector<LayerShape> layers;
  for (int64_t i = 0; i < dims.layers; ++i) {
    const int64_t mlp = sparse[i] ? experts.weights(dims.hidden) : gated_mlp_weights(dims.hidden, dims.intermediate);
    layers.push_back(attention_layer(dims.hidden, heads, mlp, windows.empty() ? 0 : windows[i]));
  }
  return model_shape(dims, std::move(layers), experts);
}

}  // namespace icsweep
