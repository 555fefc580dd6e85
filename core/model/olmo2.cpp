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
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  require_silu_activation(config, "olmo2");
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

Olmo2Model::Olmo2Model(Olmo2Config config, Olmo2Weights weights, ModelInfo info, torch::ScalarType dtype,
                       torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
  }
}

torch::Tensor Olmo2Model::attention(const Olmo2LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                    const torch::Tensor& sin) const {
  const double eps = config_.rms_norm_eps;
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  // Olmo2Attention: q_norm / k_norm over all heads at once, (B, T, H*Dh) and (B, T, Hkv*Dh).
  auto q = rms_norm_weight_fp32(qkv.q.flatten(2), w.q_norm, eps).view(qkv.q.sizes());  // (B, T, H, Dh)
  auto k = rms_norm_weight_fp32(qkv.k.flatten(2), w.k_norm, eps).view(qkv.k.sizes());  // (B, T, Hkv, Dh)
  q = apply_rotary(heads_first(q), cos, sin);                                            // (B, H, T, Dh)
  k = apply_rotary(heads_first(k), cos, sin);                                            // (B, Hkv, T, Dh)
  return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), {}));  // (B, T, D)
}

torch::Tensor Olmo2Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const double eps = config_.rms_norm_eps;
  auto x = torch::embedding(weights_.embed_tokens, ids);                      // (B, T, D)
  PerDeviceAttentionInputs inputs(config_.rope, ids.size(1), dtype_);          // per device of a split model
  for (size_t i = 0; i < weights_.layers.size(); ++i) {
    const auto& w = weights_.layers[i];
    x = x.to(layer_devices_[i]);  // a split model's next block: hand the stream over (else a no-op)
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    x = x + rms_norm_weight_fp32(attention(w, x, cos, sin), w.post_attention_layernorm, eps);
    x = x + rms_norm_weight_fp32(swiglu(x, w.mlp), w.post_feedforward_layernorm, eps);
  }
  return rms_norm_weight_fp32(x.to(weights_.norm.device()), weights_.norm, eps);  // (B, T, D), on the last device
}

torch::Tensor Olmo2Model::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_olmo2(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  const Olmo2Config c = Olmo2Config::from_hf(config);
  const int64_t d = c.hidden_size, v = c.vocab_size;
  const int64_t q_dim = c.heads.q_dim(), kv_dim = c.heads.kv_dim();

  Olmo2Weights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.q_norm.weight", {q_dim}, &l.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {kv_dim}, &l.k_norm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
    specs.push_back({p + "post_feedforward_layernorm.weight", {d}, &l.post_feedforward_layernorm});
  }
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, devices.front());
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "olmo2", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<Olmo2Model>(c, std::move(w), std::move(info), dtype, devices.front(),
                                      std::move(layer_devices));
}

}  // namespace icsweep
