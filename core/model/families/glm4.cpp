// Glm4ForCausalLM's forward and weight table (config: glm4_config.cpp).
#include "core/model/families/glm4.h"

#include "core/model/decoder.h"

namespace icsweep {
namespace {

struct Glm4LayerWeights : AttentionMlpWeights {  // mlp.gate_up_proj stored fused (2F, D): [gate | up]
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_self_attn_layernorm;  // (D)
  torch::Tensor post_attention_layernorm;  // (D), before the MLP despite its name
  torch::Tensor post_mlp_layernorm;        // (D)
};

struct Glm4Model final : LayerwiseDecoder<Glm4Config, Glm4LayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // Glm4DecoderLayer: x + post_self_attn_norm(attention(norm(x))), then x + post_mlp_norm(mlp(norm(x))).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.rms_norm_eps;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
    auto h = rotary_attention(w.attn, config_.heads, rms_norm(x, w.input_layernorm, eps), cos, sin, {},
                              apply_interleaved_rotary);
    auto y = x + rms_norm(h, w.post_self_attn_layernorm, eps);
    h = swiglu(rms_norm(y, w.post_attention_layernorm, eps), w.mlp);
    return y + rms_norm(h, w.post_mlp_layernorm, eps);
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm(x, ends_.norm, config_.rms_norm_eps);
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_glm4(const LoadRequest& request) {
  const auto c = Glm4Config::from_hf(request.config);
  const int64_t d = c.hidden_size, f = c.intermediate_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Glm4LayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, false, l.attn);
    specs.push_back({p + "post_self_attn_layernorm.weight", {d}, &l.post_self_attn_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "mlp.gate_up_proj.weight", {2 * f, d}, &l.mlp.gate_up});  // stored fused: [gate | up]
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.mlp.down});
    specs.push_back({p + "post_mlp_layernorm.weight", {d}, &l.post_mlp_layernorm});
  };
  return load_decoder<Glm4Model>(request, c, "glm4", add_layer);
}

}  // namespace icsweep
