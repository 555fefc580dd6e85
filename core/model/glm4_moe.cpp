#include "core/model/glm4_moe.h"

#include <cstdlib>

#include "core/common/errors.h"
#include "core/model/weights.h"

namespace icsweep {

Glm4MoeConfig Glm4MoeConfig::from_hf(const HfConfig& config) {
  Glm4MoeConfig c;
  if (config.has("quantization_config"))
    throw ModelError(config.source() + ": key 'quantization_config' is set; icsweep loads only unquantized " +
                     "glm4_moe checkpoints (bf16/fp16/fp32)");
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  c.rotary_dim = static_cast<int64_t>(static_cast<double>(c.heads.head_dim) * partial_rotary_factor(config, 0.5));
  c.attention_bias = config.get_bool("attention_bias", false);
  c.use_qk_norm = config.get_bool("use_qk_norm", false);
  c.first_k_dense_replace = config.get_int("first_k_dense_replace", 1);
  c.num_experts = config.get_int("n_routed_experts");
  c.top_k = config.get_int("num_experts_per_tok");
  c.moe_intermediate_size = config.get_int("moe_intermediate_size");
  c.n_shared_experts = config.get_int("n_shared_experts", 1);
  c.n_group = config.get_int("n_group", 1);
  c.topk_group = config.get_int("topk_group", 1);
  c.norm_topk_prob = config.get_bool("norm_topk_prob", true);
  c.routed_scaling_factor = config.get_double("routed_scaling_factor", 1.0);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  if (c.rotary_dim <= 0 || c.rotary_dim % 2 != 0)
    throw ModelError(config.source() + ": head_dim * partial_rotary_factor must be a positive even number (got " +
                     std::to_string(c.rotary_dim) + ")");
  if (c.num_experts < 1 || c.top_k < 1 || c.n_group < 1 || c.topk_group < 1 || c.num_experts % c.n_group != 0 ||
      c.topk_group > c.n_group || c.top_k > c.topk_group * (c.num_experts / c.n_group))
    throw ModelError(config.source() + ": n_routed_experts (" + std::to_string(c.num_experts) + "), n_group (" +
                     std::to_string(c.n_group) + "), topk_group (" + std::to_string(c.topk_group) +
                     ") and num_experts_per_tok (" + std::to_string(c.top_k) +
                     ") do not fit: the groups must split the experts evenly and hold the top-k");
  require_silu_activation(config, "glm4_moe");
  c.rope = RopeConfig::from_hf(config, c.rotary_dim);
  return c;
}

Glm4MoeModel::Glm4MoeModel(Glm4MoeConfig config, Glm4MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
                           torch::Device device, std::vector<torch::Device> layer_devices)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device), layer_devices_(std::move(layer_devices)) {
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
    l.shared_experts.fuse_gate_up();
  }
}

torch::Tensor Glm4MoeModel::attention(const Glm4MoeLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin) const {
  auto [q, k, v] = project_qkv(w.attn, config_.heads, x);  // (B, T, H|Hkv, Dh)
  if (config_.use_qk_norm) {  // per head, before the transpose and rotary
    q = rms_norm(q, w.q_norm, config_.rms_norm_eps);
    k = rms_norm(k, w.k_norm, config_.rms_norm_eps);
  }
  q = apply_partial_rotary(heads_first(q), cos, sin);  // (B, H, T, Dh)
  k = apply_partial_rotary(heads_first(k), cos, sin);  // (B, Hkv, T, Dh)
  return project_attention_output(w.attn, causal_attention(q, k, heads_first(v), {}));  // (B, T, D)
}

torch::Tensor Glm4MoeModel::moe(const Glm4MoeLayerWeights& w, const torch::Tensor& x) const {
  auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
  const auto& c = config_;
  auto routing = sigmoid_group_routing(flat, w.router, w.router_bias, c.top_k, c.n_group, c.topk_group,
                                       c.norm_topk_prob, c.routed_scaling_factor);
  auto out = routed_swiglu_experts(flat, routing, w.experts);  // (N, D)
  if (c.n_shared_experts > 0) out = out + swiglu(flat, w.shared_experts);
  return out.view(x.sizes());  // (B, T, D)
}

torch::Tensor Glm4MoeModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  PerDeviceAttentionInputs inputs(config_.rope, ids.size(1), dtype_);  // several devices only when split
  const auto norms = attention_and_mlp_norms(weights_.layers);  // (2L)
  auto block = [&](size_t b, const torch::Tensor& h) {
    const int64_t i = static_cast<int64_t>(b / 2);
    const auto& w = weights_.layers[i];
    if (b % 2 == 0) {
      const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
      return attention(w, h, cos, sin);
    }
    return i >= config_.first_k_dense_replace ? moe(w, h) : swiglu(h, w.mlp);
  };
  return pre_norm_residual_stream(torch::embedding(weights_.embed_tokens, ids), norms, weights_.norm,
                                  config_.rms_norm_eps, block);  // (B, T, D)
}

torch::Tensor Glm4MoeModel::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_glm4_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                        ModelInfo info, torch::ScalarType dtype,
                                        const std::vector<torch::Device>& devices) {
  const Glm4MoeConfig c = Glm4MoeConfig::from_hf(config);
  const int64_t d = c.hidden_size, v = c.vocab_size, dh = c.heads.head_dim, e_count = c.num_experts;

  Glm4MoeWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, false, l.attn);
    if (c.use_qk_norm) {
      specs.push_back({p + "self_attn.q_norm.weight", {dh}, &l.q_norm});
      specs.push_back({p + "self_attn.k_norm.weight", {dh}, &l.k_norm});
    }
    if (i < c.first_k_dense_replace) {
      add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
      continue;
    }
    specs.push_back({p + "mlp.gate.weight", {e_count, d}, &l.router});
    // transformers keeps e_score_correction_bias in fp32 whatever the model dtype.
    specs.push_back({p + "mlp.gate.e_score_correction_bias", {e_count}, &l.router_bias, false, keep_fp32});
    l.experts.resize(e_count);
    for (int64_t e = 0; e < e_count; ++e)
      add_swiglu_specs(specs, p + "mlp.experts." + std::to_string(e) + ".", kProjNames, d, c.moe_intermediate_size,
                       l.experts[e]);
    if (c.n_shared_experts > 0)
      add_swiglu_specs(specs, p + "mlp.shared_experts.", kProjNames, d, c.moe_intermediate_size * c.n_shared_experts,
                       l.shared_experts);
  }
  // Published GLM-4.5 checkpoints carry the multi-token-prediction layer after the last decoder
  // layer (model.layers.46.* in GLM-4.5-Air); transformers drops it, so do we.
  auto ignore = [&](const std::string& name) {
    const std::string prefix = "model.layers.";
    return name.compare(0, prefix.size(), prefix) == 0 &&
           std::strtoll(name.c_str() + prefix.size(), nullptr, 10) >= c.num_layers;
  };
  auto layer_devices = place_split_layers(specs, devices, c.num_layers);
  load_weights(checkpoint, specs, dtype, devices.front(), ignore);
  if (c.tie_word_embeddings) w.lm_head = tied_lm_head(w.embed_tokens, devices);

  describe_loaded_model(info, "glm4_moe", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<Glm4MoeModel>(c, std::move(w), std::move(info), dtype, devices.front(),
                                        std::move(layer_devices));
}

}  // namespace icsweep
