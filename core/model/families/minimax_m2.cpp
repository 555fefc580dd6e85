// MiniMaxM2ForCausalLM's forward and weight table (config: minimax_m2_config.cpp).
#include "core/model/families/minimax_m2.h"

#include "core/model/decoder.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

struct MinimaxM2LayerWeights : AttentionMlpWeights {  // attn.q_norm / k_norm over the whole projection; no dense mlp
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
  torch::Tensor router;                    // (E, D) block_sparse_moe.gate
  torch::Tensor router_bias;               // (E) block_sparse_moe.e_score_correction_bias
  RoutedExperts experts;                   // E, F = intermediate_size
  void fuse() {
    AttentionMlpWeights::fuse();
    experts.stack();
  }
};

struct MinimaxM2Model final : PreNormDecoder<MinimaxM2Config, MinimaxM2LayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // MiniMaxM2Attention.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
    return rotary_attention(layers_[i].attn, config_.heads, h, cos, sin, {}, apply_partial_rotary,
                            config_.rms_norm_eps, QkNorm::kWholeProjection);
  }
  // MiniMaxM2SparseMoeBlock with MiniMaxM2TopKRouter: sigmoid scores in fp32, biased choice, weights
  // the chosen scores over their sum (fp32).
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override {
    const auto& w = layers_[i];
    auto flat = h.reshape({-1, h.size(-1)});                                     // (N, D)
    auto scores = torch::sigmoid(torch::matmul(flat, w.router.t()).to(torch::kFloat32));  // (N, E)
    auto routing = biased_group_topk(scores, w.router_bias, config_.top_k, 1, 1, /*renormalize=*/false, 1.0);
    routing.weights = routing.weights / routing.weights.sum(-1, /*keepdim=*/true);
    return routed_swiglu_experts(flat, routing, w.experts).view(h.sizes());  // (B, T, D)
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_minimax_m2(const LoadRequest& request) {
  const auto c = MinimaxM2Config::from_hf(request.config);
  c.check_loadable(request.config);
  const int64_t d = c.hidden_size, e = c.num_experts;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t, MinimaxM2LayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, false, false, l.attn);
    specs.push_back({p + "self_attn.q_norm.weight", {c.heads.q_dim()}, &l.attn.q_norm});
    specs.push_back({p + "self_attn.k_norm.weight", {c.heads.kv_dim()}, &l.attn.k_norm});
    const std::string m = p + "block_sparse_moe.";
    specs.push_back({m + "gate.weight", {e, d}, &l.router});
    specs.push_back({m + "e_score_correction_bias", {e}, &l.router_bias});
    add_expert_specs(specs, m + "experts.", kMixtralExpertNames, d, c.intermediate_size, e, l.experts);
  };
  // Published checkpoints may carry multi-token-prediction modules (use_mtp) that transformers does
  // not build: layers past the last one, or names holding "mtp".
  auto ignore = [&](const std::string& name) {
    return is_saved_rotary_buffer(name) || is_beyond_last_layer(name, c.num_layers) ||
           name.find("mtp") != std::string::npos;
  };
  return load_decoder<MinimaxM2Model>(request, c, "minimax_m2", add_layer, ignore);
}

}  // namespace icsweep
