// Gemma3's forward and weight table (config: gemma3_config.cpp).
#include "core/model/families/gemma3.h"

#include <cmath>

#include "core/model/decoder.h"
#include "core/model/families/gemma_logits.h"
#include "core/model/multimodal.h"

namespace icsweep {
namespace {

// Gemma3RMSNorm: normalise and multiply by (1 + w) in fp32, then cast back (not Llama's
// cast-then-multiply). x: (..., D), weight: (D).
torch::Tensor gemma_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto h = x.to(torch::kFloat32);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (h * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());
}

struct Gemma3LayerWeights : AttentionMlpWeights {
  torch::Tensor input_layernorm;             // (D)
  torch::Tensor q_norm, k_norm;              // (Dh) each, Gemma3RMSNorm
  torch::Tensor post_attention_layernorm;    // (D)
  torch::Tensor pre_feedforward_layernorm;   // (D)
  torch::Tensor post_feedforward_layernorm;  // (D)
};

class Gemma3Model : public Decoder<Gemma3Config, Gemma3LayerWeights> {
 public:
  using Decoder::Decoder;

  // Gemma3DecoderLayer: x + post_norm(attention(norm(x))), then x + post_ff_norm(mlp(pre_ff_norm(x))).
  torch::Tensor forward_hidden(const torch::Tensor& ids) override {
    torch::InferenceMode guard;
    const int64_t t = ids.size(1);
    const double eps = config_.rms_norm_eps;
    // Gemma3TextScaledWordEmbedding: the fp32 normaliser is cast to the weight dtype first
    // (sqrt(3072) = 55.43 becomes 55.5 in bf16), as transformers does.
    const auto normalizer =
        torch::scalar_tensor(std::sqrt(static_cast<double>(config_.hidden_size)), torch::kFloat32).to(device_, dtype_);
    auto x = embed(ids) * normalizer;  // (B, T, D)
    auto [cos_full, sin_full] = rope_cos_sin(config_.rope_full, t, dtype_, device_);       // (T, Dh) each
    auto [cos_local, sin_local] = rope_cos_sin(config_.rope_sliding, t, dtype_, device_);  // (T, Dh) each
    const auto window_mask = attention_mask(t, config_.sliding_window, device_);  // undefined: plain causal
    for (int64_t i = 0; i < config_.num_layers; ++i) {
      const auto& w = layers_[i];
      auto fp8 = fp8_layer(i);
      const bool sliding = config_.sliding[i];
      auto h = attention(w, gemma_rms_norm(x, w.input_layernorm, eps), sliding ? cos_local : cos_full,
                         sliding ? sin_local : sin_full, sliding ? window_mask : torch::Tensor());
      x = x + gemma_rms_norm(h, w.post_attention_layernorm, eps);
      h = gated_mlp(gemma_rms_norm(x, w.pre_feedforward_layernorm, eps), w.mlp, config_.hidden_activation);
      x = x + gemma_rms_norm(h, w.post_feedforward_layernorm, eps);
    }
    return gemma_rms_norm(x, ends_.norm, eps);  // (B, T, D)
  }

  torch::Tensor logits(const torch::Tensor& hidden) override {
    return softcapped_logits(hidden, ends_.lm_head, config_.final_logit_softcapping);
  }

 private:
  torch::Tensor attention(const Gemma3LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask) const {
    const int64_t group = config_.heads.num_heads / config_.heads.num_kv_heads;
    const double eps = config_.rms_norm_eps;
    const auto qkv = project_qkv(w.attn, config_.heads, x);
    auto q = apply_rotary(gemma_rms_norm(heads_first(qkv.q), w.q_norm, eps), cos, sin);  // (B, H, T, Dh)
    auto k = apply_rotary(gemma_rms_norm(heads_first(qkv.k), w.k_norm, eps), cos, sin);  // (B, Hkv, T, Dh)
    k = repeat_kv(k, group);                                                              // (B, H, T, Dh)
    auto v = repeat_kv(heads_first(qkv.v), group);                                        // (B, H, T, Dh)
    // Gemma3Attention keeps attn_logit_softcapping but never hands it to the attention function
    // (Gemma 2 does), so transformers does not cap the scores; neither do we.
    const double scale = std::pow(config_.query_pre_attn_scalar, -0.5);
    return project_attention_output(w.attn, scaled_attention(q, k, v, mask, scale, /*softcap=*/0.0));  // (B, T, D)
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_gemma3(const LoadRequest& request) {
  const auto c = Gemma3Config::from_hf(request.config);
  const int64_t d = c.hidden_size, dh = c.heads.head_dim;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Gemma3LayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.q_norm.weight", {dh}, &l.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {dh}, &l.k_norm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "pre_feedforward_layernorm.weight", {d}, &l.pre_feedforward_layernorm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
    specs.push_back({p + "post_feedforward_layernorm.weight", {d}, &l.post_feedforward_layernorm});
  };
  return load_decoder<Gemma3Model>(
      request, c, "gemma3", add_layer, [](const std::string& name) { return is_image_side_tensor(name, "vision_tower"); },
      language_model_end_names(request.checkpoint));
}

}  // namespace icsweep
