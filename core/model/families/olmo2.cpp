// Olmo2ForCausalLM's forward and weight table (config: olmo2_config.cpp).
#include "core/model/families/olmo2.h"

#include "core/model/decoder.h"

namespace icsweep {
namespace {

struct Olmo2LayerWeights : AttentionMlpWeights {
  torch::Tensor q_norm;                      // (H*Dh), over all heads at once
  torch::Tensor k_norm;                      // (Hkv*Dh)
  torch::Tensor post_attention_layernorm;    // (D)
  torch::Tensor post_feedforward_layernorm;  // (D)
};

struct Olmo2Model final : LayerwiseDecoder<Olmo2Config, Olmo2LayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // Olmo2DecoderLayer: x + norm(attention(x)), then x + norm(mlp(x)).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.rms_norm_eps;
    const bool sliding = config_.sliding_window[i] > 0;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i], sliding ? config_.rope_sliding : config_.rope);  // (T, Dh)
    const auto& mask = inputs.mask(layer_devices_[i], config_.sliding_window[i]);  // undefined: plain causal
    auto h = x + rms_norm_weight_fp32(attention(w, x, cos, sin, mask), w.post_attention_layernorm, eps);
    return h + rms_norm_weight_fp32(swiglu(h, w.mlp), w.post_feedforward_layernorm, eps);
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm_weight_fp32(x, ends_.norm, config_.rms_norm_eps);
  }

  torch::Tensor attention(const Olmo2LayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask) const {
    const double eps = config_.rms_norm_eps;
    const auto qkv = project_qkv(w.attn, config_.heads, x);
    // Olmo2Attention: q_norm / k_norm over all heads at once, (B, T, H*Dh) and (B, T, Hkv*Dh).
    auto q = rms_norm_weight_fp32(qkv.q.flatten(2), w.q_norm, eps).view(qkv.q.sizes());  // (B, T, H, Dh)
    auto k = rms_norm_weight_fp32(qkv.k.flatten(2), w.k_norm, eps).view(qkv.k.sizes());  // (B, T, Hkv, Dh)
    q = apply_rotary(heads_first(q), cos, sin);                                            // (B, H, T, Dh)
    k = apply_rotary(heads_first(k), cos, sin);                                            // (B, Hkv, T, Dh)
    return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), mask));  // (B, T, D)
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_olmo2(const LoadRequest& request) {
  const auto c = Olmo2Config::from_hf(request.config);
  const int64_t d = c.hidden_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Olmo2LayerWeights& l) {
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.q_norm.weight", {c.heads.q_dim()}, &l.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {c.heads.kv_dim()}, &l.k_norm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
    specs.push_back({p + "post_feedforward_layernorm.weight", {d}, &l.post_feedforward_layernorm});
  };
  return load_decoder<Olmo2Model>(request, c, request.config.model_type(), add_layer, /*ignore=*/nullptr);
}

}  // namespace icsweep
