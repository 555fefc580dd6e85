// Ernie4_5ForCausalLM's forward (config: ernie4_5_config.cpp; weight table: core/model/llama_like.h).
#include "core/model/families/ernie4_5.h"

#include "core/model/llama_like.h"

namespace icsweep {
namespace {

struct Ernie4_5Model final : LayerwiseDecoder<Ernie4_5Config, LlamaLayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // Ernie4_5DecoderLayer: x + attention(norm(x)), then x + mlp(norm(x)).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.rms_norm_eps;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each, fp32
    auto h = x + rotary_attention(w.attn, config_.heads, rms_norm(x, w.input_layernorm, eps), cos, sin, {},
                                  apply_interleaved_rotary_fp32);
    return h + swiglu(rms_norm(h, w.post_attention_layernorm, eps), w.mlp);
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm(x, ends_.norm, config_.rms_norm_eps);
  }
  // Ernie4_5RotaryEmbedding hands cos/sin on in fp32 (no cast to the activation dtype).
  PerDeviceAttentionInputs attention_inputs(int64_t seq_len) const override {
    return {config_.rope, seq_len, torch::kFloat32};
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_ernie4_5(const LoadRequest& request) {
  const auto c = Ernie4_5Config::from_hf(request.config);
  return load_llama_like<Ernie4_5Model>(request, c, "ernie4_5", {c.use_bias, c.use_bias, c.use_bias});
}

}  // namespace icsweep
