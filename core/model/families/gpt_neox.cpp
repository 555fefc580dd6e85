// GPTNeoXForCausalLM's forward and weight table (config: gpt_neox_config.cpp).
#include "core/model/families/gpt_neox.h"

#include "core/model/decoder.h"

namespace icsweep {
namespace {

struct GptNeoxLayerWeights {
  torch::Tensor input_layernorm_weight, input_layernorm_bias;                    // (D)
  torch::Tensor query_key_value, query_key_value_bias;                          // (3D, D), (3D)
  torch::Tensor dense, dense_bias;                                              // (D, D), (D)
  torch::Tensor post_attention_layernorm_weight, post_attention_layernorm_bias;  // (D)
  torch::Tensor dense_h_to_4h, dense_h_to_4h_bias;                              // (F, D), (F)
  torch::Tensor dense_4h_to_h, dense_4h_to_h_bias;                              // (D, F), (D)
};

struct GptNeoxModel final : LayerwiseDecoder<GptNeoxConfig, GptNeoxLayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // GPTNeoXLayer: x + attn(ln1(x)) + mlp(ln2(x)) (parallel), or x + attn(ln1(x)), then + mlp(ln2(.)).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.layer_norm_eps;
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);  // (T, rotary_ndims) each
    auto attn = attention(w, layer_norm(x, w.input_layernorm_weight, w.input_layernorm_bias, eps), cos, sin);
    if (config_.use_parallel_residual)
      return mlp(w, layer_norm(x, w.post_attention_layernorm_weight, w.post_attention_layernorm_bias, eps)) + attn + x;
    auto h = attn + x;
    return mlp(w, layer_norm(h, w.post_attention_layernorm_weight, w.post_attention_layernorm_bias, eps)) + h;
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return layer_norm(x, ends_.norm, ends_.norm_bias, config_.layer_norm_eps);
  }

  torch::Tensor attention(const GptNeoxLayerWeights& w, const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin) const {
    const int64_t b = x.size(0), t = x.size(1), h = config_.num_heads, dh = config_.head_dim;
    // Per head the fused output holds q, k, v one after the other: view (B, T, H, 3*Dh), then chunk.
    auto qkv = linear(x, w.query_key_value, w.query_key_value_bias).view({b, t, h, 3 * dh}).transpose(1, 2);
    auto parts = qkv.chunk(3, -1);                     // 3 x (B, H, T, Dh)
    auto q = apply_partial_rotary(parts[0], cos, sin);  // rotates the first rotary_ndims dims
    auto k = apply_partial_rotary(parts[1], cos, sin);
    auto out = causal_attention(q, k, parts[2], {}).transpose(1, 2).reshape({b, t, h * dh});  // (B, T, D)
    return linear(out, w.dense, w.dense_bias);                                                // (B, T, D)
  }

  torch::Tensor mlp(const GptNeoxLayerWeights& w, const torch::Tensor& x) const {
    auto hidden = activation(config_.hidden_act, linear(x, w.dense_h_to_4h, w.dense_h_to_4h_bias));  // (B, T, F)
    return linear(hidden, w.dense_4h_to_h, w.dense_4h_to_h_bias);                                   // (B, T, D)
  }
};

// Older exports saved the rotary and causal-mask buffers; transformers ignores them, so do we.
bool is_saved_buffer(const std::string& name) {
  for (const std::string suffix : {".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq"})
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

}  // namespace

std::unique_ptr<CausalLM> load_gpt_neox(const LoadRequest& request) {
  const auto c = GptNeoxConfig::from_hf(request.config);
  const int64_t d = c.hidden_size, f = c.intermediate_size;
  WeightTable table(request, {"gpt_neox.", "embed_in.weight", "final_layer_norm.weight", "embed_out.weight"});
  DecoderEnds ends;
  table.add_ends(ends, c.vocab_size, d, c.tie_word_embeddings);
  table.specs.push_back({"gpt_neox.final_layer_norm.bias", {d}, &ends.norm_bias});
  std::vector<GptNeoxLayerWeights> layers(c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i) {
    auto& l = layers[i];
    const std::string p = table.layer(i);
    table.specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm_weight});
    table.specs.push_back({p + "input_layernorm.bias", {d}, &l.input_layernorm_bias});
    table.specs.push_back({p + "attention.query_key_value.weight", {3 * d, d}, &l.query_key_value});
    table.specs.push_back({p + "attention.dense.weight", {d, d}, &l.dense});
    table.specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm_weight});
    table.specs.push_back({p + "post_attention_layernorm.bias", {d}, &l.post_attention_layernorm_bias});
    table.specs.push_back({p + "mlp.dense_h_to_4h.weight", {f, d}, &l.dense_h_to_4h});
    table.specs.push_back({p + "mlp.dense_h_to_4h.bias", {f}, &l.dense_h_to_4h_bias});
    table.specs.push_back({p + "mlp.dense_4h_to_h.weight", {d, f}, &l.dense_4h_to_h});
    table.specs.push_back({p + "mlp.dense_4h_to_h.bias", {d}, &l.dense_4h_to_h_bias});
    if (c.attention_bias) {
      table.specs.push_back({p + "attention.query_key_value.bias", {3 * d}, &l.query_key_value_bias});
      table.specs.push_back({p + "attention.dense.bias", {d}, &l.dense_bias});
    }
  }
  auto loaded = table.load("gpt_neox", c.num_layers, ends, is_saved_buffer);
  return std::make_unique<GptNeoxModel>(c, std::move(layers), std::move(loaded), std::move(ends));
}

}  // namespace icsweep
