// FalconH1ForCausalLM's forward and weight table (config: falcon_h1_config.cpp).
#include "core/model/families/falcon_h1.h"

#include "core/model/decoder.h"
#include "core/model/mamba2.h"

namespace icsweep {
namespace {

struct FalconH1LayerWeights : AttentionMlpWeights {  // self_attn.*, feed_forward.*
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D): pre_ff_layernorm
  Mamba2Weights mamba;
};

// compute_mup_vector: ssm_multipliers over the in_proj segments z (I), x (I), B (G·N), C (G·N), dt (H).
torch::Tensor mup_vector(const FalconH1Config& c, torch::ScalarType dtype, torch::Device device) {
  const int64_t I = c.mamba.intermediate(), GN = c.mamba.groups * c.mamba.state;
  const int64_t sizes[] = {I, I, GN, GN, c.mamba.heads};
  std::vector<torch::Tensor> parts;
  for (int s = 0; s < 5; ++s) parts.push_back(torch::full({sizes[s]}, c.ssm_multipliers[s], torch::kFloat32));
  return torch::cat(parts).to(device, dtype);  // (in_proj_dim)
}

struct FalconH1Model final : PreNormDecoder<FalconH1Config, FalconH1LayerWeights> {
  FalconH1Model(FalconH1Config config, std::vector<FalconH1LayerWeights> layers, LoadedDecoder loaded,
                DecoderEnds ends)
      : PreNormDecoder(std::move(config), std::move(layers), std::move(loaded), std::move(ends)) {
    for (const auto& device : layer_devices_)
      if (!mup_.count(device.str())) mup_[device.str()] = mup_vector(config_, dtype_, device);
  }

  torch::Tensor embed(const torch::Tensor& ids) const override {
    return DecoderModel::embed(ids) * config_.embedding_multiplier;  // (B, T, D)
  }
  torch::Tensor logits(const torch::Tensor& hidden) override {
    return head_logits(hidden, ends_.lm_head) * config_.lm_head_multiplier;  // (N, V)
  }

  // FalconH1DecoderLayer: mamba(h)·ssm_out + self_attn(h·attention_in)·attention_out, one residual add.
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const Mamba2Options options{mup_.at(layer_devices_[i].str()), config_.mamba.groups,
                                config_.mamba_norm_before_gate, config_.rms_norm_eps};
    auto mixed = mamba2_mixer(w.mamba, config_.mamba, options, h * config_.ssm_in_multiplier);  // (B, T, D)
    mixed = mixed * config_.ssm_out_multiplier;
    // FalconH1Attention: keys times key_multiplier before the rotary embedding.
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
    const auto qkv = project_qkv(w.attn, config_.heads, h * config_.attention_in_multiplier);
    auto q = apply_rotary(heads_first(qkv.q), cos, sin);                          // (B, H, T, Dh)
    auto k = apply_rotary(heads_first(qkv.k) * config_.key_multiplier, cos, sin);  // (B, Hkv, T, Dh)
    auto out = causal_attention(q, k, heads_first(qkv.v), {});                     // (B, H, T, Dh)
    return mixed + project_attention_output(w.attn, out) * config_.attention_out_multiplier;  // (B, T, D)
  }
  // FalconH1MLP: down(up(h) · silu(gate(h) · mlp_multipliers[0])) · mlp_multipliers[1].
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override {
    const auto& w = layers_[i].mlp;
    const auto gate_up = linear(h, w.gate_up, w.gate_up_bias).chunk(2, -1);  // (B, T, F) each
    const auto y = gate_up[1] * torch::silu(gate_up[0] * config_.gate_multiplier);
    return linear(y, w.down, w.down_bias) * config_.down_multiplier;  // (B, T, D)
  }

 private:
  std::map<std::string, torch::Tensor> mup_;  // device -> mup_vector (in_proj_dim)
};

}  // namespace

std::unique_ptr<CausalLM> load_falcon_h1(const LoadRequest& request) {
  const auto c = FalconH1Config::from_hf(request.config);
  const int64_t d = c.hidden_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t, FalconH1LayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "pre_ff_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_mamba2_specs(specs, p + "mamba.", d, c.mamba, c.mamba_proj_bias, c.mamba_conv_bias, c.projectors_bias,
                     c.mamba_rms_norm, l.mamba);
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    add_swiglu_specs(specs, p + "feed_forward.", kProjNames, d, c.intermediate_size, l.mlp, c.mlp_bias);
  };
  EndNames names;
  names.norm = "final_layernorm.weight";
  return load_decoder<FalconH1Model>(request, c, "falcon_h1", add_layer, is_saved_rotary_buffer, names);
}

}  // namespace icsweep
