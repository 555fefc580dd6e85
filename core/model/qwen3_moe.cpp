#include "core/model/qwen3_moe.h"

#include "core/common/errors.h"
#include "core/model/qwen3.h"
#include "core/model/weights.h"

namespace icsweep {

Qwen3MoeConfig Qwen3MoeConfig::from_hf(const HfConfig& config) {
  Qwen3MoeConfig c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  if (!config.has("num_experts") && !config.has("num_local_experts"))
    throw ModelError(config.source() + ": key 'num_experts' (or 'num_local_experts') is missing");
  c.num_experts = config.has("num_experts") ? config.get_int("num_experts") : config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.norm_topk_prob = config.get_bool("norm_topk_prob", false);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.num_experts > 0 && (c.top_k <= 0 || c.top_k > c.num_experts))
    throw ModelError(config.source() + ": num_experts_per_tok (" + std::to_string(c.top_k) +
                     ") must be between 1 and num_experts (" + std::to_string(c.num_experts) + ")");
  require_silu_activation(config, "qwen3_moe");
  c.sparse = qwen_sparse_layers(config, c.num_layers, c.num_experts);
  // Qwen3MoeConfig keeps sliding_window only with use_sliding_window; it then applies to every layer.
  if (config.get_bool("use_sliding_window", false)) c.sliding_window = config.get_int("sliding_window", 0);
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

Qwen3MoeModel::Qwen3MoeModel(Qwen3MoeConfig config, Qwen3MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
                             torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
  }
}

torch::Tensor Qwen3MoeModel::moe(const Qwen3MoeLayerWeights& w, const torch::Tensor& x) const {
  auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
  auto routing = softmax_topk_routing(flat, w.router, config_.top_k, config_.norm_topk_prob);
  return routed_swiglu_experts(flat, routing, w.experts).view(x.sizes());  // (B, T, D)
}

torch::Tensor Qwen3MoeModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  PerDeviceAttentionInputs inputs(config_.rope, t, dtype_);  // several devices only when split
  const double eps = config_.rms_norm_eps;
  const auto norms = attention_and_mlp_norms(weights_.layers);  // (2L)
  auto block = [&](size_t b, const torch::Tensor& h) {
    const size_t i = b / 2;
    const auto& w = weights_.layers[i];
    if (b % 2 == 1) return config_.sparse[i] ? moe(w, h) : swiglu(h, w.mlp);
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);
    return qwen3_attention(w.attn, w.q_norm, w.k_norm, config_.heads, eps, h, cos, sin,
                           inputs.mask(layer_devices_[i], config_.sliding_window));
  };
  return pre_norm_residual_stream(torch::embedding(weights_.embed_tokens, ids), norms, weights_.norm, eps,
                                  block);  // (B, T, D)
}

torch::Tensor Qwen3MoeModel::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_qwen3_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                         ModelInfo info, torch::ScalarType dtype,
                                         const std::vector<torch::Device>& devices) {
  const Qwen3MoeConfig c = Qwen3MoeConfig::from_hf(config);
  const torch::Device first = devices.front();
  const int64_t d = c.hidden_size, v = c.vocab_size, dh = c.heads.head_dim;

  Qwen3MoeWeights w;
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
    if (!c.sparse[i]) {
      add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
      continue;
    }
    specs.push_back({p + "mlp.gate.weight", {c.num_experts, d}, &l.router});
    l.experts.resize(c.num_experts);
    for (int64_t e = 0; e < c.num_experts; ++e)
      add_swiglu_specs(specs, p + "mlp.experts." + std::to_string(e) + ".", kProjNames, d, c.moe_intermediate_size,
                       l.experts[e]);
  }
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, first);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "qwen3_moe", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<Qwen3MoeModel>(c, std::move(w), std::move(info), dtype, first, std::move(layer_devices));
}

}  // namespace icsweep
