#include "core/model/qwen3_moe.h"

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

Qwen3MoeConfig Qwen3MoeConfig::from_hf(const HfConfig& config) {
  Qwen3MoeConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.num_kv_heads = config.get_int("num_key_value_heads", c.num_heads);
  c.head_dim = config.get_int("head_dim", c.hidden_size / c.num_heads);
  if (!config.has("num_experts") && !config.has("num_local_experts"))
    throw ModelError(config.source() + ": key 'num_experts' (or 'num_local_experts') is missing");
  c.num_experts = config.has("num_experts") ? config.get_int("num_experts") : config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.norm_topk_prob = config.get_bool("norm_topk_prob", false);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(c.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(c.num_kv_heads) + ")");
  if (c.num_experts > 0 && (c.top_k <= 0 || c.top_k > c.num_experts))
    throw ModelError(config.source() + ": num_experts_per_tok (" + std::to_string(c.top_k) +
                     ") must be between 1 and num_experts (" + std::to_string(c.num_experts) + ")");
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the qwen3_moe family implements only silu");
  c.sparse = qwen_sparse_layers(config, c.num_layers, c.num_experts);
  // Qwen3MoeConfig keeps sliding_window only with use_sliding_window; it then applies to every layer.
  if (config.get_bool("use_sliding_window", false)) c.sliding_window = config.get_int("sliding_window", 0);
  c.rope = RopeConfig::from_hf(config, c.head_dim);
  return c;
}

Qwen3MoeModel::Qwen3MoeModel(Qwen3MoeConfig config, Qwen3MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
                             torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor Qwen3MoeModel::attention(const Qwen3MoeLayerWeights& w, const torch::Tensor& x,
                                       const torch::Tensor& cos, const torch::Tensor& sin,
                                       const torch::Tensor& mask) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  const double eps = config_.rms_norm_eps;
  // The per-head norm runs on (B, T, H, Dh), before the transpose and rotary.
  auto q = rms_norm(linear(x, w.q_proj, w.q_bias).view({b, t, h, dh}), w.q_norm, eps).transpose(1, 2);
  auto k = rms_norm(linear(x, w.k_proj, w.k_bias).view({b, t, hkv, dh}), w.k_norm, eps).transpose(1, 2);
  auto v = linear(x, w.v_proj, w.v_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  q = apply_rotary(q, cos, sin);                                                  // (B, H, T, Dh)
  k = repeat_kv(apply_rotary(k, cos, sin), h / hkv);                             // (B, H, T, Dh)
  v = repeat_kv(v, h / hkv);
  auto out = causal_attention(q, k, v, mask).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
  return linear(out, w.o_proj, w.o_bias);                                              // (B, T, D)
}

torch::Tensor Qwen3MoeModel::moe(const Qwen3MoeLayerWeights& w, const torch::Tensor& x) const {
  auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
  auto routing = softmax_topk_routing(flat, w.router, config_.top_k, config_.norm_topk_prob);
  return routed_swiglu_experts(flat, routing, w.experts).view(x.sizes());  // (B, T, D)
}

torch::Tensor Qwen3MoeModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  auto x = torch::embedding(weights_.embed_tokens, ids);              // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, t, dtype_, device_);  // (T, Dh) each
  const auto mask = attention_mask(t, config_.sliding_window, device_);
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    x = x + attention(w, rms_norm(x, w.input_layernorm, config_.rms_norm_eps), cos, sin, mask);
    auto h = rms_norm(x, w.post_attention_layernorm, config_.rms_norm_eps);
    x = x + (config_.sparse[i] ? moe(w, h) : swiglu(h, w.mlp));
  }
  return rms_norm(x, weights_.norm, config_.rms_norm_eps);  // (B, T, D)
}

torch::Tensor Qwen3MoeModel::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_qwen3_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                         ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const Qwen3MoeConfig c = Qwen3MoeConfig::from_hf(config);
  const int64_t d = c.hidden_size, v = c.vocab_size, dh = c.head_dim;
  const int64_t q_dim = c.num_heads * dh, kv_dim = c.num_kv_heads * dh;

  Qwen3MoeWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs = {
      {"model.embed_tokens.weight", {v, d}, &w.embed_tokens},
      {"model.norm.weight", {d}, &w.norm},
      {"lm_head.weight", {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings},
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "self_attn.q_proj.weight", {q_dim, d}, &l.q_proj});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, d}, &l.k_proj});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, d}, &l.v_proj});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, &l.o_proj});
    specs.push_back({p + "self_attn.q_norm.weight", {dh}, &l.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {dh}, &l.k_norm});
    if (c.attention_bias) {
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, &l.q_bias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, &l.k_bias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, &l.v_bias});
      specs.push_back({p + "self_attn.o_proj.bias", {d}, &l.o_bias});
    }
    if (!c.sparse[i]) {
      add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
      continue;
    }
    specs.push_back({p + "mlp.gate.weight", {c.num_experts, d}, &l.router});
    l.experts.resize(c.num_experts);
    for (int64_t e = 0; e < c.num_experts; ++e)
      add_swiglu_specs(specs, p + "mlp.experts." + std::to_string(e) + ".", kProjNames, d, c.moe_intermediate_size,
                       l.experts[e]);
  }
  load_weights(checkpoint, specs, dtype, device);
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "qwen3_moe";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<Qwen3MoeModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
