// HunYuanDenseV1ForCausalLM's forward and weight table (config: hunyuan_dense_config.cpp).
#include "core/model/families/hunyuan_dense.h"

#include "core/model/decoder.h"

namespace icsweep {
namespace {

struct HunyuanDenseLayerWeights : AttentionMlpWeights {
  torch::Tensor input_layernorm;                 // (D)
  torch::Tensor query_layernorm, key_layernorm;  // (Dh) each, after rotary
  torch::Tensor post_attention_layernorm;        // (D)
};

struct HunyuanDenseModel final : PreNormDecoder<HunyuanDenseConfig, HunyuanDenseLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // HunYuanDenseV1Attention.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    const double eps = config_.rms_norm_eps;
    const auto qkv = project_qkv(w.attn, config_.heads, h);
    // Unlike Qwen3, the per-head norms come after the rotary embedding.
    auto q = rms_norm(apply_rotary(heads_first(qkv.q), cos, sin), w.query_layernorm, eps);  // (B, H, T, Dh)
    auto k = rms_norm(apply_rotary(heads_first(qkv.k), cos, sin), w.key_layernorm, eps);    // (B, Hkv, T, Dh)
    return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), {}));  // (B, T, D)
  }
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override { return swiglu(h, layers_[i].mlp); }
};

}  // namespace

std::unique_ptr<CausalLM> load_hunyuan_dense(const LoadRequest& request) {
  const auto c = HunyuanDenseConfig::from_hf(request.config);
  const int64_t d = c.hidden_size, dh = c.heads.head_dim;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, HunyuanDenseLayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    specs.push_back({p + "self_attn.query_layernorm.weight", {dh}, &l.query_layernorm});
    specs.push_back({p + "self_attn.key_layernorm.weight", {dh}, &l.key_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
  };
  return load_decoder<HunyuanDenseModel>(request, c, "hunyuan_dense", add_layer);
}

}  // namespace icsweep
