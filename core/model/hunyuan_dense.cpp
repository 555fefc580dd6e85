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
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.attention_bias = config.get_bool("attention_bias", false);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  require_silu_activation(config, "hunyuan_v1_dense");
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
    const double dim = static_cast<double>(c.heads.head_dim);
    c.rope.dim = c.heads.head_dim;
    c.rope.max_position_embeddings = config.get_int("max_position_embeddings", 2048);
    c.rope.theta = params->get_double("rope_theta", config.get_double("rope_theta", 10000.0)) *
                   std::pow(alpha, dim / (dim - 2.0));
  } else {
    c.rope = RopeConfig::from_hf(config, c.heads.head_dim);
  }
  return c;
}

HunyuanDenseModel::HunyuanDenseModel(HunyuanDenseConfig config, HunyuanDenseWeights weights, ModelInfo info,
                                     torch::ScalarType dtype, torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {
  for (auto& l : weights_.layers) {
    l.attn.fuse_qkv();
    l.mlp.fuse_gate_up();
  }
}

torch::Tensor HunyuanDenseModel::attention(const HunyuanDenseLayerWeights& w, const torch::Tensor& x,
                                           const torch::Tensor& cos, const torch::Tensor& sin) const {
  const double eps = config_.rms_norm_eps;
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  // Unlike Qwen3, the per-head norms come after the rotary embedding.
  auto q = rms_norm(apply_rotary(heads_first(qkv.q), cos, sin), w.query_layernorm, eps);  // (B, H, T, Dh)
  auto k = rms_norm(apply_rotary(heads_first(qkv.k), cos, sin), w.key_layernorm, eps);    // (B, Hkv, T, Dh)
  return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), {}));  // (B, T, D)
}

torch::Tensor HunyuanDenseModel::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const auto rope = rope_cos_sin(config_.rope, ids.size(1), dtype_, device_);  // (T, Dh) each
  const torch::Tensor &cos = rope.first, &sin = rope.second;
  const auto norms = attention_and_mlp_norms(weights_.layers);  // (2L)
  auto block = [&](size_t b, const torch::Tensor& h) {
    const auto& w = weights_.layers[b / 2];
    return b % 2 == 1 ? swiglu(h, w.mlp) : attention(w, h, cos, sin);
  };
  return pre_norm_residual_stream(torch::embedding(weights_.embed_tokens, ids), norms, weights_.norm,
                                  config_.rms_norm_eps, block);  // (B, T, D)
}

torch::Tensor HunyuanDenseModel::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_hunyuan_dense(const HfConfig& config, const SafetensorsCheckpoint& checkpoint,
                                             ModelInfo info, torch::ScalarType dtype, torch::Device device) {
  const HunyuanDenseConfig c = HunyuanDenseConfig::from_hf(config);
  const int64_t d = c.hidden_size, v = c.vocab_size, dh = c.heads.head_dim;

  HunyuanDenseWeights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.query_layernorm.weight", {dh}, &l.query_layernorm});
    specs.push_back({p + "self_attn.key_layernorm.weight", {dh}, &l.key_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
  }
  load_weights(checkpoint, specs, dtype, device, is_saved_rotary_buffer);
  // Tied: transformers points lm_head at the embedding, ignoring any saved lm_head.weight.
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  describe_loaded_model(info, "hunyuan_dense", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<HunyuanDenseModel>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
