// StableLmForCausalLM's forward and weight table (config: stablelm_config.cpp).
#include "core/model/families/stablelm.h"

#include "core/model/decoder.h"

namespace icsweep {
namespace {

struct StableLmLayerWeights : AttentionMlpWeights {
  torch::Tensor input_layernorm, input_layernorm_bias;                    // (D)
  torch::Tensor post_attention_layernorm, post_attention_layernorm_bias;  // (D); none with parallel residual
  std::vector<torch::Tensor> q_head_norms, k_head_norms;                  // qk_layernorm: H and Hkv of (Dh)
  torch::Tensor q_layernorm, k_layernorm;                                 // the same stacked: (H, Dh), (Hkv, Dh)
  void fuse() {
    AttentionMlpWeights::fuse();
    if (q_head_norms.empty()) return;
    q_layernorm = torch::stack(q_head_norms);
    k_layernorm = torch::stack(k_head_norms);
    q_head_norms.clear();
    k_head_norms.clear();
  }
};

// StableLmLayerNormPerHead: a LayerNorm without bias over each head, each head with its own weight.
// x: (B, n, T, Dh); weight: (n, Dh).
torch::Tensor per_head_layer_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return torch::layer_norm(x, {x.size(-1)}, {}, {}, eps) * weight.unsqueeze(1);
}

struct StableLmModel final : LayerwiseDecoder<StableLmConfig, StableLmLayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // StableLmDecoderLayer: x + attn(ln(x)) + mlp(ln(x)) with use_parallel_residual, else
  // x + attn(ln(x)), then + mlp(post_ln(.)).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.layer_norm_eps;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, Dr) each
    const auto h = layer_norm(x, w.input_layernorm, w.input_layernorm_bias, eps);
    auto y = x + attention(w, h, cos, sin);
    if (config_.use_parallel_residual) return y + gated_mlp(h, w.mlp, config_.hidden_act);
    return y + gated_mlp(layer_norm(y, w.post_attention_layernorm, w.post_attention_layernorm_bias, eps), w.mlp,
                         config_.hidden_act);
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return layer_norm(x, ends_.norm, ends_.norm_bias, config_.layer_norm_eps);
  }

  torch::Tensor attention(const StableLmLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const {
    const auto qkv = project_qkv(w.attn, config_.heads, x);
    auto q = heads_first(qkv.q);  // (B, H, T, Dh)
    auto k = heads_first(qkv.k);  // (B, Hkv, T, Dh)
    if (w.q_layernorm.defined()) {
      q = per_head_layer_norm(q, w.q_layernorm, config_.layer_norm_eps);
      k = per_head_layer_norm(k, w.k_layernorm, config_.layer_norm_eps);
    }
    q = apply_partial_rotary(q, cos, sin);
    k = apply_partial_rotary(k, cos, sin);
    return project_attention_output(w.attn, causal_attention(q, k, heads_first(qkv.v), {}));  // (B, T, D)
  }
};

void add_stablelm_layer(std::vector<WeightSpec>& specs, const std::string& p, const StableLmConfig& c,
                        StableLmLayerWeights& l) {
  const int64_t d = c.hidden_size, dh = c.heads.head_dim;
  specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
  specs.push_back({p + "input_layernorm.bias", {d}, &l.input_layernorm_bias});
  if (!c.use_parallel_residual) {
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "post_attention_layernorm.bias", {d}, &l.post_attention_layernorm_bias});
  }
  add_attention_specs(specs, p + "self_attn.", d, c.heads, c.use_qkv_bias, /*o_bias=*/false, l.attn);
  if (c.qk_layernorm) {
    l.q_head_norms.resize(c.heads.num_heads);
    l.k_head_norms.resize(c.heads.num_kv_heads);
    for (size_t h = 0; h < l.q_head_norms.size(); ++h)
      specs.push_back({p + "self_attn.q_layernorm.norms." + std::to_string(h) + ".weight", {dh}, &l.q_head_norms[h]});
    for (size_t h = 0; h < l.k_head_norms.size(); ++h)
      specs.push_back({p + "self_attn.k_layernorm.norms." + std::to_string(h) + ".weight", {dh}, &l.k_head_norms[h]});
  }
  add_swiglu_specs(specs, p + "mlp.", kProjNames, d, c.intermediate_size, l.mlp);
}

}  // namespace

std::unique_ptr<CausalLM> load_stablelm(const LoadRequest& request) {
  const auto c = StableLmConfig::from_hf(request.config);
  WeightTable table(request);
  DecoderEnds ends;
  table.add_ends(ends, c.vocab_size, c.hidden_size, c.tie_word_embeddings);
  table.specs.push_back({"model.norm.bias", {c.hidden_size}, &ends.norm_bias});
  std::vector<StableLmLayerWeights> layers(c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) add_stablelm_layer(table.specs, table.layer(i), c, layers[i]);
  auto loaded = table.load("stablelm", c.num_layers, ends);
  return std::make_unique<StableLmModel>(c, std::move(layers), std::move(loaded), std::move(ends));
}

}  // namespace icsweep
