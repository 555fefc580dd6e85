// GraniteMoeHybridForCausalLM's forward and weight table (config: granitemoehybrid_config.cpp).
#include "core/model/families/granitemoehybrid.h"

#include "core/model/decoder.h"
#include "core/model/mamba2.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

struct GraniteMoeHybridLayerWeights {
  torch::Tensor input_layernorm, post_attention_layernorm;  // (D) each
  Mamba2Weights mamba;                                       // Mamba-2 layers
  AttentionProjections attn;                                 // attention layers: self_attn.*
  DeepseekMoeWeights moe;  // block_sparse_moe (router, stacked experts) + shared_mlp as the shared expert
  void fuse() {
    if (attn.q_proj.defined()) attn.fuse_qkv();
    moe.fuse();  // the stacked experts' per-expert views
  }
};

struct GraniteMoeHybridModel final : PreNormDecoder<GraniteMoeHybridConfig, GraniteMoeHybridLayerWeights> {
  GraniteMoeHybridModel(GraniteMoeHybridConfig config, std::vector<GraniteMoeHybridLayerWeights> layers,
                        LoadedDecoder loaded, DecoderEnds ends)
      : PreNormDecoder(std::move(config), std::move(layers), std::move(loaded), std::move(ends)) {
    for (auto& l : layers_) l.fuse();
  }

  torch::Tensor embed(const torch::Tensor& ids) const override {
    return DecoderModel::embed(ids) * config_.embedding_multiplier;  // (B, T, D)
  }
  torch::Tensor logits(const torch::Tensor& hidden) override {
    return head_logits(hidden, ends_.lm_head) / config_.logits_scaling;  // (N, V)
  }

  // GraniteMoeHybridDecoderLayer: residual + (mamba or self_attn)(h) * residual_multiplier.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    if (config_.mamba_layers[i]) {
      const Mamba2Options options{{}, 1, /*norm_before_gate=*/false, config_.rms_norm_eps};
      return mamba2_mixer(w.mamba, config_.mamba, options, h) * config_.residual_multiplier;  // (B, T, D)
    }
    const auto qkv = project_qkv(w.attn, config_.heads, h);
    auto q = heads_first(qkv.q), k = heads_first(qkv.k);  // (B, H, T, Dh), (B, Hkv, T, Dh)
    if (config_.use_rope) {
      const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
      q = apply_rotary(q, cos, sin), k = apply_rotary(k, cos, sin);
    }
    auto out = causal_attention(q, k, heads_first(qkv.v), {}, config_.attention_multiplier);  // (B, H, T, Dh)
    return project_attention_output(w.attn, out) * config_.residual_multiplier;               // (B, T, D)
  }
  // block_sparse_moe(h) + shared_mlp(h), or the shared MLP alone; times residual_multiplier.
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override {
    const auto& w = layers_[i].moe;
    if (config_.num_experts == 0) return swiglu(h, w.shared_experts) * config_.residual_multiplier;
    auto flat = h.reshape({-1, h.size(-1)});  // (N, D)
    // GraniteMoeHybridTopKRouter: softmax over the top-k logits = the softmax renormalised over them.
    const auto routing = softmax_topk_routing(flat, w.router, config_.top_k, /*renormalize=*/true);
    return deepseek_moe(w, flat, routing).view(h.sizes()) * config_.residual_multiplier;  // (B, T, D)
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_granitemoehybrid(const LoadRequest& request) {
  const auto c = GraniteMoeHybridConfig::from_hf(request.config);
  const int64_t d = c.hidden_size, e = c.num_experts, f = c.intermediate_size, fs = c.shared_intermediate_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i,
                       GraniteMoeHybridLayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    if (c.mamba_layers[i])
      add_mamba2_specs(specs, p + "mamba.", d, c.mamba, c.mamba_proj_bias, c.mamba_conv_bias, c.mamba_proj_bias,
                       /*gated_norm=*/true, l.mamba);
    else
      add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    // GraniteMoeHybridMLP: input_linear (2F, D) = [gate | up] rows, output_linear (D, F).
    specs.push_back({p + "shared_mlp.input_linear.weight", {2 * fs, d}, &l.moe.shared_experts.gate_up});
    specs.push_back({p + "shared_mlp.output_linear.weight", {d, fs}, &l.moe.shared_experts.down});
    if (e == 0) return;
    const std::string m = p + "block_sparse_moe.";
    specs.push_back({m + "router.layer.weight", {e, d}, &l.moe.router});
    specs.push_back({m + "input_linear.weight", {e, 2 * f, d}, &l.moe.experts.gate_up});
    specs.push_back({m + "output_linear.weight", {e, d, f}, &l.moe.experts.down});
  };
  return load_decoder<GraniteMoeHybridModel>(request, c, "granitemoehybrid", add_layer);
}

}  // namespace icsweep
