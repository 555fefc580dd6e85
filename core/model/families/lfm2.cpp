// Lfm2ForCausalLM's forward and weight table (config: lfm2_config.cpp), also the text model of
// Lfm2VlForConditionalGeneration.
#include "core/model/families/lfm2.h"

#include "core/model/decoder.h"
#include "core/model/mamba2.h"
#include "core/model/multimodal.h"

namespace icsweep {
namespace {

struct Lfm2LayerWeights : AttentionMlpWeights {  // self_attn.* (attention layers), feed_forward.w1/w3/w2
  torch::Tensor input_layernorm;           // (D): operator_norm
  torch::Tensor post_attention_layernorm;  // (D): ffn_norm
  torch::Tensor conv_in, conv_in_bias;     // (3D, D): conv.in_proj -> B, C, x
  torch::Tensor conv, conv_bias;           // (D, 1, K): conv.conv
  torch::Tensor conv_out, conv_out_bias;   // (D, D): conv.out_proj
};

struct Lfm2Model final : PreNormDecoder<Lfm2Config, Lfm2LayerWeights> {
  using PreNormDecoder::PreNormDecoder;

  // Lfm2DecoderLayer: x + (self_attn or conv)(operator_norm(x)).
  torch::Tensor self_attn(int64_t i, const torch::Tensor& h, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    if (config_.attention_layers[i]) {
      const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dh) each
      return rotary_attention(w.attn, config_.heads, h, cos, sin, {}, apply_rotary, config_.rms_norm_eps);
    }
    // Lfm2ShortConv: out_proj(C · conv(B · x)).
    const auto bcx = linear(h, w.conv_in, w.conv_in_bias).chunk(3, -1);  // (B, T, D) each
    const auto mixed = causal_depthwise_conv1d(bcx[0] * bcx[2], w.conv, w.conv_bias);
    return linear(bcx[1] * mixed, w.conv_out, w.conv_out_bias);  // (B, T, D)
  }
  torch::Tensor mlp(int64_t i, const torch::Tensor& h) const override { return swiglu(h, layers_[i].mlp); }
};

}  // namespace

std::unique_ptr<CausalLM> load_lfm2(const LoadRequest& request) {
  const auto c = Lfm2Config::from_hf(request.config);
  const int64_t d = c.hidden_size;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Lfm2LayerWeights& l) {
    specs.push_back({p + "operator_norm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "ffn_norm.weight", {d}, &l.post_attention_layernorm});
    add_swiglu_specs(specs, p + "feed_forward.", kMixtralExpertNames, d, c.intermediate_size, l.mlp);
    if (c.attention_layers[i]) {
      const std::string a = p + "self_attn.";
      specs.push_back({a + "q_proj.weight", {c.heads.q_dim(), d}, &l.attn.q_proj});
      specs.push_back({a + "k_proj.weight", {c.heads.kv_dim(), d}, &l.attn.k_proj});
      specs.push_back({a + "v_proj.weight", {c.heads.kv_dim(), d}, &l.attn.v_proj});
      specs.push_back({a + "out_proj.weight", {d, c.heads.q_dim()}, &l.attn.o_proj});
      add_qk_norm_specs(specs, a, c.heads, l.attn, "q_layernorm", "k_layernorm");
      return;
    }
    const std::string s = p + "conv.";
    specs.push_back({s + "in_proj.weight", {3 * d, d}, &l.conv_in});
    specs.push_back({s + "conv.weight", {d, 1, c.conv_kernel}, &l.conv});
    specs.push_back({s + "out_proj.weight", {d, d}, &l.conv_out});
    if (!c.conv_bias) return;
    specs.push_back({s + "in_proj.bias", {3 * d}, &l.conv_in_bias});
    specs.push_back({s + "conv.bias", {d}, &l.conv_bias});
    specs.push_back({s + "out_proj.bias", {d}, &l.conv_out_bias});
  };
  // Lfm2VlForConditionalGeneration: the text model under model.language_model.*, its vision side skipped.
  EndNames names = language_model_end_names(request.checkpoint);
  names.norm = "embedding_norm.weight";
  const auto ignore = [](const std::string& name) {
    return is_image_side_tensor(name, "vision_tower") || is_saved_rotary_buffer(name);
  };
  return load_decoder<Lfm2Model>(request, c, "lfm2", add_layer, ignore, names);
}

}  // namespace icsweep
