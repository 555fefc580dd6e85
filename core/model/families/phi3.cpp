// Phi3ForCausalLM's forward and weight table (config: phi3_config.cpp).
#include "core/model/families/phi3.h"

#include "core/model/decoder.h"

namespace icsweep {
namespace {

// self_attn.qkv_proj stored fused: [q | k | v]; mlp.gate_up_proj stored fused: [gate | up].
struct Phi3LayerWeights : AttentionMlpWeights {
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
};

class Phi3Model : public Decoder<Phi3Config, Phi3LayerWeights> {
 public:
  using Decoder::Decoder;

  // Phi3DecoderLayer: x + attention(norm(x)), then x + mlp(norm(x)).
  torch::Tensor forward_hidden(const torch::Tensor& ids) override {
    torch::InferenceMode guard;
    const int64_t t = ids.size(1);
    const auto [cos, sin] = cos_sin(t);  // (T, Dr) each
    const auto mask = attention_mask(t, config_.sliding_window, device_);
    ResidualStream x(embed(ids), config_.rms_norm_eps);  // (B, T, D)
    for (int64_t i = 0; i < static_cast<int64_t>(layers_.size()); ++i) {
      const auto& w = layers_[i];
      auto fp8 = fp8_layer(i);
      const auto h = x.norm(w.input_layernorm);
      x.add(rotary_attention(w.attn, config_.heads, h, cos, sin, mask, apply_partial_rotary));
      x.add(swiglu(x.norm(w.post_attention_layernorm), w.mlp));
    }
    return x.norm(ends_.norm);  // (B, T, D)
  }

 private:
  // cos and sin (T, Dr): the plain rope, or LongRoPE's for this length.
  std::pair<torch::Tensor, torch::Tensor> cos_sin(int64_t seq_len) const {
    const auto& lr = config_.longrope;
    if (!lr.enabled) return rope_cos_sin(config_.rope, seq_len, dtype_, device_);
    // Like transformers' longrope_frequency_update: the long factors once the forward covers more
    // positions than the original context, the short ones otherwise; the attention factor always.
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    const auto& factors = seq_len > lr.original_max_position_embeddings ? lr.long_factor : lr.short_factor;
    auto ext = torch::tensor(std::vector<float>(factors.begin(), factors.end()), f32);
    const int64_t dim = config_.rope.dim;
    auto exponents = torch::arange(0, dim, 2, torch::TensorOptions().dtype(torch::kInt64)).to(torch::kFloat32) /
                     static_cast<double>(dim);
    auto inv_freq = (1.0 / (ext * torch::pow(config_.rope.theta, exponents))).to(device_);  // (Dr / 2)
    auto positions = torch::arange(seq_len, f32.device(device_));
    auto freqs = torch::outer(positions, inv_freq);  // (T, Dr / 2)
    auto emb = torch::cat({freqs, freqs}, -1);       // (T, Dr)
    return {(emb.cos() * lr.attention_factor).to(dtype_), (emb.sin() * lr.attention_factor).to(dtype_)};
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_phi3(const LoadRequest& request) {
  const auto c = Phi3Config::from_hf(request.config);
  const int64_t d = c.hidden_size, f = c.intermediate_size;
  const int64_t q_dim = c.heads.q_dim(), kv_dim = c.heads.kv_dim();
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Phi3LayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "self_attn.qkv_proj.weight", {q_dim + 2 * kv_dim, d}, &l.attn.qkv_proj});
    specs.push_back({p + "self_attn.o_proj.weight", {d, q_dim}, &l.attn.o_proj});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    specs.push_back({p + "mlp.gate_up_proj.weight", {2 * f, d}, &l.mlp.gate_up});
    specs.push_back({p + "mlp.down_proj.weight", {d, f}, &l.mlp.down});
  };
  return load_decoder<Phi3Model>(request, c, "phi3", add_layer);
}

}  // namespace icsweep
