// LlamaForCausalLM and its variants' forward and weight table (config: llama_config.cpp).
#include "core/model/llama.h"

namespace icsweep {
namespace {

struct LlamaModel final : PreNormDecoder<LlamaConfig, LlamaLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // LlamaAttention (Qwen3Attention with the per-head q/k norms loaded).
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    const auto& mask = inputs.mask(layer_devices_[i], config_.sliding_window[i]);
    return rotary_attention(layers_[i].attn, config_.heads, h, cos, sin, mask, apply_rotary, config_.rms_norm_eps);
  }
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override { return swiglu(h, layers_[i].mlp); }
};

}  // namespace

std::unique_ptr<CausalLM> make_llama_model(LlamaConfig config, std::vector<LlamaLayerWeights> layers,
                                           LoadedDecoder loaded, DecoderEnds ends) {
  return std::make_unique<LlamaModel>(std::move(config), std::move(layers), std::move(loaded), std::move(ends));
}

std::unique_ptr<CausalLM> load_llama_decoder(const LoadRequest& request, const LlamaConfig& c,
                                             const std::string& family, bool qk_norm, const IgnoreFn& ignore) {
  const int64_t d = c.hidden_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t, LlamaLayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.qkv_bias, c.o_bias, l.attn);
    if (qk_norm) add_qk_norm_specs(specs, p + "self_attn.", c.heads, l.attn);
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp, c.mlp_bias);
  };
  return load_decoder<LlamaModel>(request, c, family, add_layer, ignore);
}

std::unique_ptr<CausalLM> load_llama(const LoadRequest& request) {
  const auto config = LlamaConfig::from_hf(request.config, request.model_type);
  return load_llama_decoder(request, config, "llama", /*qk_norm=*/false, is_saved_rotary_buffer);
}

}  // namespace icsweep
