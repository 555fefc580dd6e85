#include "core/model/gemma3.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

// Gemma3RMSNorm: normalise and multiply by (1 + w) in fp32, then cast back (not Llama's
// cast-then-multiply). x: (..., D), weight: (D).
torch::Tensor gemma_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto h = x.to(torch::kFloat32);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (h * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());
}

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
  c.vocab_size = config.get_int("vocab_size", 262208);
  c.hidden_size = config.get_int("hidden_size", 2304);
  c.intermediate_size = config.get_int("intermediate_size", 9216);
  c.num_layers = config.get_int("num_hidden_layers", 26);
  c.heads.num_heads = config.get_int("num_attention_heads", 8);  // Gemma3TextConfig's defaults
  c.heads.num_kv_heads = config.get_int("num_key_value_heads", 4);
  c.heads.head_dim = config.get_int("head_dim", 256);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.query_pre_attn_scalar = config.get_double("query_pre_attn_scalar", 256);
  c.attn_logit_softcapping = config.get_double("attn_logit_softcapping", 0.0);
  c.final_logit_softcapping = config.get_double("final_logit_softcapping", 0.0);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", true);
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

Gemma3Model::Gemma3Model(Gemma3Config config, Gemma3Weights weights, ModelInfo info, torch::ScalarType dtype,
                         torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
  }
}

torch::Tensor Gemma3Model::attention(const Gemma3LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, const torch::Tensor& mask) const {
  const int64_t group = config_.heads.num_heads / config_.heads.num_kv_heads;
  const double eps = config_.rms_norm_eps;
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  auto q = apply_rotary(gemma_rms_norm(heads_first(qkv.q), w.q_norm, eps), cos, sin);  // (B, H, T, Dh)
  auto k = repeat_kv(apply_rotary(gemma_rms_norm(heads_first(qkv.k), w.k_norm, eps), cos, sin), group);  // (B, H, T, Dh)
  auto v = repeat_kv(heads_first(qkv.v), group);                                                       // (B, H, T, Dh)
  // Gemma3Attention keeps attn_logit_softcapping but never hands it to the attention function
  // (Gemma 2 does), so transformers does not cap the scores; neither do we.
  const double scale = std::pow(config_.query_pre_attn_scalar, -0.5);
  return project_attention_output(w.attn, scaled_attention(q, k, v, mask, scale, /*softcap=*/0.0));  // (B, T, D)
}

torch::Tensor Gemma3Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  const double eps = config_.rms_norm_eps;
  // Gemma3TextScaledWordEmbedding: the fp32 normaliser is cast to the weight dtype first
  // (sqrt(3072) = 55.43 becomes 55.5 in bf16), as transformers does.
  const auto normalizer =
      torch::scalar_tensor(std::sqrt(static_cast<double>(config_.hidden_size)), torch::kFloat32).to(device_, dtype_);
  auto x = torch::embedding(weights_.embed_tokens, ids) * normalizer;            // (B, T, D)
  auto [cos_full, sin_full] = rope_cos_sin(config_.rope_full, t, dtype_, device_);           // (T, Dh) each
  auto [cos_local, sin_local] = rope_cos_sin(config_.rope_sliding, t, dtype_, device_);      // (T, Dh) each
  const auto window_mask = attention_mask(t, config_.sliding_window, device_);  // undefined: plain causal
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    const bool sliding = config_.sliding[i];
    auto h = attention(w, gemma_rms_norm(x, w.input_layernorm, eps), sliding ? cos_local : cos_full,
                       sliding ? sin_local : sin_full, sliding ? window_mask : torch::Tensor());
    x = x + gemma_rms_norm(h, w.post_attention_layernorm, eps);
    h = gated_mlp(gemma_rms_norm(x, w.pre_feedforward_layernorm, eps), w.mlp, config_.hidden_activation);
    x = x + gemma_rms_norm(h, w.post_feedforward_layernorm, eps);
  }
  return gemma_rms_norm(x, weights_.norm, eps);  // (B, T, D)
}

torch::Tensor Gemma3Model::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  auto logits = torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
  const double cap = config_.final_logit_softcapping;
  if (cap > 0) logits = torch::tanh(logits / cap) * cap;
  return logits;
}

std::unique_ptr<CausalLM> load_gemma3(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                      torch::ScalarType dtype, torch::Device device) {
  const Gemma3Config c = Gemma3Config::from_hf(config);
  const int64_t d = c.hidden_size, v = c.vocab_size, dh = c.heads.head_dim;

  // Where the language model lives: text-only, published multimodal, transformers-5 multimodal.
  std::string prefix = "language_model.model.", head = "language_model.lm_head.weight";
  for (const auto& [p, lm_head] : {std::pair<std::string, std::string>{"model.", "lm_head.weight"},
                                   {"language_model.model.", "language_model.lm_head.weight"},
                                   {"model.language_model.", "lm_head.weight"}})
    if (checkpoint.find(p + "embed_tokens.weight")) {
      prefix = p;
      head = lm_head;
      break;
    }

  Gemma3Weights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim (under the prefix).
  std::vector<WeightSpec> specs = {
      {prefix + "embed_tokens.weight", {v, d}, &w.embed_tokens},
      {prefix + "norm.weight", {d}, &w.norm},
      {head, {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings},
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = prefix + "layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.q_norm.weight", {dh}, &l.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {dh}, &l.k_norm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "pre_feedforward_layernorm.weight", {d}, &l.pre_feedforward_layernorm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
    specs.push_back({p + "post_feedforward_layernorm.weight", {d}, &l.post_feedforward_layernorm});
  }
  // The image side of multimodal checkpoints, in either layout.
  auto ignore = [](const std::string& name) {
    for (const char* skip : {"vision_tower.", "multi_modal_projector.", "model.vision_tower.",
                             "model.multi_modal_projector."})
      if (name.rfind(skip, 0) == 0) return true;
    return false;
  };
  load_weights(checkpoint, specs, dtype, device, ignore);
  // Tied: transformers points lm_head at the embedding, ignoring any saved lm_head.weight.
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "gemma3";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? head : "");  // the head's name varies
  return std::make_unique<Gemma3Model>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
