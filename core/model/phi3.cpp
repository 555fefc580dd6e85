#include "core/model/phi3.h"

#include <cmath>

#include "core/common/errors.h"
#include "core/model/decoder_blocks.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

// The rope object of the config: rope_parameters (transformers 5) or rope_scaling (4.x).
std::optional<HfConfig> rope_object(const HfConfig& config) {
  if (auto p = config.object("rope_parameters")) return p;
  return config.object("rope_scaling");
}

}  // namespace

Phi3Config Phi3Config::from_hf(const HfConfig& config) {
  Phi3Config c;
  c.vocab_size = config.get_int("vocab_size");
  c.hidden_size = config.get_int("hidden_size");
  c.intermediate_size = config.get_int("intermediate_size");
  c.num_layers = config.get_int("num_hidden_layers");
  c.heads = HeadLayout::from_hf(config, c.hidden_size);
  c.rms_norm_eps = config.get_double("rms_norm_eps", 1e-5);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", false);
  c.sliding_window = config.get_int("sliding_window", 0);
  require_silu_activation(config, "phi3");

  const int64_t rotary_dim =
      static_cast<int64_t>(static_cast<double>(c.heads.head_dim) * partial_rotary_factor(config, 1.0));
  const auto rope = rope_object(config);
  const std::string type = rope ? rope->get_string("rope_type", rope->get_string("type", "default")) : "default";
  if (type != "longrope" && type != "su" && type != "yarn") {
    c.rope = RopeConfig::from_hf(config, rotary_dim);
    return c;
  }
  // LongRoPE (transformers' _compute_longrope_parameters; Phi3Config renames old "su"/"yarn").
  c.rope.dim = rotary_dim;
  c.rope.theta = rope->get_double("rope_theta", config.get_double("rope_theta", 10000.0));
  c.rope.max_position_embeddings = config.get_int("max_position_embeddings");
  auto& lr = c.longrope;
  lr.enabled = true;
  lr.short_factor = rope->get_doubles("short_factor");
  lr.long_factor = rope->get_doubles("long_factor");
  if (lr.short_factor.size() != static_cast<size_t>(rotary_dim / 2) ||
      lr.long_factor.size() != static_cast<size_t>(rotary_dim / 2))
    throw ModelError(config.source() + ": longrope short_factor and long_factor need " +
                     std::to_string(rotary_dim / 2) + " entries each (rotary dims / 2), got " +
                     std::to_string(lr.short_factor.size()) + " and " + std::to_string(lr.long_factor.size()));
  lr.original_max_position_embeddings = rope->get_int(
      "original_max_position_embeddings", config.get_int("original_max_position_embeddings", c.rope.max_position_embeddings));
  // Phi-3 derives the factor from the two lengths when "factor" is absent.
  const double factor = rope->get_double("factor", static_cast<double>(c.rope.max_position_embeddings) /
                                                       static_cast<double>(lr.original_max_position_embeddings));
  lr.attention_factor =
      rope->get_double("attention_factor",
                       factor <= 1.0 ? 1.0
                                     : std::sqrt(1.0 + std::log(factor) /
                                                           std::log(static_cast<double>(lr.original_max_position_embeddings))));
  return c;
}

Phi3Model::Phi3Model(Phi3Config config, Phi3Weights weights, ModelInfo info, torch::ScalarType dtype,
                     torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

std::pair<torch::Tensor, torch::Tensor> Phi3Model::cos_sin(int64_t seq_len) const {
  const auto& lr = config_.longrope;
  if (!lr.enabled) return rope_cos_sin(config_.rope, seq_len, dtype_, device_);
  // Like transformers' longrope_frequency_update: the long factors once the forward covers more
  // positions than the original context, the short ones otherwise; the attention factor always.
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  const auto& factors = seq_len > lr.original_max_position_embeddings ? lr.long_factor : lr.short_factor;
  auto ext = torch::tensor(std::vector<float>(factors.begin(), factors.end()), f32);
  const int64_t dim = config_.rope.dim;
  auto exponents = torch::arange(0, dim, 2, torch::TensorOptions().dtype(torch::kInt64)).to(torch::kFloat32) /
                   static_cast<double>(dim);
  auto inv_freq = (1.0 / (ext * torch::pow(config_.rope.theta, exponents))).to(device_);  // (Dr / 2)
  auto positions = torch::arange(seq_len, f32.device(device_));
  auto freqs = torch::outer(positions, inv_freq);  // (T, Dr / 2)
  auto emb = torch::cat({freqs, freqs}, -1);       // (T, Dr)
  return {(emb.cos() * lr.attention_factor).to(dtype_), (emb.sin() * lr.attention_factor).to(dtype_)};
}

torch::Tensor Phi3Model::attention(const Phi3LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                                   const torch::Tensor& sin, const torch::Tensor& mask) const {
  const auto qkv = project_qkv(w.attn, config_.heads, x);
  auto q = apply_partial_rotary(heads_first(qkv.q), cos, sin);  // (B, H, T, Dh)
  auto k = apply_partial_rotary(heads_first(qkv.k), cos, sin);  // (B, Hkv, T, Dh)
  return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), mask));  // (B, T, D)
}

torch::Tensor Phi3Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  const auto rope = cos_sin(t);  // (T, Dr) each
  const auto mask = attention_mask(t, config_.sliding_window, device_);
  const auto norms = attention_and_mlp_norms(weights_.layers);  // (2L)
  auto block = [&](size_t b, const torch::Tensor& h) {
    const auto& w = weights_.layers[b / 2];
    return b % 2 == 1 ? swiglu(h, w.mlp) : attention(w, h, rope.first, rope.second, mask);
  };
  return pre_norm_residual_stream(torch::embedding(weights_.embed_tokens, ids), norms, weights_.norm,
                                  config_.rms_norm_eps, block);  // (B, T, D)
}

torch::Tensor Phi3Model::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_phi3(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                    torch::ScalarType dtype, torch::Device device) {
  const Phi3Config c = Phi3Config::from_hf(config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, v = c.vocab_size;
  const int64_t q_dim = c.heads.q_dim(), kv_dim = c.heads.kv_dim();

  Phi3Weights w;
  w.layers.resize(c.num_layers);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs;
  add_decoder_end_specs(specs, v, d, c.tie_word_embeddings, w.embed_tokens, w.norm, w.lm_head);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "self_attn.qkv_proj.weight", {q_dim + 2 * kv_dim, d}, &l.attn.qkv_proj});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, &l.attn.o_proj});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "mlp.gate_up_proj.weight", {2 * f, d}, &l.mlp.gate_up});
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.mlp.down});
  }
  load_weights(checkpoint, specs, dtype, device, is_saved_rotary_buffer);
  // Tied: transformers points lm_head at the embedding, ignoring any saved lm_head.weight.
  if (c.tie_word_embeddings) w.lm_head = w.embed_tokens;

  describe_loaded_model(info, "phi3", v, d, c.num_layers, specs, c.tie_word_embeddings);
  return std::make_unique<Phi3Model>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
