// GPT2LMHeadModel's forward and weight table (config: gpt2_config.cpp).
#include "core/model/families/gpt2.h"

#include <cmath>

#include "core/common/errors.h"
#include "core/model/decoder.h"

namespace icsweep {
namespace {

// transformers' Conv1D: weight (in, out), y = x W + b.
torch::Tensor conv1d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return torch::matmul(x, weight) + bias;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Gpt2LayerWeights {
  torch::Tensor ln_1_weight, ln_1_bias;      // (D)
  torch::Tensor c_attn_weight, c_attn_bias;  // (D, 3D), (3D)
  torch::Tensor c_proj_weight, c_proj_bias;  // (D, D), (D)
  torch::Tensor ln_2_weight, ln_2_bias;      // (D)
  torch::Tensor c_fc_weight, c_fc_bias;      // (D, F), (F)
  torch::Tensor mlp_proj_weight, mlp_proj_bias;  // mlp.c_proj: (F, D), (D)
};

class Gpt2Model : public DecoderModel {
 public:
  Gpt2Model(Gpt2Config config, std::vector<Gpt2LayerWeights> h, torch::Tensor wpe, LoadedDecoder loaded,
            DecoderEnds ends)
      : DecoderModel(std::move(loaded), std::move(ends)), config_(std::move(config)), h_(std::move(h)),
        wpe_(std::move(wpe)) {}

  // GPT2Block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
  torch::Tensor forward_hidden(const torch::Tensor& ids) override {
    torch::InferenceMode guard;
    const int64_t t = ids.size(1);
    if (t > config_.n_positions)
      throw ModelError("gpt2: a sequence of " + std::to_string(t) + " tokens is longer than n_positions (" +
                       std::to_string(config_.n_positions) + "), the model's learned position table");
    const double eps = config_.layer_norm_epsilon;
    auto positions = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(device_));
    auto x = embed(ids) + torch::embedding(wpe_, positions);  // (B, T, D)
    for (int64_t i = 0; i < config_.n_layer; ++i) {
      const auto& w = h_[i];
      auto fp8 = fp8_layer(i);
      x = x + attention(w, layer_norm(x, w.ln_1_weight, w.ln_1_bias, eps), i);
      x = x + mlp(w, layer_norm(x, w.ln_2_weight, w.ln_2_bias, eps));
    }
    return layer_norm(x, ends_.norm, ends_.norm_bias, eps);  // (B, T, D)
  }

 private:
  torch::Tensor attention(const Gpt2LayerWeights& w, const torch::Tensor& x, int64_t layer_idx) const {
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

  torch::Tensor mlp(const Gpt2LayerWeights& w, const torch::Tensor& x) const {
    auto hidden = activation(config_.activation_function, conv1d(x, w.c_fc_weight, w.c_fc_bias));  // (B, T, F)
    return conv1d(hidden, w.mlp_proj_weight, w.mlp_proj_bias);                                     // (B, T, D)
  }

  Gpt2Config config_;
  std::vector<Gpt2LayerWeights> h_;
  torch::Tensor wpe_;  // (n_positions, D)
};

}  // namespace

std::unique_ptr<CausalLM> load_gpt2(const LoadRequest& request) {
  const auto c = Gpt2Config::from_hf(request.config);
  const int64_t d = c.n_embd, f = c.n_inner;
  // GPT2LMHeadModel saves "transformer.*"; checkpoints saved from the bare GPT2Model (the original
  // openai-community/gpt2 upload among them) have no prefix. transformers accepts both.
  const auto& checkpoint = request.checkpoint;
  const std::string t = checkpoint.find("transformer.wte.weight") || !checkpoint.find("wte.weight") ? "transformer." : "";
  WeightTable table(request, {t, "wte.weight", "ln_f.weight", "lm_head.weight"});
  DecoderEnds ends;
  table.add_ends(ends, c.vocab_size, d, c.tie_word_embeddings);
  torch::Tensor wpe;
  table.specs.push_back({t + "wpe.weight", {c.n_positions, d}, &wpe});
  table.specs.push_back({t + "ln_f.bias", {d}, &ends.norm_bias});
  std::vector<Gpt2LayerWeights> h(c.n_layer);
  for (int64_t i = 0; i < c.n_layer; ++i) {
    auto& l = h[i];
    const std::string p = t + "h." + std::to_string(i) + ".";
    table.specs.push_back({p + "ln_1.weight", {d}, &l.ln_1_weight});
    table.specs.push_back({p + "ln_1.bias", {d}, &l.ln_1_bias});
    table.specs.push_back({p + "attn.c_attn.weight", {d, 3 * d}, &l.c_attn_weight});
    table.specs.push_back({p + "attn.c_attn.bias", {3 * d}, &l.c_attn_bias});
    table.specs.push_back({p + "attn.c_proj.weight", {d, d}, &l.c_proj_weight});
    table.specs.push_back({p + "attn.c_proj.bias", {d}, &l.c_proj_bias});
    table.specs.push_back({p + "ln_2.weight", {d}, &l.ln_2_weight});
    table.specs.push_back({p + "ln_2.bias", {d}, &l.ln_2_bias});
    table.specs.push_back({p + "mlp.c_fc.weight", {d, f}, &l.c_fc_weight});
    table.specs.push_back({p + "mlp.c_fc.bias", {f}, &l.c_fc_bias});
    table.specs.push_back({p + "mlp.c_proj.weight", {f, d}, &l.mlp_proj_weight});
    table.specs.push_back({p + "mlp.c_proj.bias", {d}, &l.mlp_proj_bias});
  }
  // Older exports saved the causal-mask buffers attn.bias / attn.masked_bias; transformers
  // ignores them, so do we.
  auto ignore = [](const std::string& name) {
    return ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias");
  };
  auto loaded = table.load("gpt2", c.n_layer, ends, ignore);
  return std::make_unique<Gpt2Model>(c, std::move(h), std::move(wpe), std::move(loaded), std::move(ends));
}

}  // namespace icsweep
