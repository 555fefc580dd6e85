// Glm4MoeForCausalLM's forward and weight table (config: glm4_moe_config.cpp).
#include "core/model/families/glm4_moe.h"

#include "core/model/decoder.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

struct Glm4MoeLayerWeights : AttentionMlpWeights {  // attn with q/k norms (use_qk_norm); mlp: dense layers
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
  DeepseekMoeWeights moe;                  // the other layers
  void fuse() {
    AttentionMlpWeights::fuse();
    moe.fuse();
  }
};

struct Glm4MoeModel final : PreNormDecoder<Glm4MoeConfig, Glm4MoeLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // Glm4MoeAttention: q/k norms with use_qk_norm, rotary on the first rotary_dim dims, full causal.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
    return rotary_attention(layers_[i].attn, config_.heads, h, cos, sin, {}, apply_partial_rotary,
                            config_.rms_norm_eps);
  }
  // Glm4MoeMoE after first_k_dense_replace dense layers.
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override {
    return i >= config_.first_k_dense_replace ? moe(layers_[i], h) : swiglu(h, layers_[i].mlp);
  }

  torch::Tensor moe(const Glm4MoeLayerWeights& w, const torch::Tensor& x) const {
    auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
    const auto& c = config_;
    auto routing = sigmoid_group_routing(flat, w.moe.router, w.moe.router_bias, c.top_k, c.n_group, c.topk_group,
                                         c.norm_topk_prob, c.routed_scaling_factor);
    return deepseek_moe(w.moe, flat, routing).view(x.sizes());  // (B, T, D)
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_glm4_moe(const LoadRequest& request) {
  const auto c = Glm4MoeConfig::from_hf(request.config);
  c.check_loadable(request.config);
  const int64_t d = c.hidden_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Glm4MoeLayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, false, l.attn);
    if (c.use_qk_norm) add_qk_norm_specs(specs, p + "self_attn.", c.heads, l.attn);
    if (i < c.first_k_dense_replace)
      add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
    else
      add_deepseek_moe_specs(specs, p + "mlp.", d, c.num_experts, c.moe_intermediate_size, c.n_shared_experts,
                             /*score_bias=*/true, l.moe);
  };
  // Published GLM-4.5 checkpoints carry the multi-token-prediction layer (model.layers.46.* in
  // GLM-4.5-Air); transformers drops it, so do we.
  auto ignore = [&](const std::string& name) { return is_beyond_last_layer(name, c.num_layers); };
  return load_decoder<Glm4MoeModel>(request, c, "glm4_moe", add_layer, ignore);
}

}  // namespace icsweep
