#include "core/model/glm4.h"

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

Glm4Config Glm4Config::from_hf(const HfConfig& config) {
  Glm4Config c;
  c.vocab_size = config.get_int("vocab_size", 151552);
  c.hidden_size = config.get_int("hidden_size", 4096);
  c.intermediate_size = config.get_int("intermediate_size", 13696);
  c.num_layers = config.get_int("num_hidden_layers", 40);
  c.num_heads = config.get_int("num_attention_heads", 32);
  c.num_kv_heads = config.get_int("num_key_value_heads", 2);
  c.head_dim = config.get_int("head_dim", 128);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1.5625e-07);
  c.attention_bias = config.get_bool("attention_bias", true);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(c.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(c.num_kv_heads) + ")");
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the glm4 family implements only silu");
  const int64_t rotary_dim =
      static_cast<int64_t>(static_cast<double>(c.head_dim) * partial_rotary_factor(config, 0.5));
  if (rotary_dim < 2 || rotary_dim > c.head_dim)
    throw ModelError(config.source() + ": key 'partial_rotary_factor' gives " + std::to_string(rotary_dim) +
                     " rotary dims for head_dim " + std::to_string(c.head_dim));
  c.rope = RopeConfig::from_hf(config, rotary_dim);
  return c;
}

Glm4Model::Glm4Model(Glm4Config config, Glm4Weights weights, ModelInfo info, torch::ScalarType dtype,
                     torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor Glm4Model::attention(const Glm4LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                   const torch::Tensor& sin) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  auto q = linear(x, w.q_proj, w.q_bias).view({b, t, h, dh}).transpose(1, 2);    // (B, H, T, Dh)
  auto k = linear(x, w.k_proj, w.k_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  auto v = linear(x, w.v_proj, w.v_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  q = apply_interleaved_rotary(q, cos, sin);
  k = repeat_kv(apply_interleaved_rotary(k, cos, sin), h / hkv);  // (B, H, T, Dh)
  v = repeat_kv(v, h / hkv);
  auto out = causal_attention(q, k, v, {}).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
  return torch::matmul(out, w.o_proj.t());                                          // (B, T, D)
}

torch::Tensor Glm4Model::mlp(const Glm4LayerWeights& w, const torch::Tensor& x) const {
  auto gate_up = torch::matmul(x, w.gate_up_proj.t()).chunk(2, -1);             // 2 x (B, T, F): gate, up
  return torch::matmul(gate_up[1] * torch::silu(gate_up[0]), w.down_proj.t());  // (B, T, D)
}

torch::Tensor Glm4Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const double eps = config_.rms_norm_eps;
  auto x = torch::embedding(weights_.embed_tokens, ids);                      // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, ids.size(1), dtype_, device_);  // (T, Dr) each
  for (const auto& w : weights_.layers) {
    auto h = attention(w, rms_norm(x, w.input_layernorm, eps), cos, sin);
    x = x + rms_norm(h, w.post_self_attn_layernorm, eps);
    h = mlp(w, rms_norm(x, w.post_attention_layernorm, eps));
    x = x + rms_norm(h, w.post_mlp_layernorm, eps);
  }
  return rms_norm(x, weights_.norm, eps);  // (B, T, D)
}

torch::Tensor Glm4Model::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_glm4(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                    torch::ScalarType dtype, torch::Device device) {
  const Glm4Config c = Glm4Config::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;
  const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;

  Glm4Weights w;
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
    specs.push_back({p + "self_attn.q_proj.weight", {q_dim, d}, &l.q_proj});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, d}, &l.k_proj});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, d}, &l.v_proj});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, &l.o_proj});
    specs.push_back({p + "post_self_attn_layernorm.weight", {d}, &l.post_self_attn_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "mlp.gate_up_proj.weight", {2 * f, d}, &l.gate_up_proj});
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.down_proj});
    specs.push_back({p + "post_mlp_layernorm.weight", {d}, &l.post_mlp_layernorm});
    if (c.attention_bias) {
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, &l.q_bias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, &l.k_bias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, &l.v_bias});
    }
  }
  auto ignore = [](const std::string& name) {
    const std::string suffix = "rotary_emb.inv_freq";
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  load_weights(checkpoint, specs, dtype, device, ignore);
  // Tied: transformers points lm_head at the embedding, ignoring any saved lm_head.weight.
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "glm4";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<Glm4Model>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
