#include "core/model/qwen2_moe.h"

#include <map>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

Qwen2MoeConfig Qwen2MoeConfig::from_hf(const HfConfig& config) {
  Qwen2MoeConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.num_kv_heads = config.get_int("num_key_value_heads", c.num_heads);
  c.head_dim = config.get_int("head_dim", c.hidden_size / c.num_heads);
  c.num_experts = config.get_int("num_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.shared_expert_intermediate_size = config.get_int("shared_expert_intermediate_size");
  c.norm_topk_prob = config.get_bool("norm_topk_prob", false);
  c.qkv_bias = config.get_bool("qkv_bias", true);  // Qwen1.5/2-MoE configs on the Hub omit it
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
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the qwen2_moe family implements only silu");
  c.sparse = qwen_sparse_layers(config, c.num_layers, c.num_experts);

  // As Qwen2: a window only with use_sliding_window, on the layers layer_types marks
  // "sliding_attention" (older configs: layers >= max_window_layers).
  c.sliding_window.assign(c.num_layers, 0);
  if (config.get_bool("use_sliding_window", false) && config.get_int("sliding_window", 0) > 0) {
    const int64_t window = config.get_int("sliding_window");
    const auto layer_types = config.get_strings("layer_types");
    const int64_t max_window_layers = config.get_int("max_window_layers", c.num_layers);
    for (int64_t i = 0; i < c.num_layers; ++i) {
      const bool sliding = layer_types.size() == static_cast<size_t>(c.num_layers)
                               ? layer_types[i] == "sliding_attention"
                               : i >= max_window_layers;
      if (sliding) c.sliding_window[i] = window;
    }
  }
  c.rope = RopeConfig::from_hf(config, c.head_dim);
  return c;
}

Qwen2MoeModel::Qwen2MoeModel(Qwen2MoeConfig config, Qwen2MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
                             torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor Qwen2MoeModel::attention(const Qwen2MoeLayerWeights& w, const torch::Tensor& x,
                                       const torch::Tensor& cos, const torch::Tensor& sin,
                                       const torch::Tensor& mask) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  auto q = linear(x, w.q_proj, w.q_bias).view({b, t, h, dh}).transpose(1, 2);    // (B, H, T, Dh)
  auto k = linear(x, w.k_proj, w.k_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  auto v = linear(x, w.v_proj, w.v_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  q = apply_rotary(q, cos, sin);
  k = repeat_kv(apply_rotary(k, cos, sin), h / hkv);  // (B, H, T, Dh)
  v = repeat_kv(v, h / hkv);
  auto out = causal_attention(q, k, v, mask).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
  return torch::matmul(out, w.o_proj.t());                                             // (B, T, D)
}

torch::Tensor Qwen2MoeModel::moe(const Qwen2MoeLayerWeights& w, const torch::Tensor& x) const {
  auto flat = x.reshape({-1, x.size(-1)});                                             // (N, D)
  auto routing = softmax_topk_routing(flat, w.router, config_.top_k, config_.norm_topk_prob);
  auto routed = routed_swiglu_experts(flat, routing, w.experts);                       // (N, D)
  auto shared = torch::sigmoid(torch::matmul(flat, w.shared_expert_gate.t())) * swiglu(flat, w.shared_expert);
  return (routed + shared).view(x.sizes());                                            // (B, T, D)
}

torch::Tensor Qwen2MoeModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  auto x = torch::embedding(weights_.embed_tokens, ids);              // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, t, dtype_, device_);  // (T, Dh) each
  std::map<int64_t, torch::Tensor> masks;  // per distinct window
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    const int64_t window = config_.sliding_window[i];
    if (!masks.count(window)) masks[window] = attention_mask(t, window, device_);
    x = x + attention(w, rms_norm(x, w.input_layernorm, config_.rms_norm_eps), cos, sin, masks[window]);
    auto h = rms_norm(x, w.post_attention_layernorm, config_.rms_norm_eps);
    x = x + (config_.sparse[i] ? moe(w, h) : swiglu(h, w.mlp));
  }
  return rms_norm(x, weights_.norm, config_.rms_norm_eps);  // (B, T, D)
}

torch::Tensor Qwen2MoeModel::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_qwen2_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                         ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const Qwen2MoeConfig c = Qwen2MoeConfig::from_hf(config);
  const int64_t d = c.hidden_size, v = c.vocab_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;

  Qwen2MoeWeights w;
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
    if (c.qkv_bias) {
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, &l.q_bias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, &l.k_bias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, &l.v_bias});
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
    add_swiglu_specs(specs, p + "mlp.shared_expert.", kProjNames, d, c.shared_expert_intermediate_size,
                     l.shared_expert);
    specs.push_back({p + "mlp.shared_expert_gate.weight", {1, d}, &l.shared_expert_gate});
  }
  auto ignore = [](const std::string& name) {
    const std::string suffix = "rotary_emb.inv_freq";
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  load_weights(checkpoint, specs, dtype, device, ignore);
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "qwen2_moe";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<Qwen2MoeModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
