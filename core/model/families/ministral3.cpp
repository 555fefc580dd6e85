// Ministral3ForCausalLM and Mistral3ForConditionalGeneration's language model: forward and weight
// table (config: ministral3_config.cpp; layer rows: core/model/llama_like.h).
#include "core/model/families/ministral3.h"

#include "core/model/llama_like.h"
#include "core/model/multimodal.h"

namespace icsweep {
namespace {

struct Ministral3Model final : PreNormDecoder<Ministral3Config, LlamaLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // Ministral3Attention: q/k/v, rope, q times the Llama-4 scale of its position, attention, o_proj.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i].attn;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    auto [q, k, v] = project_qkv(w, config_.heads, h);           // (B, T, H|Hkv, Dh)
    q = apply_rotary(heads_first(q), cos, sin);                  // (B, H, T, Dh)
    k = apply_rotary(heads_first(k), cos, sin);                  // (B, Hkv, T, Dh)
    if (config_.query_scale_beta != 0.0) {
      const int64_t t = q.size(2);
      auto scale = llama4_query_scale(t, config_.query_scale_beta, config_.query_scale_original_max, q.device());
      q = q * scale.to(q.scalar_type()).view({1, 1, t, 1});
    }
    const auto& mask = inputs.mask(layer_devices_[i], config_.sliding_window[i]);
    return project_attention_output(w, causal_attention(q, k, heads_first(v), mask));  // (B, T, D)
  }
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override { return swiglu(h, layers_[i].mlp); }
};

}  // namespace

std::unique_ptr<CausalLM> load_ministral3(const LoadRequest& request) {
  const auto c = Ministral3Config::from_hf(request.config);
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t, LlamaLayerWeights& l) {
    add_llama_layer_specs(specs, p, c, /*biases=*/{}, l);  // Ministral3Attention / MLP: no biases
  };
  return load_decoder<Ministral3Model>(
      request, c, "ministral3", add_layer,
      [](const std::string& name) { return is_image_side_tensor(name, "vision_tower") || is_saved_rotary_buffer(name); },
      language_model_end_names(request.checkpoint));
}

}  // namespace icsweep
