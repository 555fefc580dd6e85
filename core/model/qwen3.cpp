#include "core/model/qwen3.h"

#include <map>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

Qwen3Config Qwen3Config::from_hf(const HfConfig& config) {
  Qwen3Config c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  require_silu_activation(config, "qwen3");
  c.sliding_window = qwen_sliding_windows(config, c.num_layers);
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

Qwen3Model::Qwen3Model(Qwen3Config config, Qwen3Weights weights, ModelInfo info, torch::ScalarType dtype,
                       torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
  }
}

torch::Tensor qwen3_attention(const AttentionProjections& w, const torch::Tensor& q_norm, const torch::Tensor& k_norm,
                              const HeadLayout& heads, double eps, const torch::Tensor& x, const torch::Tensor& cos,
                              const torch::Tensor& sin, const torch::Tensor& mask) {
  const auto qkv = project_qkv(w, heads, x);
  // The per-head norm runs on (B, T, H, Dh), before the transpose and rotary.
  auto q = apply_rotary(heads_first(rms_norm(qkv.q, q_norm, eps)), cos, sin);  // (B, H, T, Dh)
  auto k = apply_rotary(heads_first(rms_norm(qkv.k, k_norm, eps)), cos, sin);  // (B, Hkv, T, Dh)
  return project_attention_output(w, causal_attention(q, k, heads_first(qkv.v), mask));  // (B, T, D)
}

torch::Tensor Qwen3Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  PerDeviceAttentionInputs inputs(config_.rope, t, dtype_);  // several devices only when split
  const auto norms = attention_and_mlp_norms(weights_.layers);  // (2L)
  auto block = [&](size_t b, const torch::Tensor& h) {
    const auto& w = weights_.layers[b / 2];
    if (b % 2 == 1) return swiglu(h, w.mlp);
    const torch::Device device = layer_devices_[b / 2];
    const auto& [cos, sin] = inputs.rotary(device);
    return qwen3_attention(w.attn, w.q_norm, w.k_norm, config_.heads, config_.rms_norm_eps, h, cos, sin,
                           inputs.mask(device, config_.sliding_window[b / 2]));
  };
  return pre_norm_residual_stream(torch::embedding(weights_.embed_tokens, ids), norms, weights_.norm,
                                  config_.rms_norm_eps, block);  // (B, T, D)
}

torch::Tensor Qwen3Model::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_qwen3(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  const Qwen3Config c = Qwen3Config::from_hf(config);
  const torch::Device first = devices.front();
  const int64_t d = c.hidden_size, v = c.vocab_size, dh = c.heads.head_dim;

  Qwen3Weights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.q_norm.weight", {dh}, &l.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {dh}, &l.k_norm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
  }
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, first);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "qwen3", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<Qwen3Model>(c, std::move(w), std::move(info), dtype, first, std::move(layer_devices));
}

}  // namespace icsweep
