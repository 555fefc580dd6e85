#include "core/model/gpt_neox.h"

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

GptNeoxConfig GptNeoxConfig::from_hf(const HfConfig& config) {
  GptNeoxConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.num_heads = config.get_int("num_attention_heads");
  c.layer_norm_eps = config.get_double("layer_norm_eps", 1e-5);
  c.hidden_act = config.get_string("hidden_act", "gelu");
  c.use_parallel_residual = config.get_bool("use_parallel_residual", true);
  c.attention_bias = config.get_bool("attention_bias", true);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
    throw ModelError(config.source() + ": hidden_size (" + std::to_string(c.hidden_size) +
                     ") must be a multiple of num_attention_heads (" + std::to_string(c.num_heads) + ")");
  if (!activation_supported(c.hidden_act))
    throw ModelError(config.source() + ": key 'hidden_act' is '" + c.hidden_act +
                     "', which icsweep does not implement (gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, silu, relu)");
  c.head_dim = c.hidden_size / c.num_heads;
  c.rotary_ndims = static_cast<int64_t>(static_cast<double>(c.head_dim) * partial_rotary_factor(config, 0.25));
  c.rope = RopeConfig::from_hf(config, c.rotary_ndims);
  // transformers 4 configs name the base rotary_emb_base (transformers 5 moves it to rope_parameters).
  if (!config.has("rope_parameters") && !config.has("rope_theta"))
    c.rope.theta = config.get_double("rotary_emb_base", c.rope.theta);
  return c;
}

GptNeoxModel::GptNeoxModel(GptNeoxConfig config, GptNeoxWeights weights, ModelInfo info, torch::ScalarType dtype,
                           torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor GptNeoxModel::attention(const GptNeoxLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin) const {
  const int64_t b = x.size(0), t = x.size(1), h = config_.num_heads, dh = config_.head_dim;
  // Per head the fused output holds q, k, v one after the other: view (B, T, H, 3*Dh), then chunk.
  auto qkv = linear(x, w.query_key_value, w.query_key_value_bias).view({b, t, h, 3 * dh}).transpose(1, 2);
  auto parts = qkv.chunk(3, -1);                     // 3 x (B, H, T, Dh)
  auto q = apply_partial_rotary(parts[0], cos, sin);  // rotates the first rotary_ndims dims
  auto k = apply_partial_rotary(parts[1], cos, sin);
  auto out = causal_attention(q, k, parts[2], {}).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, D)
  return linear(out, w.dense, w.dense_bias);                                                // (B, T, D)
}

torch::Tensor GptNeoxModel::mlp(const GptNeoxLayerWeights& w, const torch::Tensor& x) const {
  auto hidden = activation(config_.hidden_act, linear(x, w.dense_h_to_4h, w.dense_h_to_4h_bias));  // (B, T, F)
  return linear(hidden, w.dense_4h_to_h, w.dense_4h_to_h_bias);                                   // (B, T, D)
}

torch::Tensor GptNeoxModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const double eps = config_.layer_norm_eps;
  auto x = torch::embedding(weights_.embed_in, ids);                           // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, ids.size(1), dtype_, device_);  // (T, rotary_ndims) each
  for (const auto& w : weights_.layers) {
    auto attn = attention(w, layer_norm(x, w.input_layernorm_weight, w.input_layernorm_bias, eps), cos, sin);
    if (config_.use_parallel_residual) {
      x = mlp(w, layer_norm(x, w.post_attention_layernorm_weight, w.post_attention_layernorm_bias, eps)) + attn + x;
    } else {
      x = attn + x;
      x = mlp(w, layer_norm(x, w.post_attention_layernorm_weight, w.post_attention_layernorm_bias, eps)) + x;
    }
  }
  return layer_norm(x, weights_.final_layer_norm_weight, weights_.final_layer_norm_bias, eps);  // (B, T, D)
}

torch::Tensor GptNeoxModel::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.embed_out.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_gpt_neox(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                        ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const GptNeoxConfig c = GptNeoxConfig::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;

  GptNeoxWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs = {
      {"gpt_neox.embed_in.weight", {v, d}, &w.embed_in},
      {"gpt_neox.final_layer_norm.weight", {d}, &w.final_layer_norm_weight},
      {"gpt_neox.final_layer_norm.bias", {d}, &w.final_layer_norm_bias},
      {"embed_out.weight", {v, d}, &w.embed_out, /*optional=*/c.tie_word_embeddings},
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "gpt_neox.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm_weight});
    specs.push_back({p + "input_layernorm.bias", {d}, &l.input_layernorm_bias});
    specs.push_back({p + "attention.query_key_value.weight", {3 * d, d}, &l.query_key_value});
    specs.push_back({p + "attention.dense.weight", {d, d}, &l.dense});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm_weight});
    specs.push_back({p + "post_attention_layernorm.bias", {d}, &l.post_attention_layernorm_bias});
    specs.push_back({p + "mlp.dense_h_to_4h.weight", {f, d}, &l.dense_h_to_4h});
    specs.push_back({p + "mlp.dense_h_to_4h.bias", {f}, &l.dense_h_to_4h_bias});
    specs.push_back({p + "mlp.dense_4h_to_h.weight", {d, f}, &l.dense_4h_to_h});
    specs.push_back({p + "mlp.dense_4h_to_h.bias", {d}, &l.dense_4h_to_h_bias});
    if (c.attention_bias) {
      specs.push_back({p + "attention.query_key_value.bias", {3 * d}, &l.query_key_value_bias});
      specs.push_back({p + "attention.dense.bias", {d}, &l.dense_bias});
    }
  }
  // Older exports saved the rotary and causal-mask buffers; transformers ignores them, so do we.
  auto ignore = [](const std::string& name) {
    for (const std::string suffix : {".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq"})
      if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
    return false;
  };
  load_weights(checkpoint, specs, dtype, device, ignore);
  // Tied: transformers points embed_out at embed_in, ignoring any saved embed_out.weight.
  if (c.tie_word_embeddings) w.embed_out = w.embed_in;

  info.family = "gpt_neox";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "embed_out.weight" : "");
  return std::make_unique<GptNeoxModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
