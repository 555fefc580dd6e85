// HunYuanDenseV1ForCausalLM's forward and weight table (config: hunyuan_dense_config.cpp).
#include "core/model/families/hunyuan_dense.h"

#include "core/model/decoder.h"

namespace icsweep {
namespace {

struct HunyuanDenseLayerWeights : AttentionMlpWeights {  // attn.q_norm / k_norm: query_layernorm / key_layernorm
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
};

struct HunyuanDenseModel final : PreNormDecoder<HunyuanDenseConfig, HunyuanDenseLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // HunYuanDenseV1Attention: unlike Qwen3, the per-head norms come after the rotary embedding.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    return rotary_attention(layers_[i].attn, config_.heads, h, cos, sin, {}, apply_rotary, config_.rms_norm_eps,
                            QkNorm::kAfterRotary);
  }
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override { return swiglu(h, layers_[i].mlp); }
};

}  // namespace

std::unique_ptr<CausalLM> load_hunyuan_dense(const LoadRequest& request) {
  const auto c = HunyuanDenseConfig::from_hf(request.config);
  const int64_t d = c.hidden_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, HunyuanDenseLayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    add_qk_norm_specs(specs, p + "self_attn.", c.heads, l.attn, "query_layernorm", "key_layernorm");
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
  };
  return load_decoder<HunyuanDenseModel>(request, c, "hunyuan_dense", add_layer);
}

}  // namespace icsweep
