#include "core/model/gpt2.h"

#include <cmath>

#include "core/common/errors.h"
#include "core/model/decoder_blocks.h"
#include "core/model/layers.h"
#include "core/model/weights.h"

namespace icsweep {
namespace {

// transformers' Conv1D: weight (in, out), y = x W + b.
torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return torch::matmul(x, weight) + bias;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Gpt2Config Gpt2Config::from_hf(const HfConfig& config) {
  Gpt2Config c;
  c.vocab_size = config.get_int("vocab_size");
  c.n_embd = config.get_int("n_embd");
  c.n_inner = config.get_int("n_inner", 4 * c.n_embd);
  c.n_layer = config.get_int("n_layer");
  c.n_head = config.get_int("n_head");
  c.n_positions = config.get_int("n_positions");
  c.layer_norm_epsilon = config.get_double("layer_norm_epsilon", 1e-5);
  c.activation_function = config.get_string("activation_function", "gelu_new");
  c.scale_attn_weights = config.get_bool("scale_attn_weights", true);
  c.scale_attn_by_inverse_layer_idx = config.get_bool("scale_attn_by_inverse_layer_idx", false);
  c.tie_word_embeddings = config.get_bool("tie_word_embeddings", true);
  if (c.n_head <= 0 || c.n_embd % c.n_head != 0)
    throw ModelError(config.source() + ": n_embd (" + std::to_string(c.n_embd) +
                     ") must be a multiple of n_head (" + std::to_string(c.n_head) + ")");
  if (!activation_supported(c.activation_function))
    throw ModelError(config.source() + ": key 'activation_function' is '" + c.activation_function +
                     "', which icsweep does not implement (gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, silu, relu)");
  if (config.get_bool("add_cross_attention", false))
    throw ModelError(config.source() + ": add_cross_attention is true; icsweep scores decoder-only GPT-2 models");
  return c;
}

Gpt2Model::Gpt2Model(Gpt2Config config, Gpt2Weights weights, ModelInfo info, torch::ScalarType dtype,
                     torch::Device device)
    : config_(std::move(config)), weights_(std::move(weights)), info_(std::move(info)), dtype_(dtype),
      device_(device) {}

torch::Tensor Gpt2Model::attention(const Gpt2LayerWeights& w, const torch::Tensor& x, int64_t layer_idx) const {
  const int64_t b = x.size(0), t = x.size(1), d = config_.n_embd, h = config_.n_head, dh = d / h;
  auto qkv = conv1d(x, w.c_attn_weight, w.c_attn_bias).split(d, -1);  // 3 x (B, T, D)
  auto q = qkv[0].view({b, t, h, dh}).transpose(1, 2);                  // (B, H, T, Dh)
  auto k = qkv[1].view({b, t, h, dh}).transpose(1, 2);
  auto v = qkv[2].view({b, t, h, dh}).transpose(1, 2);
  // causal_attention scales the scores by 1/sqrt(Dh); GPT2Attention's optional scalings are
  // folded into the queries (scores are linear in q).
  double q_scale = 1.0;
  if (!config_.scale_attn_weights) q_scale *= std::sqrt(static_cast<double>(dh));
  if (config_.scale_attn_by_inverse_layer_idx) q_scale /= static_cast<double>(layer_idx + 1);
  if (q_scale != 1.0) q = q * q_scale;
  auto out = causal_attention(q, k, v, {}).transpose(1, 2).reshape({b, t, d});  // (B, T, D)
  return conv1d(out, w.c_proj_weight, w.c_proj_bias);                             // (B, T, D)
}

torch::Tensor Gpt2Model::mlp(const Gpt2LayerWeights& w, const torch::Tensor& x) const {
  auto hidden = activation(config_.activation_function, conv1d(x, w.c_fc_weight, w.c_fc_bias));  // (B, T, F)
  return conv1d(hidden, w.mlp_proj_weight, w.mlp_proj_bias);                                     // (B, T, D)
}

torch::Tensor Gpt2Model::forward_hidden(const torch::Tensor& ids) {
  torch::InferenceMode guard;
  const int64_t t = ids.size(1);
  if (t > config_.n_positions)
    throw ModelError("gpt2: a sequence of " + std::to_string(t) + " tokens is longer than n_positions (" +
                     std::to_string(config_.n_positions) + "), the model's learned position table");
  const double eps = config_.layer_norm_epsilon;
  auto positions = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(device_));
  auto x = torch::embedding(weights_.wte, ids) + torch::embedding(weights_.wpe, positions);  // (B, T, D)
  for (int64_t i = 0; i < config_.n_layer; ++i) {
    const auto& w = weights_.h[i];
    x = x + attention(w, layer_norm(x, w.ln_1_weight, w.ln_1_bias, eps), i);
    x = x + mlp(w, layer_norm(x, w.ln_2_weight, w.ln_2_bias, eps));
  }
  return layer_norm(x, weights_.ln_f_weight, weights_.ln_f_bias, eps);  // (B, T, D)
}

torch::Tensor Gpt2Model::logits(const torch::Tensor& hidden) { return head_logits(hidden, weights_.lm_head); }

std::unique_ptr<CausalLM> load_gpt2(const HfConfig& config, const SafetensorsCheckpoint& checkpoint, ModelInfo info,
                                    torch::ScalarType dtype, torch::Device device) {
  const Gpt2Config c = Gpt2Config::from_hf(config);
  const int64_t d = c.n_embd, f = c.n_inner, v = c.vocab_size;
  // GPT2LMHeadModel saves "transformer.*"; checkpoints saved from the bare GPT2Model (the original
  // openai-community/gpt2 upload among them) have no prefix. transformers accepts both.
  const std::string t = checkpoint.find("transformer.wte.weight") || !checkpoint.find("wte.weight") ? "transformer." : "";

  Gpt2Weights w;
  w.h.resize(c.n_layer);
  // The Hugging Face names, verbatim.
  std::vector<WeightSpec> specs = {
      {t + "wte.weight", {v, d}, &w.wte},
      {t + "wpe.weight", {c.n_positions, d}, &w.wpe},
      {t + "ln_f.weight", {d}, &w.ln_f_weight},
      {t + "ln_f.bias", {d}, &w.ln_f_bias},
      {"lm_head.weight", {v, d}, &w.lm_head, /*optional=*/c.tie_word_embeddings},
  };
  for (int64_t i = 0; i < c.n_layer; ++i) {
    auto& l = w.h[i];
    const std::string p = t + "h." + std::to_string(i) + ".";
    specs.push_back({p + "ln_1.weight", {d}, &l.ln_1_weight});
    specs.push_back({p + "ln_1.bias", {d}, &l.ln_1_bias});
    specs.push_back({p + "attn.c_attn.weight", {d, 3 * d}, &l.c_attn_weight});
    specs.push_back({p + "attn.c_attn.bias", {3 * d}, &l.c_attn_bias});
    specs.push_back({p + "attn.c_proj.weight", {d, d}, &l.c_proj_weight});
    specs.push_back({p + "attn.c_proj.bias", {d}, &l.c_proj_bias});
    specs.push_back({p + "ln_2.weight", {d}, &l.ln_2_weight});
    specs.push_back({p + "ln_2.bias", {d}, &l.ln_2_bias});
    specs.push_back({p + "mlp.c_fc.weight", {d, f}, &l.c_fc_weight});
    specs.push_back({p + "mlp.c_fc.bias", {f}, &l.c_fc_bias});
    specs.push_back({p + "mlp.c_proj.weight", {f, d}, &l.mlp_proj_weight});
    specs.push_back({p + "mlp.c_proj.bias", {d}, &l.mlp_proj_bias});
  }
  // Older exports saved the causal-mask buffers attn.bias / attn.masked_bias; transformers
  // ignores them, so do we.
  auto ignore = [](const std::string& name) { return ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias"); };
  load_weights(checkpoint, specs, dtype, device, ignore);
  // Tied: transformers points lm_head at wte, ignoring any saved lm_head.weight.
  if (c.tie_word_embeddings) w.lm_head = w.wte;

  info.family = "gpt2";
  info.vocab_size = v;
  info.hidden_size = d;
  info.num_layers = c.n_layer;
  info.num_parameters = count_parameters(specs, c.tie_word_embeddings ? "lm_head.weight" : "");
  return std::make_unique<Gpt2Model>(c, std::move(w), std::move(info), dtype, device);
}

}  // namespace icsweep
