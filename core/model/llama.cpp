#include "core/model/llama.h"

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

LlamaConfig LlamaConfig::from_hf(const HfConfig& config, const std::string& model_type) {
  LlamaConfig c;
  c.model_type = model_type;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  // SeedOssConfig: head_dim 128 by default.
  c.heads = HeadLayout::from_hf(config, c.hidden_size, model_type == "seed_oss" ? 128 : 0);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  require_silu_activation(config, model_type);

  c.sliding_window.assign(c.num_layers, 0);
  if (model_type == "llama") {
    c.qkv_bias = c.o_bias = config.get_bool("attention_bias", false);
    c.mlp_bias = config.get_bool("mlp_bias", false);
  } else if (model_type == "qwen2") {
    c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
    c.sliding_window = qwen_sliding_windows(config, c.num_layers);
  } else if (model_type == "mistral") {
    if (config.has("sliding_window")) c.sliding_window.assign(c.num_layers, config.get_int("sliding_window"));
  } else if (model_type == "seed_oss") {
    // SeedOssConfig: separate q/k/v and o_proj biases, q/k/v on by default; head_dim 128 by default.
    c.qkv_bias = config.get_bool("attention_bias", true);
    c.o_bias = config.get_bool("attention_out_bias", false);
    c.mlp_bias = config.get_bool("mlp_bias", false);
  }
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

LlamaModel::LlamaModel(LlamaConfig config, LlamaWeights weights, ModelInfo info, torch::ScalarType dtype,
                       torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  if (layer_devices_.empty()) layer_devices_.assign(config_.num_layers, device_);
  // Fuse per layer (peak extra memory: one layer's projections), releasing the separate tensors.
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
  }
}

torch::Tensor LlamaModel::attention(const LlamaLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                    const torch::Tensor& sin, const torch::Tensor& mask) const {
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  auto q = apply_rotary(heads_first(qkv.q), cos, sin);  // (B, H, T, Dh)
  auto k = apply_rotary(heads_first(qkv.k), cos, sin);  // (B, Hkv, T, Dh)
  return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), mask));  // (B, T, D)
}

torch::Tensor LlamaModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  PerDeviceAttentionInputs inputs(config_.rope, t, dtype_);  // several devices only when split
  const auto norms = attention_and_mlp_norms(weights_.layers);  // (2L)
  auto block = [&](size_t b, const torch::Tensor& h) {
    const auto& w = weights_.layers[b / 2];
    if (b % 2 == 1) return swiglu(h, w.mlp);
    const torch::Device device = layer_devices_[b / 2];
    const auto& [cos, sin] = inputs.rotary(device);
    return attention(w, h, cos, sin, inputs.mask(device, config_.sliding_window[b / 2]));
  };
  return pre_norm_residual_stream(torch::embedding(weights_.embed_tokens, ids), norms, weights_.norm,
                                  config_.rms_norm_eps, block);  // (B, T, D)
}

torch::Tensor LlamaModel::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_llama(const HfConfig& config, const std::string& model_type,
                                     const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                     torch::ScalarType dtype, const std::vector<torch::Device>& devices) {
  const LlamaConfig c = LlamaConfig::from_hf(config, model_type);
  const torch::Device first = devices.front();
  const int64_t d = c.hidden_size, v = c.vocab_size;

  LlamaWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.qkv_bias, c.o_bias, l.attn);
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp, c.mlp_bias);
  }
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, first, is_saved_rotary_buffer);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "llama", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<LlamaModel>(c, std::move(w), std::move(info), dtype, first, std::move(layer_devices));
}

}  // namespace icsweep
