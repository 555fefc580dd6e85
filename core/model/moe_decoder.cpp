#include "core/model/moe_decoder.h"

#include "core/model/moe.h"

namespace icsweep {
namespace {

struct SparseMoeLayerWeights : AttentionMlpWeights {  // attn with q/k norms (Qwen3-MoE); mlp: dense layers
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
  torch::Tensor router;                    // (E, D) <block>gate
  RoutedExperts experts;                   // E, F = moe_intermediate_size
  SwigluWeights shared_expert;             // F = shared_expert_intermediate_size (Qwen2-MoE)
  torch::Tensor shared_expert_gate;        // (1, D) (Qwen2-MoE)
  void fuse() {
    AttentionMlpWeights::fuse();
    experts.stack();
    shared_expert.fuse_gate_up();
  }
};

struct SparseMoeModel final : PreNormDecoder<SparseMoeConfig, SparseMoeLayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // MixtralAttention (Qwen3MoeAttention with the per-head q/k norms loaded).
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    const auto& mask = inputs.mask(layer_devices_[i], config_.sliding_window[i]);
    return rotary_attention(layers_[i].attn, config_.heads, h, cos, sin, mask, apply_rotary, config_.rms_norm_eps);
  }
  // The sparse MoE block, or the dense MLP on the layers that keep one.
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override {
    return config_.sparse[i] ? moe(layers_[i], h) : swiglu(h, layers_[i].mlp);
  }

  torch::Tensor moe(const SparseMoeLayerWeights& w, const torch::Tensor& x) const {
    auto flat = x.reshape({-1, x.size(-1)});  // (N, D)
    auto routing = softmax_topk_routing(flat, w.router, config_.top_k, config_.norm_topk_prob);
    auto out = routed_swiglu_experts(flat, routing, w.experts);  // (N, D)
    if (config_.shared_expert_intermediate_size > 0)
      out = out + torch::sigmoid(torch::matmul(flat, w.shared_expert_gate.t())) * swiglu(flat, w.shared_expert);
    return out.view(x.sizes());  // (B, T, D)
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_sparse_moe_decoder(const LoadRequest& request, const SparseMoeConfig& c,
                                                  const std::string& family, const SparseMoeNames& names,
                                                  const IgnoreFn& ignore) {
  const int64_t d = c.hidden_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, SparseMoeLayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.qkv_bias, c.o_bias, l.attn);
    if (c.qk_norm) add_qk_norm_specs(specs, p + "self_attn.", c.heads, l.attn);
    if (!c.sparse[i]) return add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
    const std::string block = p + names.block;
    specs.push_back({block + "gate.weight", {c.num_experts, d}, &l.router});
    add_expert_specs(specs, block + "experts.", names.experts, d, c.moe_intermediate_size, c.num_experts, l.experts);
    if (c.shared_expert_intermediate_size == 0) return;
    add_swiglu_specs(specs, block + "shared_expert.", kProjNames, d, c.shared_expert_intermediate_size,
                     l.shared_expert);
    specs.push_back({block + "shared_expert_gate.weight", {1, d}, &l.shared_expert_gate});
  };
  return load_decoder<SparseMoeModel>(request, c, family, add_layer, ignore);
}

}  // namespace icsweep
