// FalconForCausalLM's forward and weight table (config: falcon_config.cpp).
#include "core/model/families/falcon.h"

#include <cmath>
#include <limits>

#include "core/model/decoder.h"

namespace icsweep {
namespace {

struct FalconLayerWeights {
  torch::Tensor ln_attn, ln_attn_bias;                  // input_layernorm or ln_attn: (D)
  torch::Tensor ln_mlp, ln_mlp_bias;                    // post_attention_layernorm or ln_mlp: (D); kShared: none
  torch::Tensor query_key_value, query_key_value_bias;  // ((H + 2 Hkv) * Dh, D), ((H + 2 Hkv) * Dh)
  torch::Tensor dense, dense_bias;                      // (D, D), (D)
  torch::Tensor dense_h_to_4h, dense_h_to_4h_bias;      // (F, D), (F)
  torch::Tensor dense_4h_to_h, dense_4h_to_h_bias;      // (D, F), (D)
};

// transformers' build_alibi_tensor for keys 0..T-1: head h's slope (the geometric sequence of
// ALiBi, extended by odd powers when H is not a power of two) rounded to bf16, times the key
// position, rounded to bf16 again, then cast to `dtype`. (H, 1, T).
torch::Tensor alibi_bias(int64_t heads, int64_t seq_len, torch::ScalarType dtype, torch::Device device) {
  const int64_t pow2 = int64_t{1} << static_cast<int64_t>(std::floor(std::log2(static_cast<double>(heads))));
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  const auto i32 = torch::TensorOptions().dtype(torch::kInt32);
  auto base = torch::full({}, std::pow(2.0, -std::pow(2.0, -(std::log2(static_cast<double>(pow2)) - 3.0))), f32);
  auto slopes = torch::pow(base, torch::arange(1, 1 + pow2, i32));
  if (pow2 != heads) {
    auto extra = torch::full({}, std::pow(2.0, -std::pow(2.0, -(std::log2(2.0 * pow2) - 3.0))), f32);
    const int64_t remaining = std::min(pow2, heads - pow2);
    slopes = torch::cat({slopes, torch::pow(extra, torch::arange(1, 1 + 2 * remaining, 2, i32))});
  }
  auto positions = torch::arange(seq_len, torch::TensorOptions().dtype(torch::kInt64)).view({1, 1, seq_len});
  return (slopes.to(torch::kBFloat16).view({heads, 1, 1}) * positions).to(dtype).to(device);  // (H, 1, T)
}

struct FalconModel final : LayerwiseDecoder<FalconConfig, FalconLayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // FalconDecoderLayer: x + (mlp(ln_mlp(x)) + attn(ln_attn(x))) when parallel, else x + attn(ln(x)),
  // then + mlp(post_ln(.)).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.layer_norm_epsilon;
    const auto a = layer_norm(x, w.ln_attn, w.ln_attn_bias, eps);
    auto attn = attention(w, a, inputs);
    if (config_.norms == FalconConfig::Norms::kSequential) {
      auto h = x + attn;
      return h + mlp(w, layer_norm(h, w.ln_mlp, w.ln_mlp_bias, eps));
    }
    const auto m = config_.norms == FalconConfig::Norms::kTwo ? layer_norm(x, w.ln_mlp, w.ln_mlp_bias, eps) : a;
    return x + (mlp(w, m) + attn);
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return layer_norm(x, ends_.norm, ends_.norm_bias, config_.layer_norm_epsilon);
  }

  // FalconAttention._split_heads: q (B, T, H, Dh), k and v (B, T, Hkv, Dh) from the fused output.
  QkvViews split_heads(const torch::Tensor& fused) const {
    const int64_t b = fused.size(0), t = fused.size(1);
    const int64_t h = config_.heads.num_heads, hkv = config_.heads.num_kv_heads, dh = config_.heads.head_dim;
    if (config_.new_decoder_architecture) {
      const int64_t g = h / hkv;
      auto qkv = fused.view({b, t, hkv, g + 2, dh});
      return {qkv.narrow(3, 0, g).reshape({b, t, h, dh}), qkv.select(3, g), qkv.select(3, g + 1)};
    }
    if (config_.multi_query) {
      auto qkv = fused.view({b, t, h + 2, dh});
      return {qkv.narrow(2, 0, h), qkv.narrow(2, h, 1), qkv.narrow(2, h + 1, 1)};
    }
    auto qkv = fused.view({b, t, h, 3, dh});
    return {qkv.select(3, 0), qkv.select(3, 1), qkv.select(3, 2)};
  }

  torch::Tensor attention(const FalconLayerWeights& w, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const {
    const int64_t b = x.size(0), t = x.size(1);
    auto [q, k, v] = split_heads(linear(x, w.query_key_value, w.query_key_value_bias));
    q = heads_first(q), k = heads_first(k), v = heads_first(v);  // (B, H|Hkv, T, Dh)
    torch::Tensor out;
    if (config_.alibi) {
      out = alibi_attention(q, k, v);
    } else {
      const auto& [cos, sin] = inputs.rotary(x.device());  // (T, Dh) each
      out = causal_attention(apply_rotary(q, cos, sin), apply_rotary(k, cos, sin), v, {});
    }
    return linear(out.transpose(1, 2).reshape({b, t, -1}), w.dense, w.dense_bias);  // (B, T, D)
  }

  // The ALiBi attention of transformers' FalconModel under its default (sdpa) attention, as
  // transformers 4.x computed it in either mode: softmax(q·k / sqrt(Dh) + alibi / sqrt(Dh)) over the
  // causal keys. (transformers 5.17's eager mode adds the bias twice: FalconModel folds alibi /
  // sqrt(Dh) into the causal mask and the eager branch adds alibi again; we follow sdpa.) The
  // scores and the softmax in fp32. q (B, H, T, Dh), k/v (B, Hkv, T, Dh) -> (B, H, T, Dh).
  torch::Tensor alibi_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) const {
    const int64_t h = q.size(1), t = q.size(2);
    const double root = std::sqrt(static_cast<double>(config_.heads.head_dim));
    const auto bias = (alibi_bias(h, t, dtype_, q.device()) / root).to(torch::kFloat32);  // (H, 1, T)
    auto scores = torch::matmul(q, repeat_kv(k, h / k.size(1)).transpose(-2, -1)).to(torch::kFloat32) / root + bias;
    const auto allowed = torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).tril();
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
    return torch::matmul(torch::softmax(scores, -1).to(q.scalar_type()), repeat_kv(v, h / v.size(1)));
  }

  torch::Tensor mlp(const FalconLayerWeights& w, const torch::Tensor& x) const {
    auto hidden = activation(config_.activation, linear(x, w.dense_h_to_4h, w.dense_h_to_4h_bias));  // (B, T, F)
    return linear(hidden, w.dense_4h_to_h, w.dense_4h_to_h_bias);                                   // (B, T, D)
  }
};

void add_falcon_layer(std::vector<WeightSpec>& specs, const std::string& p, const FalconConfig& c,
                      FalconLayerWeights& l) {
  const int64_t d = c.hidden_size, f = c.intermediate_size;
  const int64_t qkv = c.heads.q_dim() + 2 * c.heads.kv_dim();
  const bool two = c.norms == FalconConfig::Norms::kTwo;
  const std::string ln_attn = two ? "ln_attn" : "input_layernorm";
  specs.push_back({p + ln_attn + ".weight", {d}, &l.ln_attn});
  specs.push_back({p + ln_attn + ".bias", {d}, &l.ln_attn_bias});
  if (c.norms != FalconConfig::Norms::kShared) {
    const std::string ln_mlp = two ? "ln_mlp" : "post_attention_layernorm";
    specs.push_back({p + ln_mlp + ".weight", {d}, &l.ln_mlp});
    specs.push_back({p + ln_mlp + ".bias", {d}, &l.ln_mlp_bias});
  }
  specs.push_back({p + "self_attention.query_key_value.weight", {qkv, d}, &l.query_key_value});
  specs.push_back({p + "self_attention.dense.weight", {d, d}, &l.dense});
  specs.push_back({p + "mlp.dense_h_to_4h.weight", {f, d}, &l.dense_h_to_4h});
  specs.push_back({p + "mlp.dense_4h_to_h.weight", {d, f}, &l.dense_4h_to_h});
  if (!c.bias) return;
  specs.push_back({p + "self_attention.query_key_value.bias", {qkv}, &l.query_key_value_bias});
  specs.push_back({p + "self_attention.dense.bias", {d}, &l.dense_bias});
  specs.push_back({p + "mlp.dense_h_to_4h.bias", {f}, &l.dense_h_to_4h_bias});
  specs.push_back({p + "mlp.dense_4h_to_h.bias", {d}, &l.dense_4h_to_h_bias});
}

}  // namespace

std::unique_ptr<CausalLM> load_falcon(const LoadRequest& request) {
  const auto c = FalconConfig::from_hf(request.config);
  WeightTable table(request, {"transformer.", "word_embeddings.weight", "ln_f.weight", "lm_head.weight"});
  DecoderEnds ends;
  table.add_ends(ends, c.vocab_size, c.hidden_size, c.tie_word_embeddings);
  table.specs.push_back({"transformer.ln_f.bias", {c.hidden_size}, &ends.norm_bias});
  std::vector<FalconLayerWeights> layers(c.num_layers);
  for (int64_t i = 0; i < c.num_layers; ++i)
    add_falcon_layer(table.specs, "transformer.h." + std::to_string(i) + ".", c, layers[i]);
  auto loaded = table.load("falcon", c.num_layers, ends);
  return std::make_unique<FalconModel>(c, std::move(layers), std::move(loaded), std::move(ends));
}

}  // namespace icsweep
