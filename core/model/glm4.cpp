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
  c.heads.num_heads = config.get_int("num_attention_heads", 32);
  c.heads.num_kv_heads = config.get_int("num_key_value_heads", 2);
  c.heads.head_dim = config.get_int("head_dim", 128);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1.5625e-07);
  c.attention_bias = config.get_bool("attention_bias", true);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  require_silu_activation(config, "glm4");
  const int64_t rotary_dim =
      static_cast<int64_t>(static_cast<double>(c.heads.head_dim) * partial_rotary_factor(config, 0.5));
  if (rotary_dim < 2 || rotary_dim > c.heads.head_dim)
    throw ModelError(config.source() + ": key 'partial_rotary_factor' gives " + std::to_string(rotary_dim) +
                     " rotary dims for head_dim " + std::to_string(c.heads.head_dim));
  c.rope = RopeConfig::from_hf(config, rotary_dim);
  return c;
}

Glm4Model::Glm4Model(Glm4Config config, Glm4Weights weights, ModelInfo info, torch::ScalarType dtype,
                     torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) l.attn.fuse_qkv();
}

torch::Tensor Glm4Model::attention(const Glm4LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                   const torch::Tensor& sin) const {
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  auto q = apply_interleaved_rotary(heads_first(qkv.q), cos, sin);  // (B, H, T, Dh)
  auto k = apply_interleaved_rotary(heads_first(qkv.k), cos, sin);  // (B, Hkv, T, Dh)
  return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), {}));  // (B, T, D)
}

torch::Tensor Glm4Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const double eps = config_.rms_norm_eps;
  auto x = torch::embedding(weights_.embed_tokens, ids);                      // (B, T, D)
  PerDeviceAttentionInputs inputs(config_.rope, ids.size(1), dtype_);          // per device of a split model
  for (size_t i = 0; i < weights_.layers.size(); ++i) {
    const auto& w = weights_.layers[i];
    x = x.to(layer_devices_[i]);  // a split model's next block: hand the stream over (else a no-op)
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
    auto h = attention(w, rms_norm(x, w.input_layernorm, eps), cos, sin);
    x = x + rms_norm(h, w.post_self_attn_layernorm, eps);
    h = swiglu(rms_norm(x, w.post_attention_layernorm, eps), w.mlp);
    x = x + rms_norm(h, w.post_mlp_layernorm, eps);
  }
  return rms_norm(x.to(weights_.norm.device()), weights_.norm, eps);  // (B, T, D), on the last device
}

torch::Tensor Glm4Model::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_glm4(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                    torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  const Glm4Config c = Glm4Config::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;

  Glm4Weights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, false, l.attn);
    specs.push_back({p + "post_self_attn_layernorm.weight", {d}, &l.post_self_attn_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "mlp.gate_up_proj.weight", {2 * f, d}, &l.mlp.gate_up});  // stored fused: [gate | up]
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.mlp.down});
    specs.push_back({p + "post_mlp_layernorm.weight", {d}, &l.post_mlp_layernorm});
  }
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, devices.front(), is_saved_rotary_buffer);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "glm4", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<Glm4Model>(c, std::move(w), std::move(info), dtype, devices.front(),
                                     std::move(layer_devices));
}

}  // namespace icsweep
