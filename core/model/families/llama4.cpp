// Llama 4's forward and weight table (config: llama4_config.cpp).
#include "core/model/families/llama4.h"

#include "core/model/decoder.h"
#include "core/model/multimodal.h"
#include "core/model/moe.h"

namespace icsweep {
namespace {

// Rotates each pair (x[2i], x[2i+1]) as the complex number x[2i] + i x[2i+1] times
// (cos + i sin) of position * inv_freq[i] (transformers' view_as_complex), in fp32.
// x: (B, T, H, Dh); cos/sin: (T, Dh / 2) fp32.
torch::Tensor rotate_interleaved(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t b = x.size(0), t = x.size(1), h = x.size(2), dh = x.size(3);
  auto pairs = x.to(torch::kFloat32).view({b, t, h, dh / 2, 2});
  auto re = pairs.select(-1, 0), im = pairs.select(-1, 1);  // (B, T, H, Dh/2)
  auto c = cos.view({1, t, 1, dh / 2}), s = sin.view({1, t, 1, dh / 2});
  auto out = torch::stack({re * c - im * s, re * s + im * c}, -1);  // (B, T, H, Dh/2, 2)
  return out.view({b, t, h, dh}).to(x.scalar_type());
}

// Llama4TextL2Norm: x / rms(x) in fp32, no weight. x: (..., Dh).
torch::Tensor l2_norm(const torch::Tensor& x, double eps) {
  auto h = x.to(torch::kFloat32);
  return (h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps)).to(x.scalar_type());
}

// Bool (T, T) "may attend": causal and inside the same chunk of `chunk` positions; undefined
// (plain causal) when the sequence fits in one chunk.
torch::Tensor chunked_mask(int64_t t, int64_t chunk, torch::Device device) {
  if (chunk <= 0 || t <= chunk) return {};
  auto i = torch::arange(t, torch::TensorOptions().dtype(torch::kInt64).device(device)).unsqueeze(1);
  auto j = i.transpose(0, 1);
  return (j <= i) & (j.div(chunk, "floor") == i.div(chunk, "floor"));  // (T, T)
}

// mlp: dense layers' feed_forward (F = intermediate_size_mlp); MoE layers' shared expert (F = intermediate_size).
struct Llama4LayerWeights : AttentionMlpWeights {
  torch::Tensor input_layernorm;           // (D)
  torch::Tensor post_attention_layernorm;  // (D)
  torch::Tensor router;                    // (E, D)
  torch::Tensor gate_up_proj;              // (E, D, 2F): [gate | up] halves along the last dim
  torch::Tensor experts_down;              // (E, F, D)
};

struct Llama4Model final : LayerwiseDecoder<Llama4Config, Llama4LayerWeights> {
  using LayerwiseDecoder::LayerwiseDecoder;

  // Llama4TextDecoderLayer: x + attention(norm(x)), then x + feed_forward(norm(x)).
  torch::Tensor decoder_layer(int64_t i, const torch::Tensor& x, PerDeviceAttentionInputs& inputs) const override {
    const auto& w = layers_[i];
    const double eps = config_.rms_norm_eps;
    const int64_t half = config_.heads.head_dim / 2;
    // freqs_cis of transformers: the first halves of the fp32 (T, Dh) tables, (T, Dh/2) each.
    const auto& [cos, sin] = inputs.rotary(layer_devices_[i]);
    auto h = x + attention(i, rms_norm(x, w.input_layernorm, eps), cos.narrow(-1, 0, half), sin.narrow(-1, 0, half),
                           inputs.mask(layer_devices_[i], config_.chunk_size[i]));
    auto hidden = rms_norm(h, w.post_attention_layernorm, eps);
    return h + (config_.is_moe[i] ? moe(w, hidden) : gated_mlp(hidden, w.mlp, config_.hidden_act));
  }
  torch::Tensor final_norm(const torch::Tensor& x) const override {
    return rms_norm(x, ends_.norm, config_.rms_norm_eps);
  }
  PerDeviceAttentionInputs attention_inputs(int64_t seq_len) const override {
    return {config_.rope, seq_len, torch::kFloat32, chunked_mask};
  }

  torch::Tensor attention(int64_t layer, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask) const {
    const auto& w = layers_[layer];
    const int64_t t = x.size(1);
    auto [q, k, v] = project_qkv(w.attn, config_.heads, x);  // (B, T, H|Hkv, Dh)
    if (config_.use_rope[layer]) {
      q = rotate_interleaved(q, cos, sin);
      k = rotate_interleaved(k, cos, sin);
      if (config_.use_qk_norm) {
        q = l2_norm(q, config_.rms_norm_eps);
        k = l2_norm(k, config_.rms_norm_eps);
      }
    } else if (config_.attn_temperature_tuning) {
      // Query temperature per position (NoPE layers only), computed in fp32 as transformers does.
      auto pos = torch::arange(t, torch::TensorOptions().dtype(torch::kFloat32).device(x.device()));
      auto scale = torch::log1p(torch::floor((pos + 1.0) / config_.floor_scale)) * config_.attn_scale + 1.0;  // (T)
      q = (q * scale.view({1, t, 1, 1})).to(q.scalar_type());
    }
    auto out = causal_attention(heads_first(q), heads_first(k), heads_first(v), mask);  // (B, H, T, Dh)
    return project_attention_output(w.attn, out);                                      // (B, T, D)
  }

  torch::Tensor moe(const Llama4LayerWeights& w, const torch::Tensor& x) const {
    const int64_t d = config_.hidden_size, f = config_.intermediate_size, k = config_.top_k;
    auto flat = x.reshape({-1, d});                                       // (N, D)
    const int64_t n = flat.size(0);
    auto router_logits = torch::matmul(flat, w.router.t());               // (N, E)
    auto [top_values, top_ids] = router_logits.topk(k, 1);                // (N, K) each
    auto scores = torch::sigmoid(top_values.to(torch::kFloat32)).to(flat.scalar_type());  // (N, K)
    // Llama4TextMoe scales each expert's input by its score (not its output), so every (token,
    // expert) pair becomes its own row with routing weight 1.
    auto routed_in = (flat.unsqueeze(1) * scores.unsqueeze(-1)).reshape({n * k, d});  // (N*K, D)
    auto ones = torch::ones({n * k, 1}, flat.options());
    const std::string& act = config_.hidden_act;
    auto expert = [&](int64_t e, const torch::Tensor& xe) {
      auto gate_up = torch::matmul(xe, w.gate_up_proj[e]);  // (n, 2F)
      auto hidden = gate_up.narrow(-1, f, f) * activation(act, gate_up.narrow(-1, 0, f));
      return torch::matmul(hidden, w.experts_down[e]);      // (n, D)
    };
    auto routed = grouped_experts(routed_in, top_ids.reshape({n * k, 1}), ones, config_.num_experts, d, expert);
    auto out = gated_mlp(flat, w.mlp, act) + routed.view({n, k, d}).sum(1);  // (N, D): shared expert + routed
    return out.view(x.sizes());                                // (B, T, D)
  }
};

}  // namespace

std::unique_ptr<CausalLM> load_llama4(const LoadRequest& request) {
  const auto c = Llama4Config::from_hf(request.config);
  const int64_t d = c.hidden_size, f = c.intermediate_size, fm = c.intermediate_size_mlp, e = c.num_experts;
  auto add_layer = [&](std::vector<WeightSpec>& specs, const std::string& p, int64_t i, Llama4LayerWeights& l) {
    specs.push_back({p + "input_layernorm.weight", {d}, &l.input_layernorm});
    specs.push_back({p + "post_attention_layernorm.weight", {d}, &l.post_attention_layernorm});
    add_attention_specs(specs, p + "self_attn.", d, c.heads, c.attention_bias, c.attention_bias, l.attn);
    if (c.is_moe[i]) {
      const std::string m = p + "feed_forward.";
      specs.push_back({m + "router.weight", {e, d}, &l.router});
      specs.push_back({m + "experts.gate_up_proj", {e, d, 2 * f}, &l.gate_up_proj});
      specs.push_back({m + "experts.down_proj", {e, f, d}, &l.experts_down});
      add_swiglu_specs(specs, m + "shared_expert.", kProjNames, d, f, l.mlp);
    } else {
      add_swiglu_specs(specs, p + "feed_forward.", kProjNames, d, fm, l.mlp);
    }
  };
  return load_decoder<Llama4Model>(
      request, c, "llama4", add_layer, [](const std::string& name) { return is_image_side_tensor(name, "vision_model"); },
      language_model_end_names(request.checkpoint));
}

}  // namespace icsweep
