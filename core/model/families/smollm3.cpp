// SmolLM3ForCausalLM's forward (config: smollm3_config.cpp; weight table: core/model/llama_like.h).
#include "core/model/families/smollm3.h"

#include "core/model/llama_like.h"

namespace icsweep {
namespace {

torch::Tensor no_rotary(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&) { return x; }

struct SmolLM3Model final : PreNormDecoder<SmolLM3Config, LlamaLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // SmolLM3Attention: LlamaAttention, rope only where use_rope.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    const auto& mask = inputs.mask(layer_devices_[i], config_.sliding_window[i]);
    return rotary_attention(layers_[i].attn, config_.heads, h, cos, sin, mask,
                            config_.use_rope[i] ? apply_rotary : no_rotary);
  }
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override { return swiglu(h, layers_[i].mlp); }
};

}  // namespace

std::unique_ptr<CausalLM> load_smollm3(const LoadRequest& request) {
  const auto c = SmolLM3Config::from_hf(request.config);
  return load_llama_like<SmolLM3Model>(request, c, "smollm3", {c.qkv_bias, c.o_bias, c.mlp_bias});
}

}  // namespace icsweep
