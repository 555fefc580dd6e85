// GraniteForCausalLM's forward (config: granite_config.cpp; weight table: core/model/llama_like.h).
#include "core/model/families/granite.h"

#include "core/model/llama_like.h"

namespace icsweep {
namespace {

struct GraniteModel final : PreNormDecoder<GraniteConfig, LlamaLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // GraniteModel: inputs_embeds * embedding_multiplier.
  torch::Tensor embed(const torch::Tensor& ids) const override {
    return DecoderModel::embed(ids) * config_.embedding_multiplier;  // (B, T, D)
  }
  // GraniteForCausalLM: logits / logits_scaling.
  torch::Tensor logits(const torch::Tensor& hidden) override {
    return head_logits(hidden, ends_.lm_head) / config_.logits_scaling;  // (N, V)
  }

  // GraniteDecoderLayer adds residual + attention(h) * residual_multiplier; GraniteAttention scales
  // the scores by attention_multiplier.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i].attn;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    const auto qkv = project_qkv(w, config_.heads, h);
    auto q = apply_rotary(heads_first(qkv.q), cos, sin);  // (B, H, T, Dh)
    auto k = apply_rotary(heads_first(qkv.k), cos, sin);  // (B, Hkv, T, Dh)
    auto out = causal_attention(q, k, heads_first(qkv.v), {}, config_.attention_multiplier);  // (B, H, T, Dh)
    return project_attention_output(w, out) * config_.residual_multiplier;                    // (B, T, D)
  }
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override {
    return swiglu(h, layers_[i].mlp) * config_.residual_multiplier;
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_granite(const LoadRequest& request) {
  const auto c = GraniteConfig::from_hf(request.config);
  return load_llama_like<GraniteModel>(request, c, "granite", {c.attention_bias, c.attention_bias, c.mlp_bias});
}

}  // namespace icsweep
