#include "core/model/mixtral.h"

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

MixtralConfig MixtralConfig::from_hf(const HfConfig& config) {
  MixtralConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.num_kv_heads = config.get_int("num_key_value_heads", c.num_heads);
  c.head_dim = config.get_int("head_dim", c.hidden_size / c.num_heads);
  c.num_experts = config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.sliding_window = config.get_int("sliding_window", 0);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(c.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(c.num_kv_heads) + ")");
  if (c.top_k <= 0 || c.top_k > c.num_experts)
    throw ModelError(config.source() + ": num_experts_per_tok (" + std::to_string(c.top_k) +
                     ") must be between 1 and num_local_experts (" + std::to_string(c.num_experts) + ")");
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the mixtral family implements only silu");
  c.rope = RopeConfig::from_hf(config, c.head_dim);
  return c;
}

MixtralModel::MixtralModel(MixtralConfig config, MixtralWeights weights, ModelInfo info, torch::ScalarType dtype,
                           torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor MixtralModel::attention(const MixtralLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin, const torch::Tensor& mask) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  auto q = torch::matmul(x, w.q_proj.t()).view({b, t, h, dh}).transpose(1, 2);    // (B, H, T, Dh)
  auto k = torch::matmul(x, w.k_proj.t()).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  auto v = torch::matmul(x, w.v_proj.t()).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  q = apply_rotary(q, cos, sin);
  k = repeat_kv(apply_rotary(k, cos, sin), h / hkv);  // (B, H, T, Dh)
  v = repeat_kv(v, h / hkv);
  auto out = causal_attention(q, k, v, mask).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
  return torch::matmul(out, w.o_proj.t());                                             // (B, T, D)
}

torch::Tensor MixtralModel::moe(const MixtralLayerWeights& w, const torch::Tensor& x) const {
  auto flat = x.reshape({-1, x.size(-1)});                                            // (N, D)
  auto routing = softmax_topk_routing(flat, w.router, config_.top_k, /*renormalize=*/true);
  return routed_swiglu_experts(flat, routing, w.experts).view(x.sizes());             // (B, T, D)
}

torch::Tensor MixtralModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  auto x = torch::embedding(weights_.embed_tokens, ids);              // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, t, dtype_, device_);  // (T, Dh) each
  const auto mask = attention_mask(t, config_.sliding_window, device_);
  for (const auto& w : weights_.layers) {
    x = x + attention(w, rms_norm(x, w.input_layernorm, config_.rms_norm_eps), cos, sin, mask);
    x = x + moe(w, rms_norm(x, w.post_attention_layernorm, config_.rms_norm_eps));
  }
  return rms_norm(x, weights_.norm, config_.rms_norm_eps);  // (B, T, D)
}

torch::Tensor MixtralModel::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_mixtral(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                       ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const MixtralConfig c = MixtralConfig::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;

  MixtralWeights w;
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
    specs.push_back({p + "block_sparse_moe.gate.weight", {c.num_experts, d}, &l.router});
    l.experts.resize(c.num_experts);
    for (int64_t e = 0; e < c.num_experts; ++e)
      add_swiglu_specs(specs, p + "block_sparse_moe.experts." + std::to_string(e) + ".", kMixtralExpertNames, d, f,
                       l.experts[e]);
  }
  auto ignore = [](const std::string& name) {
    const std::string suffix = "rotary_emb.inv_freq";
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  load_weights(checkpoint, specs, dtype, device, ignore);
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "mixtral";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<MixtralModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
