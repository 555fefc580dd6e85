#include "core/model/olmo2.h"

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

Olmo2Config Olmo2Config::from_hf(const HfConfig& config) {
  Olmo2Config c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.num_kv_heads = config.get_int("num_key_value_heads", c.num_heads);
  c.head_dim = config.get_int("head_dim", c.hidden_size / c.num_heads);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(c.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(c.num_kv_heads) + ")");
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the olmo2 family implements only silu");
  c.rope = RopeConfig::from_hf(config, c.head_dim);
  return c;
}

Olmo2Model::Olmo2Model(Olmo2Config config, Olmo2Weights weights, ModelInfo info, torch::ScalarType dtype,
                       torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor Olmo2Model::attention(const Olmo2LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                    const torch::Tensor& sin) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  const double eps = config_.rms_norm_eps;
  auto q = rms_norm_weight_fp32(linear(x, w.q_proj, w.q_bias), w.q_norm, eps);  // (B, T, H*Dh)
  auto k = rms_norm_weight_fp32(linear(x, w.k_proj, w.k_bias), w.k_norm, eps);  // (B, T, Hkv*Dh)
  auto v = linear(x, w.v_proj, w.v_bias);                                        // (B, T, Hkv*Dh)
  q = apply_rotary(q.view({b, t, h, dh}).transpose(1, 2), cos, sin);             // (B, H, T, Dh)
  k = apply_rotary(k.view({b, t, hkv, dh}).transpose(1, 2), cos, sin);           // (B, Hkv, T, Dh)
  v = v.view({b, t, hkv, dh}).transpose(1, 2);                                    // (B, Hkv, T, Dh)
  auto out = causal_attention(q, k, v, {}).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
  return linear(out, w.o_proj, w.o_bias);                                            // (B, T, D)
}

torch::Tensor Olmo2Model::mlp(const Olmo2LayerWeights& w, const torch::Tensor& x) const {
  auto gate = torch::silu(torch::matmul(x, w.gate_proj.t()));  // (B, T, F)
  auto up = torch::matmul(x, w.up_proj.t());                   // (B, T, F)
  return torch::matmul(gate * up, w.down_proj.t());            // (B, T, D)
}

torch::Tensor Olmo2Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const double eps = config_.rms_norm_eps;
  auto x = torch::embedding(weights_.embed_tokens, ids);                      // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, ids.size(1), dtype_, device_);  // (T, Dh) each
  for (const auto& w : weights_.layers) {
    x = x + rms_norm_weight_fp32(attention(w, x, cos, sin), w.post_attention_layernorm, eps);
    x = x + rms_norm_weight_fp32(mlp(w, x), w.post_feedforward_layernorm, eps);
  }
  return rms_norm_weight_fp32(x, weights_.norm, eps);  // (B, T, D)
}

torch::Tensor Olmo2Model::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_olmo2(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, torch::Device device) {
  const Olmo2Config c = Olmo2Config::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;

  Olmo2Weights w;
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
    specs.push_back({p + "self_attn.q_proj.weight", {q_dim, d}, &l.q_proj});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, d}, &l.k_proj});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, d}, &l.v_proj});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, &l.o_proj});
    specs.push_back({p + "self_attn.q_norm.weight", {q_dim}, &l.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {kv_dim}, &l.k_norm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "mlp.gate_proj.weight", {f, d}, &l.gate_proj});
    specs.push_back({p + "mlp.up_proj.weight", {f, d}, &l.up_proj});
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.down_proj});
    specs.push_back({p + "post_feedforward_layernorm.weight", {d}, &l.post_feedforward_layernorm});
    if (c.attention_bias) {
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, &l.q_bias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, &l.k_bias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, &l.v_bias});
      specs.push_back({p + "self_attn.o_proj.bias", {d}, &l.o_bias});
    }
  }
  load_weights(checkpoint, specs, dtype, device);
  // Tied: transformers points lm_head at the embedding, ignoring any saved lm_head.weight.
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "olmo2";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<Olmo2Model>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
