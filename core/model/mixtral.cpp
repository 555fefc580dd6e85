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
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  c.num_experts = config.get_int("num_local_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.sliding_window = config.get_int("sliding_window", 0);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.top_k <= 0 || c.top_k > c.num_experts)
    throw ModelError(config.source() + ": num_experts_per_tok (" + std::to_string(c.top_k) +
                     ") must be between 1 and num_local_experts (" + std::to_string(c.num_experts) + ")");
  require_silu_activation(config, "mixtral");
  c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  return c;
}

MixtralModel::MixtralModel(MixtralConfig config, MixtralWeights weights, ModelInfo info, torch::ScalarType dtype,
                           torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) l.attn.fuse_qkv();
}

torch::Tensor MixtralModel::attention(const MixtralLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin, const torch::Tensor& mask) const {
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  auto q = apply_rotary(heads_first(qkv.q), cos, sin);  // (B, H, T, Dh)
  auto k = apply_rotary(heads_first(qkv.k), cos, sin);  // (B, Hkv, T, Dh)
  return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), mask));  // (B, T, D)
}

torch::Tensor MixtralModel::moe(const MixtralLayerWeights& w, const torch::Tensor& x) const {
  auto flat = x.reshape({-1, x.size(-1)});                                            // (N, D)
  auto routing = softmax_topk_routing(flat, w.router, config_.top_k, /*renormalize=*/true);
  return routed_swiglu_experts(flat, routing, w.experts).view(x.sizes());             // (B, T, D)
}

torch::Tensor MixtralModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  PerDeviceAttentionInputs inputs(config_.rope, t, dtype_);  // several devices only when split
  const auto norms = attention_and_mlp_norms(weights_.layers);  // (2L)
  auto block = [&](size_t b, const torch::Tensor& h) {
    const auto& w = weights_.layers[b / 2];
    if (b % 2 == 1) return moe(w, h);
    const torch::Device device = layer_devices_[b / 2];
    const auto& [cos, sin] = inputs.rotary(device);
    return attention(w, h, cos, sin, inputs.mask(device, config_.sliding_window));
  };
  return pre_norm_residual_stream(torch::embedding(weights_.embed_tokens, ids), norms, weights_.norm,
                                  config_.rms_norm_eps, block);  // (B, T, D)
}

torch::Tensor MixtralModel::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_mixtral(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                       ModelInfo info, torch::ScalarType dtype,
                                       const std::vector<torch::Device>& devices) {
  const MixtralConfig c = MixtralConfig::from_hf(config);
  const torch::Device first = devices.front();
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;

  MixtralWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, /*qkv_bias=*/false, /*o_bias=*/false, l.attn);
    specs.push_back({p + "block_sparse_moe.gate.weight", {c.num_experts, d}, &l.router});
    l.experts.resize(c.num_experts);
    for (int64_t e = 0; e < c.num_experts; ++e)
      add_swiglu_specs(specs, p + "block_sparse_moe.experts." + std::to_string(e) + ".", kMixtralExpertNames, d, f,
                       l.experts[e]);
  }
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, first, is_saved_rotary_buffer);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "mixtral", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<MixtralModel>(c, std::move(w), std::move(info), dtype, first, std::move(layer_devices));
}

}  // namespace icsweep
