// HunYuanMoEV1ForCausalLM's forward and weight table (config: hunyuan_moe_config.cpp).
#include "core/model/families/hunyuan_moe.h"

#include "core/model/decoder.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

struct HunyuanMoeLayerWeights : AttentionMlpWeights {  // attn.q_norm / k_norm: query_layernorm / key_layernorm
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
  torch::Tensor router;                    // (E, D) fp32 mlp.gate.wg
  RoutedExperts experts;                   // E, F = intermediate_size
  void fuse() {
    AttentionMlpWeights::fuse();
    experts.stack();
  }
  // mlp: the shared MLP (mlp.shared_mlp), F = intermediate_size
};

struct HunyuanMoeModel final : PreNormDecoder<HunyuanMoeConfig, HunyuanMoeLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // HunYuanMoEV1Attention: as HunYuanDenseV1's, the per-head norms after the rotary embedding.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    return rotary_attention(layers_[i].attn, config_.heads, h, cos, sin, {}, apply_rotary, config_.rms_norm_eps,
                            QkNorm::kAfterRotary);
  }
  // HunYuanMoEV1Moe: the routed experts (router in fp32, so fp32 weights) plus the shared MLP.
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override {
    const auto& w = layers_[i];
    auto flat = h.reshape({-1, h.size(-1)});  // (N, D)
    auto routing = softmax_topk_routing(flat.to(torch::kFloat32), w.router, config_.top_k[i], /*renormalize=*/true);
    auto routed = routed_swiglu_experts(flat, routing, w.experts).view(h.sizes());  // (B, T, D)
    return routed + swiglu(h, w.mlp);
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_hunyuan_moe(const LoadRequest& request) {
  const auto c = HunyuanMoeConfig::from_hf(request.config);
  const int64_t d = c.hidden_size, f = c.intermediate_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t, HunyuanMoeLayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    add_qk_norm_specs(specs, p + "self_attn.", c.heads, l.attn, "query_layernorm", "key_layernorm");
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    // HunYuanMoEV1Gate builds wg in fp32.
    specs.push_back({p + "mlp.gate.wg.weight", {c.num_experts, d}, &l.router, false, keep_fp32});
    add_expert_specs(specs, p + "mlp.experts.", kProjNames, d, f, c.num_experts, l.experts);
    add_swiglu_specs(specs, p + "mlp.shared_mlp.", kProjNames, d, f, l.mlp);
  };
  return load_decoder<HunyuanMoeModel>(request, c, "hunyuan_moe", add_layer);
}

}  // namespace icsweep
