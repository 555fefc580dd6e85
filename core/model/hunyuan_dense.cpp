#include "core/model/hunyuan_dense.h"

#include <cmath>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

HunyuanDenseConfig HunyuanDenseConfig::from_hf(const HfConfig& config) {
  HunyuanDenseConfig c;
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
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act +
                     "'; the hunyuan_v1_dense family implements only silu");
  // Remote-code options that transformers' HunYuanDenseV1 does not implement.
  if (config.get_bool("use_cla", false))
    throw ModelError(config.source() + ": key 'use_cla' is true (cross-layer attention), which neither transformers' "
                     "HunYuanDenseV1 nor icsweep implements");

  // The rope object: rope_parameters (transformers 5) or rope_scaling (published configs:
  // {"type": "dynamic", "alpha": 1000.0, "factor": 1.0, ...}).
  auto params = config.object("rope_parameters");
  if (!params) params = config.object("rope_scaling");
  const std::string type = params ? params->get_string("rope_type", params->get_string("type", "default")) : "default";
  const double alpha = params ? params->get_double("alpha", 0.0) : 0.0;
  if (type == "dynamic" && alpha != 0.0) {
    // HunYuanDenseV1RotaryEmbedding's DynamicNTKAlpha: a fixed base, independent of the length.
    const double dim = static_cast<double>(c.head_dim);
    c.rope.dim = c.head_dim;
    c.rope.max_position_embeddings = config.get_int("max_position_embeddings", 2048);
    c.rope.theta = params->get_double("rope_theta", config.get_double("rope_theta", 10000.0)) *
                   std::pow(alpha, dim / (dim - 2.0));
  } else {
    c.rope = RopeConfig::from_hf(config, c.head_dim);
  }
  return c;
}

HunyuanDenseModel::HunyuanDenseModel(HunyuanDenseConfig config, HunyuanDenseWeights weights, ModelInfo info,
                                     torch::ScalarType dtype, torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor HunyuanDenseModel::attention(const HunyuanDenseLayerWeights& w, const torch::Tensor& x,
                                           const torch::Tensor& cos, const torch::Tensor& sin) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  const double eps = config_.rms_norm_eps;
  auto q = linear(x, w.q_proj, w.q_bias).view({b, t, h, dh}).transpose(1, 2);    // (B, H, T, Dh)
  auto k = linear(x, w.k_proj, w.k_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  auto v = linear(x, w.v_proj, w.v_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  // Unlike Qwen3, the per-head norms come after the rotary embedding.
  q = rms_norm(apply_rotary(q, cos, sin), w.query_layernorm, eps);
  k = repeat_kv(rms_norm(apply_rotary(k, cos, sin), w.key_layernorm, eps), h / hkv);  // (B, H, T, Dh)
  v = repeat_kv(v, h / hkv);
  auto out = causal_attention(q, k, v, {}).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
  return linear(out, w.o_proj, w.o_bias);                                           // (B, T, D)
}

torch::Tensor HunyuanDenseModel::mlp(const HunyuanDenseLayerWeights& w, const torch::Tensor& x) const {
  auto gate = torch::silu(torch::matmul(x, w.gate_proj.t()));  // (B, T, F)
  auto up = torch::matmul(x, w.up_proj.t());                   // (B, T, F)
  return torch::matmul(gate * up, w.down_proj.t());            // (B, T, D)
}

torch::Tensor HunyuanDenseModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const double eps = config_.rms_norm_eps;
  auto x = torch::embedding(weights_.embed_tokens, ids);                      // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, ids.size(1), dtype_, device_);  // (T, Dh) each
  for (const auto& w : weights_.layers) {
    x = x + attention(w, rms_norm(x, w.input_layernorm, eps), cos, sin);
    x = x + mlp(w, rms_norm(x, w.post_attention_layernorm, eps));
  }
  return rms_norm(x, weights_.norm, eps);  // (B, T, D)
}

torch::Tensor HunyuanDenseModel::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_hunyuan_dense(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                             ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const HunyuanDenseConfig c = HunyuanDenseConfig::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size, dh = c.head_dim;
  const int64_t q_dim = c.num_heads * dh, kv_dim = c.num_kv_heads * dh;

  HunyuanDenseWeights w;
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
    specs.push_back({p + "self_attn.query_layernorm.weight", {dh}, &l.query_layernorm});
    specs.push_back({p + "self_attn.key_layernorm.weight", {dh}, &l.key_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "mlp.gate_proj.weight", {f, d}, &l.gate_proj});
    specs.push_back({p + "mlp.up_proj.weight", {f, d}, &l.up_proj});
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.down_proj});
    if (c.attention_bias) {
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, &l.q_bias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, &l.k_bias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, &l.v_bias});
      specs.push_back({p + "self_attn.o_proj.bias", {d}, &l.o_bias});
    }
  }
  auto ignore = [](const std::string& name) {
    const std::string suffix = "rotary_emb.inv_freq";
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  load_weights(checkpoint, specs, dtype, device, ignore);
  // Tied: transformers points lm_head at the embedding, ignoring any saved lm_head.weight.
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "hunyuan_dense";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<HunyuanDenseModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
