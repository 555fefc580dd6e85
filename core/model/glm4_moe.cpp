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
  c.num_heads = config.get_int("num_attention_heads");
  c.num_kv_heads = config.get_int("num_key_value_heads", c.num_heads);
  c.head_dim = config.get_int("head_dim", c.hidden_size / c.num_heads);
  c.rotary_dim = static_cast<int64_t>(static_cast<double>(c.head_dim) * partial_rotary_factor(config, 0.5));
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
  if (c.num_heads <= 0 || c.num_kv_heads <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw ModelError(config.source() + ": num_attention_heads (" + std::to_string(c.num_heads) +
                     ") must be a positive multiple of num_key_value_heads (" + std::to_string(c.num_kv_heads) + ")");
  if (c.rotary_dim <= 0 || c.rotary_dim % 2 != 0)
    throw ModelError(config.source() + ": head_dim * partial_rotary_factor must be a positive even number (got " +
                     std::to_string(c.rotary_dim) + ")");
  if (c.num_experts < 1 || c.top_k < 1 || c.n_group < 1 || c.topk_group < 1 || c.num_experts % c.n_group != 0 ||
      c.topk_group > c.n_group || c.top_k > c.topk_group * (c.num_experts / c.n_group))
    throw ModelError(config.source() + ": n_routed_experts (" + std::to_string(c.num_experts) + "), n_group (" +
                     std::to_string(c.n_group) + "), topk_group (" + std::to_string(c.topk_group) +
                     ") and num_experts_per_tok (" + std::to_string(c.top_k) +
                     ") do not fit: the groups must split the experts evenly and hold the top-k");
  const std::string act = config.get_string("hidden_act", "silu");
  if (act != "silu")
    throw ModelError(config.source() + ": key 'hidden_act' is '" + act + "'; the glm4_moe family implements only silu");
  c.rope = RopeConfig::from_hf(config, c.rotary_dim);
  return c;
}

Glm4MoeModel::Glm4MoeModel(Glm4MoeConfig config, Glm4MoeWeights weights, ModelInfo info, torch::ScalarType dtype,
                           torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor Glm4MoeModel::attention(const Glm4MoeLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                      const torch::Tensor& sin) const {
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t h = config_.num_heads, hkv = config_.num_kv_heads, dh = config_.head_dim;
  auto q = linear(x, w.q_proj, w.q_bias).view({b, t, h, dh});    // (B, T, H, Dh)
  auto k = linear(x, w.k_proj, w.k_bias).view({b, t, hkv, dh});  // (B, T, Hkv, Dh)
  auto v = linear(x, w.v_proj, w.v_bias).view({b, t, hkv, dh}).transpose(1, 2);  // (B, Hkv, T, Dh)
  if (config_.use_qk_norm) {  // per head, before the transpose and rotary
    q = rms_norm(q, w.q_norm, config_.rms_norm_eps);
    k = rms_norm(k, w.k_norm, config_.rms_norm_eps);
  }
  q = apply_partial_rotary(q.transpose(1, 2), cos, sin);                          // (B, H, T, Dh)
  k = repeat_kv(apply_partial_rotary(k.transpose(1, 2), cos, sin), h / hkv);      // (B, H, T, Dh)
  v = repeat_kv(v, h / hkv);
  auto out = causal_attention(q, k, v, {}).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, H*Dh)
  return torch::matmul(out, w.o_proj.t());                                           // (B, T, D)
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
  const int64_t t = ids.size(1);
  auto x = torch::embedding(weights_.embed_tokens, ids);              // (B, T, D)
  auto [cos, sin] = rope_cos_sin(config_.rope, t, dtype_, device_);  // (T, Dr) each
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    const auto& w = weights_.layers[i];
    x = x + attention(w, rms_norm(x, w.input_layernorm, config_.rms_norm_eps), cos, sin);
    auto h = rms_norm(x, w.post_attention_layernorm, config_.rms_norm_eps);
    x = x + (i >= config_.first_k_dense_replace ? moe(w, h) : swiglu(h, w.mlp));
  }
  return rms_norm(x, weights_.norm, config_.rms_norm_eps);  // (B, T, D)
}

torch::Tensor Glm4MoeModel::logits(const torch::Tensor& hidden) {
  torch::InferenceMode guard;
  return torch::matmul(hidden, weights_.lm_head.t());  // (N, V)
}

std::unique_ptr<CausalLM> load_glm4_moe(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                        ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const Glm4MoeConfig c = Glm4MoeConfig::from_hf(config);
  const int64_t d = c.hidden_size, v = c.vocab_size, dh = c.head_dim, e_count = c.num_experts;
  const int64_t q_dim = c.num_heads * dh, kv_dim = c.num_kv_heads * dh;

  Glm4MoeWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs = {
      {"model.embed_tokens.weight", {v, d}, &w.embed_tokens},
      {"model.norm.weight", {d}, &w.norm},
      {"lm_head.weight", {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings},
  };
  std::vector<std::string> router_biases;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "self_attn.q_proj.weight", {q_dim, d}, &l.q_proj});
    specs.push_back({p + "self_attn.k_proj.weight", {kv_dim, d}, &l.k_proj});
    specs.push_back({p + "self_attn.v_proj.weight", {kv_dim, d}, &l.v_proj});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, &l.o_proj});
    if (c.attention_bias) {
      specs.push_back({p + "self_attn.q_proj.bias", {q_dim}, &l.q_bias});
      specs.push_back({p + "self_attn.k_proj.bias", {kv_dim}, &l.k_bias});
      specs.push_back({p + "self_attn.v_proj.bias", {kv_dim}, &l.v_bias});
    }
    if (c.use_qk_norm) {
      specs.push_back({p + "self_attn.q_norm.weight", {dh}, &l.q_norm});
      specs.push_back({p + "self_attn.k_norm.weight", {dh}, &l.k_norm});
    }
    if (i < c.first_k_dense_replace) {
      add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
      continue;
    }
    specs.push_back({p + "mlp.gate.weight", {e_count, d}, &l.router});
    router_biases.push_back(p + "mlp.gate.e_score_correction_bias");
    specs.push_back({router_biases.back(), {e_count}, &l.router_bias});
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
  load_weights(checkpoint, specs, dtype, device, ignore);
  // transformers keeps e_score_correction_bias in fp32 whatever the model dtype.
  for (int64_t i = 0, j = 0; i < c.num_layers; ++i)
    if (w.layers[i].router_bias.defined())
      w.layers[i].router_bias = tensor_from_entry(*checkpoint.find(router_biases[j++]), torch::kFloat32, device);
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  info.family = "glm4_moe";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.num_layers;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<Glm4MoeModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
